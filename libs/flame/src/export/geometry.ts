/**
 * Small geometry helpers shared by the writers: vertex normals, inverse bind matrices, attribute remapping.
 */

/**
 * Area-weighted vertex normals (the cross product's length is twice the triangle's area, so summing raw cross
 * products weights by area). A vertex no triangle touches, or whose faces cancel, gets +y: a defined unit
 * vector, which glTF requires of every NORMAL.
 */
export function computeVertexNormals(positions: Float32Array, indices: Uint32Array, target?: Float32Array): Float32Array {
  const out = target ?? new Float32Array(positions.length);
  out.fill(0);
  for (let f = 0; f < indices.length; f += 3) {
    const a = (indices[f] as number) * 3;
    const b = (indices[f + 1] as number) * 3;
    const c = (indices[f + 2] as number) * 3;
    const abx = (positions[b] as number) - (positions[a] as number);
    const aby = (positions[b + 1] as number) - (positions[a + 1] as number);
    const abz = (positions[b + 2] as number) - (positions[a + 2] as number);
    const acx = (positions[c] as number) - (positions[a] as number);
    const acy = (positions[c + 1] as number) - (positions[a + 1] as number);
    const acz = (positions[c + 2] as number) - (positions[a + 2] as number);
    const nx = aby * acz - abz * acy;
    const ny = abz * acx - abx * acz;
    const nz = abx * acy - aby * acx;
    for (const v of [a, b, c]) {
      out[v] = (out[v] as number) + nx;
      out[v + 1] = (out[v + 1] as number) + ny;
      out[v + 2] = (out[v + 2] as number) + nz;
    }
  }
  normalizeVectors(out);
  return out;
}

/** Normalises xyz triples in place; zero vectors become +y. */
export function normalizeVectors(vectors: Float32Array): Float32Array {
  for (let i = 0; i < vectors.length; i += 3) {
    const x = vectors[i] as number;
    const y = vectors[i + 1] as number;
    const z = vectors[i + 2] as number;
    const length = Math.hypot(x, y, z);
    if (length > 1e-20) {
      vectors[i] = x / length;
      vectors[i + 1] = y / length;
      vectors[i + 2] = z / length;
    } else {
      vectors[i] = 0;
      vectors[i + 1] = 1;
      vectors[i + 2] = 0;
    }
  }
  return vectors;
}

/**
 * Inverse bind matrices (column-major 4x4, glTF order) for joints that are unrotated at rest: the bind matrix of
 * joint j is a translation to its rest position, so its inverse is the translation by minus that position.
 */
export function computeInverseBindMatrices(restJoints: Float32Array): Float32Array {
  const count = restJoints.length / 3;
  const out = new Float32Array(count * 16);
  for (let j = 0; j < count; j++) {
    const m = j * 16;
    out[m] = 1;
    out[m + 5] = 1;
    out[m + 10] = 1;
    out[m + 15] = 1;
    out[m + 12] = -(restJoints[j * 3] as number);
    out[m + 13] = -(restJoints[j * 3 + 1] as number);
    out[m + 14] = -(restJoints[j * 3 + 2] as number);
  }
  return out;
}

/**
 * Skin rows made valid for glTF: weights normalised to sum 1, a joint listed twice merged into one slot,
 * unused slots set to joint 0 weight 0 (glTF-validator flags duplicate joints with non-zero weight).
 */
export function normalizeSkinRows(
  joints: ArrayLike<number>,
  weights: ArrayLike<number>,
): { joints: Uint16Array; weights: Float32Array } {
  const count = weights.length / 4;
  const outJoints = new Uint16Array(count * 4);
  const outWeights = new Float32Array(count * 4);
  for (let v = 0; v < count; v++) {
    const o = v * 4;
    let used = 0;
    let sum = 0;
    for (let k = 0; k < 4; k++) {
      const w = weights[o + k] as number;
      if (!(w > 0)) continue;
      const joint = joints[o + k] as number;
      let slot = -1;
      for (let s = 0; s < used; s++) if (outJoints[o + s] === joint) slot = s;
      if (slot < 0) {
        slot = used++;
        outJoints[o + slot] = joint;
      }
      outWeights[o + slot] = (outWeights[o + slot] as number) + w;
      sum += w;
    }
    for (let k = 0; k < 4; k++) outWeights[o + k] = (outWeights[o + k] as number) / sum;
  }
  return { joints: outJoints, weights: outWeights };
}
