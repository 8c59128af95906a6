/**
 * Public API. FLAME stores UVs per corner (5118 `vt` for 5023 `v`): a vertex on a UV seam has two or more UVs.
 * Engines want one UV per vertex, so each distinct (vertex, vt) pair becomes its own output vertex. The returned
 * `remap` (output vertex -> input vertex) carries anything else per-vertex across: morph deltas, skin rows,
 * colours (`remapAttribute`).
 */
import { ExportError } from './errors.js';

export interface SeamSplit {
  positions: Float32Array;
  indices: Uint32Array;
  /** One uv per output vertex (same convention as the input `vt`). */
  uvs: Float32Array;
  /** remap[outputVertex] = inputVertex. */
  remap: Uint32Array;
}

/**
 * @param positions xyz per input vertex
 * @param faces three vertex indices per triangle
 * @param uvCoords uv per `vt` entry
 * @param uvFaces three `vt` indices per triangle, corner for corner with `faces`
 */
export function splitUvSeams(positions: Float32Array, faces: Uint32Array, uvCoords: Float32Array, uvFaces: Uint32Array): SeamSplit {
  if (uvFaces.length !== faces.length) {
    throw new ExportError('INVALID_LENGTH', `uvFaces has ${uvFaces.length} corners but faces has ${faces.length}`);
  }
  const vertexCount = positions.length / 3;
  const uvCount = uvCoords.length / 2;
  // Key (vertex, vt) -> output index. vertex * uvCount + vt stays below 2^53 for any real mesh.
  const map = new Map<number, number>();
  const remap: number[] = [];
  const uvOf: number[] = [];
  const indices = new Uint32Array(faces.length);
  for (let c = 0; c < faces.length; c++) {
    const v = faces[c] as number;
    const t = uvFaces[c] as number;
    if (v >= vertexCount) throw new ExportError('INDEX_OUT_OF_RANGE', `faces[${c}] = ${v} but there are ${vertexCount} vertices`);
    if (t >= uvCount) throw new ExportError('INDEX_OUT_OF_RANGE', `uvFaces[${c}] = ${t} but there are ${uvCount} uvs`);
    const key = v * uvCount + t;
    let out = map.get(key);
    if (out === undefined) {
      out = remap.length;
      map.set(key, out);
      remap.push(v);
      uvOf.push(t);
    }
    indices[c] = out;
  }
  const remapArray = Uint32Array.from(remap);
  const outPositions = remapAttribute(positions, 3, remapArray);
  const uvs = new Float32Array(remap.length * 2);
  for (let i = 0; i < remap.length; i++) {
    const t = uvOf[i] as number;
    uvs[i * 2] = uvCoords[t * 2] as number;
    uvs[i * 2 + 1] = uvCoords[t * 2 + 1] as number;
  }
  return { positions: outPositions, indices, uvs, remap: remapArray };
}

/** Gathers a per-vertex attribute through a remap (output vertex -> input vertex). Keeps the array type. */
export function remapAttribute<T extends Float32Array | Uint8Array | Uint16Array | Uint32Array | Int32Array>(
  source: T,
  itemSize: number,
  remap: Uint32Array,
): T {
  const Ctor = source.constructor as new (length: number) => T;
  const out = new Ctor(remap.length * itemSize);
  for (let i = 0; i < remap.length; i++) {
    const from = (remap[i] as number) * itemSize;
    for (let k = 0; k < itemSize; k++) out[i * itemSize + k] = source[from + k] as number;
  }
  return out;
}
