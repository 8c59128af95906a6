/**
 * Public API. ExportMesh -> binary little-endian PLY (http://paulbourke.net/dataformats/ply/): float xyz,
 * optional float normals, optional uchar vertex colours, optional float uv (s, t), faces as uchar count + uint
 * indices. Extra meshes are appended (indices offset, their own vertex colours) unless `includeExtras` is false.
 */
import { writeFileAtomic } from './atomic.js';
import { ExportError } from './errors.js';
import type { ExportMesh } from './types.js';
import { validateExportMesh } from './validate.js';

export interface PlyOptions {
  /** Write the mesh's `colors` (required when true). Default: when the mesh has colours. */
  colors?: boolean;
  normals?: boolean;
  uvs?: boolean;
  includeExtras?: boolean;
}

export function encodePly(mesh: ExportMesh, options: PlyOptions = {}): Uint8Array {
  validateExportMesh(mesh);
  const withColors = options.colors ?? mesh.colors !== undefined;
  if (withColors && !mesh.colors) throw new ExportError('INVALID_INPUT', 'PLY colours requested but mesh.colors is missing');
  const colorSize = mesh.colorItemSize ?? 3;
  const withNormals = (options.normals ?? true) && mesh.normals !== undefined;
  const withUvs = (options.uvs ?? true) && mesh.uvs !== undefined;
  const parts: Array<{ positions: Float32Array; indices: Uint32Array; colors?: Uint8Array | undefined }> = [{ positions: mesh.positions, indices: mesh.indices }];
  if (options.includeExtras ?? true) for (const extra of mesh.extras ?? []) parts.push({ positions: extra.positions, indices: extra.indices, colors: extra.colors });
  const vertexCount = parts.reduce((sum, p) => sum + p.positions.length / 3, 0);
  const faceCount = parts.reduce((sum, p) => sum + p.indices.length / 3, 0);
  const header = [
    'ply',
    'format binary_little_endian 1.0',
    'comment @seif/flame export, metres, +y up',
    `element vertex ${vertexCount}`,
    'property float x',
    'property float y',
    'property float z',
    ...(withNormals ? ['property float nx', 'property float ny', 'property float nz'] : []),
    ...(withColors ? ['property uchar red', 'property uchar green', 'property uchar blue', ...(colorSize === 4 ? ['property uchar alpha'] : [])] : []),
    ...(withUvs ? ['property float s', 'property float t'] : []),
    `element face ${faceCount}`,
    'property list uchar uint vertex_indices',
    'end_header',
    '',
  ].join('\n');
  const headerBytes = new TextEncoder().encode(header);
  const stride = 12 + (withNormals ? 12 : 0) + (withColors ? colorSize : 0) + (withUvs ? 8 : 0);
  const out = new Uint8Array(headerBytes.length + vertexCount * stride + faceCount * 13);
  out.set(headerBytes, 0);
  const view = new DataView(out.buffer);
  let o = headerBytes.length;
  for (const [p, part] of parts.entries()) {
    const count = part.positions.length / 3;
    for (let v = 0; v < count; v++) {
      for (let k = 0; k < 3; k++, o += 4) view.setFloat32(o, part.positions[v * 3 + k] as number, true);
      const main = p === 0;
      if (withNormals) for (let k = 0; k < 3; k++, o += 4) view.setFloat32(o, main ? (mesh.normals?.[v * 3 + k] as number) : 0, true);
      // Extras carry RGB (or nothing: light grey); alpha, when the main mesh has it, is opaque.
      if (withColors) for (let k = 0; k < colorSize; k++, o++) out[o] = main ? (mesh.colors?.[v * colorSize + k] as number) : k < 3 ? (part.colors?.[v * 3 + k] ?? 200) : 255;
      if (withUvs) for (let k = 0; k < 2; k++, o += 4) view.setFloat32(o, main ? (mesh.uvs?.[v * 2 + k] as number) : 0, true);
    }
  }
  let offset = 0;
  for (const part of parts) {
    for (let f = 0; f < part.indices.length; f += 3) {
      out[o++] = 3;
      for (let k = 0; k < 3; k++, o += 4) view.setUint32(o, (part.indices[f + k] as number) + offset, true);
    }
    offset += part.positions.length / 3;
  }
  return out;
}

export async function writePly(file: string, mesh: ExportMesh, options: PlyOptions = {}): Promise<number> {
  const bytes = encodePly(mesh, options);
  await writeFileAtomic(file, bytes);
  return bytes.byteLength;
}
