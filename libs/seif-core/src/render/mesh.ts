/** Public API. Triangle meshes as flat typed arrays (the three.js BufferGeometry habit). */

export interface Mesh {
  /** n x 3 vertex positions (world units). */
  positions: Float32Array | Float64Array;
  /** m x 3 vertex indices; counter-clockwise seen from the front (outside). */
  indices: Uint32Array;
  /** n x 3 unit vertex normals; computed (area-weighted) when missing and smooth shading is asked for. */
  normals?: Float32Array;
  /** Texture coordinates, 2 per entry, v up (OBJ / OpenGL convention: v = 0 is the bottom row of the texture). */
  uvs?: Float32Array;
  /** m x 3 indices into `uvs` when texture coordinates are per corner (OBJ `f v/vt`); else `uvs` is per vertex. */
  uvIndices?: Uint32Array;
  /** n x 3 vertex colours, linear [0, 1]. */
  colors?: Float32Array;
}

/** Area-weighted vertex normals; vertices on no (non-degenerate) triangle get (0, 0, 1). */
export function computeVertexNormals(positions: ArrayLike<number>, indices: ArrayLike<number>, out = new Float32Array(positions.length)): Float32Array {
  out.fill(0);
  for (let f = 0; f < indices.length; f += 3) {
    const a = 3 * indices[f]!;
    const b = 3 * indices[f + 1]!;
    const c = 3 * indices[f + 2]!;
    const e1x = positions[b]! - positions[a]!;
    const e1y = positions[b + 1]! - positions[a + 1]!;
    const e1z = positions[b + 2]! - positions[a + 2]!;
    const e2x = positions[c]! - positions[a]!;
    const e2y = positions[c + 1]! - positions[a + 1]!;
    const e2z = positions[c + 2]! - positions[a + 2]!;
    // |cross| = 2 x area, so summing raw cross products weights by area.
    const nx = e1y * e2z - e1z * e2y;
    const ny = e1z * e2x - e1x * e2z;
    const nz = e1x * e2y - e1y * e2x;
    for (const v of [a, b, c]) {
      out[v] = out[v]! + nx;
      out[v + 1] = out[v + 1]! + ny;
      out[v + 2] = out[v + 2]! + nz;
    }
  }
  for (let v = 0; v < out.length; v += 3) {
    const l = Math.hypot(out[v]!, out[v + 1]!, out[v + 2]!);
    if (l > 0) {
      out[v] = out[v]! / l;
      out[v + 1] = out[v + 1]! / l;
      out[v + 2] = out[v + 2]! / l;
    } else {
      out[v] = 0;
      out[v + 1] = 0;
      out[v + 2] = 1;
    }
  }
  return out;
}

/** A UV sphere (for tests and previews): `rings` x `segments` quads, CCW outward, per-vertex uvs and exact normals. */
export function uvSphere(radius: number, rings: number, segments: number, center: [number, number, number] = [0, 0, 0]): Mesh {
  const positions: number[] = [];
  const normals: number[] = [];
  const uvs: number[] = [];
  for (let r = 0; r <= rings; r++) {
    const theta = (r / rings) * Math.PI;
    for (let s = 0; s <= segments; s++) {
      const phi = (s / segments) * 2 * Math.PI;
      const nx = Math.sin(theta) * Math.sin(phi);
      const ny = Math.cos(theta);
      const nz = Math.sin(theta) * Math.cos(phi);
      positions.push(center[0] + radius * nx, center[1] + radius * ny, center[2] + radius * nz);
      normals.push(nx, ny, nz);
      uvs.push(s / segments, 1 - r / rings);
    }
  }
  const indices: number[] = [];
  const row = segments + 1;
  for (let r = 0; r < rings; r++) {
    for (let s = 0; s < segments; s++) {
      const a = r * row + s;
      const b = a + row;
      // Outward CCW: from outside, (a, b, a+1) and (a+1, b, b+1).
      if (r > 0) indices.push(a, b, a + 1);
      if (r < rings - 1) indices.push(a + 1, b, b + 1);
    }
  }
  return { positions: new Float32Array(positions), indices: new Uint32Array(indices), normals: new Float32Array(normals), uvs: new Float32Array(uvs) };
}
