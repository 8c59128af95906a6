/**
 * Public API. A minimal Wavefront OBJ reader: `v`, `vt`, `vn`, `f` (polygons fan-triangulated, negative indices
 * allowed); groups, materials and everything else are ignored. Texture coordinates stay per corner
 * (`uvIndices`) because OBJ shares positions across UV seams.
 */
import type { Mesh } from './mesh.js';

export function parseObj(text: string): Mesh & { vertexCount: number; faceCount: number } {
  const positions: number[] = [];
  const uvs: number[] = [];
  const indices: number[] = [];
  const uvIndices: number[] = [];
  let hasAllUvs = true;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line.startsWith('v ')) {
      const [, x, y, z] = line.split(/\s+/);
      positions.push(Number(x), Number(y), Number(z));
    } else if (line.startsWith('vt ')) {
      const [, u, v] = line.split(/\s+/);
      uvs.push(Number(u), Number(v));
    } else if (line.startsWith('f ')) {
      const corners = line
        .split(/\s+/)
        .slice(1)
        .map((corner) => {
          const [v, t] = corner.split('/');
          const vi = Number(v);
          const ti = t ? Number(t) : NaN;
          return [vi < 0 ? positions.length / 3 + vi : vi - 1, ti < 0 ? uvs.length / 2 + ti : ti - 1] as const;
        });
      for (let k = 1; k + 1 < corners.length; k++) {
        for (const [vi, ti] of [corners[0]!, corners[k]!, corners[k + 1]!]) {
          indices.push(vi);
          if (Number.isNaN(ti)) hasAllUvs = false;
          uvIndices.push(Number.isNaN(ti) ? 0 : ti);
        }
      }
    }
  }
  const vertexCount = positions.length / 3;
  for (const index of indices) {
    if (!(index >= 0 && index < vertexCount)) throw new RangeError(`OBJ face refers to vertex ${index + 1} of ${vertexCount}`);
  }
  return {
    positions: new Float32Array(positions),
    indices: new Uint32Array(indices),
    ...(uvs.length > 0 && hasAllUvs ? { uvs: new Float32Array(uvs), uvIndices: new Uint32Array(uvIndices) } : {}),
    vertexCount,
    faceCount: indices.length / 3,
  };
}
