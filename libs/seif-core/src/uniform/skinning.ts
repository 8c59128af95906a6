/**
 * Public API. Linear blend skinning of extra geometry (the hair mesh, the uniformized FLAME mesh) with the joint
 * transforms of a FLAME evaluation, so that it moves exactly as libs/flame moves the head:
 *
 *     x = sum_k w_k T_k x_rest,    T_k = placement o (scale * G_k + translation),   G_k x = R_k (x - J_k) + g_k
 *
 * with R_k, g_k and J_k the evaluator's own world rotations, posed joints and rest joints (HeadEvaluator exposes
 * them), so the kinematic chain is not re-derived here; only its last step, the per-joint affine map, is written
 * out (evaluate.ts keeps that one private). `placement` is where the model sits in the output space: the SeIF frame
 * for a fit (fitPlacement) or any similarity.
 *
 * Transforms are flat Float64Arrays, 12 numbers per joint: a row-major 3x4 [A | t].
 */
import type { FlameParams, HeadEvaluator } from '@seif/flame';
import type { FitCamera } from '../stages/fit.js';

/** Where model space lands in the output space: out = scale * rotation * x + offset. */
export interface Placement {
  scale: number;
  /** Row-major 3x3 (default identity). */
  rotation?: ArrayLike<number>;
  offset: ArrayLike<number>;
}

/** A fit's model -> SeIF frame map (stages/fit.ts modelToFrame): X = s/2 x + tx/2, Y = s/2 y - ty/2, Z = s/2 z. */
export function fitPlacement(camera: FitCamera): Placement {
  return { scale: camera.scale / 2, offset: [camera.tx / 2, -camera.ty / 2, 0] };
}

const scratchVertices = new WeakMap<HeadEvaluator, Float32Array>();
const _A = new Float64Array(9);
const _b = new Float64Array(3);

/**
 * Evaluates `params` with `evaluator` and returns the joint transforms of that evaluation composed with the
 * params' scale/translation and `placement` (12 per joint, into `out`). Afterwards `evaluator.shaped` holds the
 * rest vertices these transforms pose: skinPoints(evaluator.shaped, model.skinWeights, ...) equals evaluate().
 */
export function skinningTransforms(evaluator: HeadEvaluator, params: FlameParams, placement?: Placement, out?: Float64Array): Float64Array {
  const model = evaluator.model;
  const J = model.joints.names.length;
  const result = out ?? new Float64Array(12 * J);
  if (result.length < 12 * J) throw new RangeError(`skinningTransforms: out holds ${result.length} values, needs ${12 * J}`);
  let scratch = scratchVertices.get(evaluator);
  if (!scratch) scratchVertices.set(evaluator, (scratch = new Float32Array(3 * model.vertexCount)));
  evaluator.evaluate(params, scratch);
  const R = evaluator.worldRotations, g = evaluator.worldJoints, rest = evaluator.restJoints;
  const s = params.scale ?? 1;
  const t = params.translation;
  const P = placement?.rotation;
  const ps = placement?.scale ?? 1;
  for (let k = 0; k < J; k++) {
    // Model-space affine of joint k: A = s R_k, b = s (g_k - R_k J_k) + t.
    const A = _A, b = _b;
    for (let r = 0; r < 3; r++) {
      let rj = 0;
      for (let c = 0; c < 3; c++) {
        A[3 * r + c] = s * R[9 * k + 3 * r + c]!;
        rj += R[9 * k + 3 * r + c]! * rest[3 * k + c]!;
      }
      b[r] = s * (g[3 * k + r]! - rj) + (t ? t[r]! : 0);
    }
    // Then the placement: ps * P * (A x + b) + offset.
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 4; c++) {
        let v = 0;
        for (let m = 0; m < 3; m++) {
          const pm = P ? P[3 * r + m]! : r === m ? 1 : 0;
          v += pm * (c < 3 ? A[3 * m + c]! : b[m]!);
        }
        result[12 * k + 4 * r + c] = ps * v + (c === 3 && placement ? placement.offset[r]! : 0);
      }
    }
  }
  return result;
}

/** Identity transforms for `jointCount` joints (a mesh that is its own rest pose). */
export function identityTransforms(jointCount: number): Float64Array {
  const out = new Float64Array(12 * jointCount);
  for (let k = 0; k < jointCount; k++) { out[12 * k] = 1; out[12 * k + 5] = 1; out[12 * k + 10] = 1; }
  return out;
}

/** out_i = sum_k w_ik T_k x_i: rest points (n x 3) posed by the blended transforms. Zero weights are skipped. */
export function skinPoints(rest: ArrayLike<number>, weights: ArrayLike<number>, jointCount: number, transforms: Float64Array, out = new Float32Array(rest.length)): Float32Array {
  const n = rest.length / 3;
  for (let i = 0; i < n; i++) {
    const x = rest[3 * i]!, y = rest[3 * i + 1]!, z = rest[3 * i + 2]!;
    let ox = 0, oy = 0, oz = 0;
    for (let k = 0; k < jointCount; k++) {
      const w = weights[i * jointCount + k]!;
      if (w === 0) continue;
      const T = 12 * k;
      ox += w * (transforms[T]! * x + transforms[T + 1]! * y + transforms[T + 2]! * z + transforms[T + 3]!);
      oy += w * (transforms[T + 4]! * x + transforms[T + 5]! * y + transforms[T + 6]! * z + transforms[T + 7]!);
      oz += w * (transforms[T + 8]! * x + transforms[T + 9]! * y + transforms[T + 10]! * z + transforms[T + 11]!);
    }
    out[3 * i] = ox; out[3 * i + 1] = oy; out[3 * i + 2] = oz;
  }
  return out;
}

/**
 * The inverse of skinPoints: the rest points that the blended transforms pose onto `posed`. Per point, the blended
 * 3x4 [A | t] is inverted (A is a blend of scaled rotations, invertible unless joints nearly oppose each other;
 * such a point keeps its posed position minus t, a defined answer).
 */
export function unskinPoints(posed: ArrayLike<number>, weights: ArrayLike<number>, jointCount: number, transforms: Float64Array, out = new Float32Array(posed.length)): Float32Array {
  const n = posed.length / 3;
  for (let i = 0; i < n; i++) {
    let a00 = 0, a01 = 0, a02 = 0, a10 = 0, a11 = 0, a12 = 0, a20 = 0, a21 = 0, a22 = 0, t0 = 0, t1 = 0, t2 = 0;
    for (let k = 0; k < jointCount; k++) {
      const w = weights[i * jointCount + k]!;
      if (w === 0) continue;
      const T = 12 * k;
      a00 += w * transforms[T]!; a01 += w * transforms[T + 1]!; a02 += w * transforms[T + 2]!; t0 += w * transforms[T + 3]!;
      a10 += w * transforms[T + 4]!; a11 += w * transforms[T + 5]!; a12 += w * transforms[T + 6]!; t1 += w * transforms[T + 7]!;
      a20 += w * transforms[T + 8]!; a21 += w * transforms[T + 9]!; a22 += w * transforms[T + 10]!; t2 += w * transforms[T + 11]!;
    }
    const x = posed[3 * i]! - t0, y = posed[3 * i + 1]! - t1, z = posed[3 * i + 2]! - t2;
    const c00 = a11 * a22 - a12 * a21, c01 = a02 * a21 - a01 * a22, c02 = a01 * a12 - a02 * a11;
    const c10 = a12 * a20 - a10 * a22, c11 = a00 * a22 - a02 * a20, c12 = a02 * a10 - a00 * a12;
    const c20 = a10 * a21 - a11 * a20, c21 = a01 * a20 - a00 * a21, c22 = a00 * a11 - a01 * a10;
    const det = a00 * c00 + a01 * c10 + a02 * c20;
    // Relative test: the transforms may carry any scale (metres, frame units).
    const norm = a00 * a00 + a01 * a01 + a02 * a02 + a10 * a10 + a11 * a11 + a12 * a12 + a20 * a20 + a21 * a21 + a22 * a22;
    if (!(Math.abs(det) > 1e-9 * norm * Math.sqrt(norm))) {
      out[3 * i] = x; out[3 * i + 1] = y; out[3 * i + 2] = z;
      continue;
    }
    out[3 * i] = (c00 * x + c01 * y + c02 * z) / det;
    out[3 * i + 1] = (c10 * x + c11 * y + c12 * z) / det;
    out[3 * i + 2] = (c20 * x + c21 * y + c22 * z) / det;
  }
  return out;
}
