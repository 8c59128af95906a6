/**
 * Public API. Similarity transforms x -> s R x + t (R row-major 3x3) and their least-squares estimation.
 *
 * The rotation comes from Horn's quaternion method (the largest eigenvector of a symmetric 4x4 matrix, by Jacobi
 * sweeps): it gives the same least-squares rotation as Umeyama's SVD, never a reflection, and needs no 3x3 SVD.
 * The scale is Umeyama's: s = sum((d_i - d̄) · R (s_i - s̄)) / sum |s_i - s̄|² (Umeyama 1991, eq. 42).
 */

export interface Similarity {
  scale: number;
  /** Row-major 3x3 rotation. */
  rotation: Float64Array;
  translation: Float64Array;
}

export function identityTransform(): Similarity {
  return { scale: 1, rotation: new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]), translation: new Float64Array(3) };
}

/** Applies t to n points (x, y, z interleaved); `out` may alias `points`. */
export function applyTransform(t: Similarity, points: ArrayLike<number>, out: Float64Array = new Float64Array(points.length)): Float64Array {
  const r = t.rotation;
  const s = t.scale;
  for (let i = 0; i < points.length; i += 3) {
    const x = points[i]!;
    const y = points[i + 1]!;
    const z = points[i + 2]!;
    out[i] = s * (r[0]! * x + r[1]! * y + r[2]! * z) + t.translation[0]!;
    out[i + 1] = s * (r[3]! * x + r[4]! * y + r[5]! * z) + t.translation[1]!;
    out[i + 2] = s * (r[6]! * x + r[7]! * y + r[8]! * z) + t.translation[2]!;
  }
  return out;
}

/** a ∘ b (apply b first). */
export function composeTransforms(a: Similarity, b: Similarity): Similarity {
  const rotation = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      rotation[3 * i + j] = a.rotation[3 * i]! * b.rotation[j]! + a.rotation[3 * i + 1]! * b.rotation[3 + j]! + a.rotation[3 * i + 2]! * b.rotation[6 + j]!;
    }
  }
  const translation = applyTransform(a, b.translation);
  return { scale: a.scale * b.scale, rotation, translation };
}

export function invertTransform(t: Similarity): Similarity {
  const r = t.rotation;
  const rotation = new Float64Array([r[0]!, r[3]!, r[6]!, r[1]!, r[4]!, r[7]!, r[2]!, r[5]!, r[8]!]);
  const inv: Similarity = { scale: 1 / t.scale, rotation, translation: new Float64Array(3) };
  const mt = applyTransform(inv, t.translation);
  inv.translation.set([-mt[0]!, -mt[1]!, -mt[2]!]);
  return inv;
}

/** Largest-eigenvalue eigenvector of a symmetric 4x4 matrix (cyclic Jacobi). */
function largestEigenvector4(a: Float64Array): Float64Array {
  const n = 4;
  const m = Float64Array.from(a);
  const v = new Float64Array(16);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < n; p++) {
      diag += m[p * n + p]! ** 2;
      for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p]!;
          const mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!;
          const mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i < n; i++) if (m[i * n + i]! > m[best * n + best]!) best = i;
  return new Float64Array([v[best]!, v[n + best]!, v[2 * n + best]!, v[3 * n + best]!]);
}

/**
 * Least-squares transform mapping `src` onto `dst` (n x 3 each, n >= 3 non-collinear), with or without scale.
 * `weights` (n, optional, >= 0) weight each pair. Points with a non-finite coordinate are skipped.
 */
export function fitTransform(src: ArrayLike<number>, dst: ArrayLike<number>, options: { scale?: boolean; weights?: ArrayLike<number> } = {}): Similarity {
  const n = src.length / 3;
  if (dst.length !== src.length) throw new RangeError(`fitTransform: ${n} source points but ${dst.length / 3} targets`);
  const cs = [0, 0, 0];
  const cd = [0, 0, 0];
  let wsum = 0;
  const ok = (i: number) =>
    Number.isFinite(src[3 * i]! + src[3 * i + 1]! + src[3 * i + 2]! + dst[3 * i]! + dst[3 * i + 1]! + dst[3 * i + 2]!) && (options.weights ? options.weights[i]! > 0 : true);
  for (let i = 0; i < n; i++) {
    if (!ok(i)) continue;
    const w = options.weights ? options.weights[i]! : 1;
    wsum += w;
    for (let k = 0; k < 3; k++) {
      cs[k] = cs[k]! + w * src[3 * i + k]!;
      cd[k] = cd[k]! + w * dst[3 * i + k]!;
    }
  }
  if (!(wsum > 0)) throw new RangeError('fitTransform: no valid point pairs');
  for (let k = 0; k < 3; k++) {
    cs[k] = cs[k]! / wsum;
    cd[k] = cd[k]! / wsum;
  }
  // Cross-covariance S = sum w (src - cs)(dst - cd)^T and the source variance.
  const S = new Float64Array(9);
  let varSrc = 0;
  for (let i = 0; i < n; i++) {
    if (!ok(i)) continue;
    const w = options.weights ? options.weights[i]! : 1;
    const a0 = src[3 * i]! - cs[0]!;
    const a1 = src[3 * i + 1]! - cs[1]!;
    const a2 = src[3 * i + 2]! - cs[2]!;
    const b0 = dst[3 * i]! - cd[0]!;
    const b1 = dst[3 * i + 1]! - cd[1]!;
    const b2 = dst[3 * i + 2]! - cd[2]!;
    varSrc += w * (a0 * a0 + a1 * a1 + a2 * a2);
    const a = [a0, a1, a2];
    const b = [b0, b1, b2];
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) S[3 * r + c] = S[3 * r + c]! + w * a[r]! * b[c]!;
  }
  const [sxx, sxy, sxz, syx, syy, syz, szx, szy, szz] = S as unknown as number[];
  // Horn 1987, eq. for N.
  const N = new Float64Array([
    sxx! + syy! + szz!, syz! - szy!, szx! - sxz!, sxy! - syx!,
    syz! - szy!, sxx! - syy! - szz!, sxy! + syx!, szx! + sxz!,
    szx! - sxz!, sxy! + syx!, -sxx! + syy! - szz!, syz! + szy!,
    sxy! - syx!, szx! + sxz!, syz! + szy!, -sxx! - syy! + szz!,
  ]);
  const [q0, qx, qy, qz] = largestEigenvector4(N) as unknown as [number, number, number, number];
  const rotation = new Float64Array([
    q0 * q0 + qx * qx - qy * qy - qz * qz, 2 * (qx * qy - q0 * qz), 2 * (qx * qz + q0 * qy),
    2 * (qy * qx + q0 * qz), q0 * q0 - qx * qx + qy * qy - qz * qz, 2 * (qy * qz - q0 * qx),
    2 * (qz * qx - q0 * qy), 2 * (qz * qy + q0 * qx), q0 * q0 - qx * qx - qy * qy + qz * qz,
  ]);
  let scale = 1;
  if (options.scale) {
    // trace(R^T S^T)... written out: sum_i (d_i - cd) · R (s_i - cs) = sum_rc R[r][c] S[c][r].
    let num = 0;
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) num += rotation[3 * r + c]! * S[3 * c + r]!;
    scale = varSrc > 0 ? num / varSrc : 1;
  }
  const t: Similarity = { scale, rotation, translation: new Float64Array(3) };
  const mc = applyTransform(t, cs);
  t.translation.set([cd[0]! - mc[0]!, cd[1]! - mc[1]!, cd[2]! - mc[2]!]);
  return t;
}
