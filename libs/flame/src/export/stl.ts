/**
 * Public API. ExportMesh -> binary STL (80-byte header, uint32 count, per triangle: float normal, 3 float
 * vertices, uint16 attribute). STL has no units; slicers assume millimetres, so `scale` defaults to 1000
 * (metres -> mm). `watertight: true` welds, orients and caps the mesh first (watertight.ts).
 */
import { writeFileAtomic } from './atomic.js';
import type { ExportMesh } from './types.js';
import { validateExportMesh } from './validate.js';
import { makeWatertight, type WatertightReport } from './watertight.js';

export interface StlOptions {
  watertight?: boolean;
  /** Multiplies positions; default 1000 (millimetres, what slicers expect). */
  scale?: number;
  includeExtras?: boolean;
  weldTolerance?: number;
}

export interface StlResult {
  bytes: Uint8Array;
  triangles: number;
  watertight?: WatertightReport;
}

/** Concatenates the main mesh and (optionally) its extras into one positions/indices pair. */
export function mergeParts(mesh: ExportMesh, includeExtras: boolean): { positions: Float32Array; indices: Uint32Array } {
  const parts = [{ positions: mesh.positions, indices: mesh.indices }];
  if (includeExtras) for (const extra of mesh.extras ?? []) parts.push({ positions: extra.positions, indices: extra.indices });
  if (parts.length === 1) return parts[0] as { positions: Float32Array; indices: Uint32Array };
  const positions = new Float32Array(parts.reduce((s, p) => s + p.positions.length, 0));
  const indices = new Uint32Array(parts.reduce((s, p) => s + p.indices.length, 0));
  let vo = 0;
  let io = 0;
  for (const part of parts) {
    positions.set(part.positions, vo);
    for (let i = 0; i < part.indices.length; i++) indices[io + i] = (part.indices[i] as number) + vo / 3;
    vo += part.positions.length;
    io += part.indices.length;
  }
  return { positions, indices };
}

export function encodeStl(mesh: ExportMesh, options: StlOptions = {}): StlResult {
  validateExportMesh(mesh);
  const scale = options.scale ?? 1000;
  let { positions, indices } = mergeParts(mesh, options.includeExtras ?? true);
  let report: WatertightReport | undefined;
  if (options.watertight) {
    const closed = makeWatertight(positions, indices, options.weldTolerance === undefined ? {} : { weldTolerance: options.weldTolerance });
    positions = closed.positions;
    indices = closed.indices;
    report = closed.report;
  }
  const triangles = indices.length / 3;
  const out = new Uint8Array(84 + triangles * 50);
  out.set(new TextEncoder().encode('@seif/flame binary STL, millimetres'.slice(0, 80)), 0);
  const view = new DataView(out.buffer);
  view.setUint32(80, triangles, true);
  let o = 84;
  for (let f = 0; f < triangles; f++) {
    const a = (indices[f * 3] as number) * 3;
    const b = (indices[f * 3 + 1] as number) * 3;
    const c = (indices[f * 3 + 2] as number) * 3;
    const e1 = [0, 1, 2].map((k) => (positions[b + k] as number) - (positions[a + k] as number));
    const e2 = [0, 1, 2].map((k) => (positions[c + k] as number) - (positions[a + k] as number));
    const n = [
      (e1[1] as number) * (e2[2] as number) - (e1[2] as number) * (e2[1] as number),
      (e1[2] as number) * (e2[0] as number) - (e1[0] as number) * (e2[2] as number),
      (e1[0] as number) * (e2[1] as number) - (e1[1] as number) * (e2[0] as number),
    ];
    const length = Math.hypot(...(n as [number, number, number])) || 1;
    for (let k = 0; k < 3; k++, o += 4) view.setFloat32(o, (n[k] as number) / length, true);
    for (const v of [a, b, c]) for (let k = 0; k < 3; k++, o += 4) view.setFloat32(o, (positions[v + k] as number) * scale, true);
    view.setUint16(o, 0, true);
    o += 2;
  }
  return report ? { bytes: out, triangles, watertight: report } : { bytes: out, triangles };
}

/** Reads a binary STL back (positions as triangle soup, in file units); for tests and tools. */
export function decodeStl(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const triangles = view.getUint32(80, true);
  const out = new Float32Array(triangles * 9);
  for (let f = 0; f < triangles; f++) for (let k = 0; k < 9; k++) out[f * 9 + k] = view.getFloat32(84 + f * 50 + 12 + k * 4, true);
  return out;
}

export async function writeStl(file: string, mesh: ExportMesh, options: StlOptions = {}): Promise<StlResult> {
  const result = encodeStl(mesh, options);
  await writeFileAtomic(file, result.bytes);
  return result;
}
