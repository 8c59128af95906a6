/**
 * Public API. The forward model, in the same order as the GPU path: blendshapes (identity, expression, pose
 * correctives) first, then joints by the regressor, then linear blend skinning, then scale and translation.
 *
 *   v_shaped = template + identity . beta + expression . psi
 *   J        = regressor . v_shaped
 *   v_posed  = v_shaped + correctives . vec(R_k - I), k = 1..J-1        (official FLAME only)
 *   x        = scale * sum_j w_j G_j (v_posed - J_j) + translation      (G_j = world transform of joint j)
 *
 * No allocation per call: an evaluator owns its scratch, and `evaluate(model, params, out)` reuses one cached
 * evaluator per model. The identity-shaped template is cached while beta stays the same (animation changes
 * expression and pose, not identity), which is what keeps a frame well under a millisecond.
 */
import { FlameError } from '../errors.js';
import type { HeadModel } from './head-model.js';
import { rodrigues } from './rotation.js';

export interface FlameParams {
  /** Identity coefficients beta (at most the model's identity count; missing ones are 0). */
  identity?: ArrayLike<number>;
  /** Expression coefficients: ARKit weights in [0, 1] for the default model, FLAME psi for official ones. */
  expression?: ArrayLike<number>;
  /** Axis-angle per joint, 3 x jointCount: global, neck, jaw, eye_l, eye_r. */
  pose?: ArrayLike<number>;
  /** Added after skinning and scaling, metres. */
  translation?: ArrayLike<number>;
  /** Uniform scale about the model origin, applied after skinning (default 1). */
  scale?: number;
}

/** Throws BAD_VALUE / BAD_SHAPE naming the offending parameter. */
export function checkParams(model: HeadModel, params: FlameParams): void {
  const check = (name: string, values: ArrayLike<number> | undefined, max: number, exact = false) => {
    if (!values) return;
    if (values.length > max || (exact && values.length !== max)) {
      throw new FlameError('BAD_SHAPE', `${name} has ${values.length} values; model ${model.name} takes ${exact ? '' : 'at most '}${max}`);
    }
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) throw new FlameError('BAD_VALUE', `${name}[${i}] is ${values[i]}; parameters must be finite numbers`);
    }
  };
  check('identity', params.identity, model.identity.names.length);
  check('expression', params.expression, model.expression.names.length);
  check('pose', params.pose, 3 * model.joints.names.length);
  check('translation', params.translation, 3, true);
  if (params.scale !== undefined && !(Number.isFinite(params.scale) && params.scale > 0)) {
    throw new FlameError('BAD_VALUE', `scale is ${params.scale}; it must be a finite positive number`);
  }
}

export class HeadEvaluator {
  readonly model: HeadModel;
  /** Rest joint positions of the last evaluation (jointCount x 3). */
  readonly restJoints: Float64Array;
  /** World rotation (row-major 3x3) per joint of the last evaluation. */
  readonly worldRotations: Float64Array;
  /** World joint positions after posing (before scale/translation). */
  readonly worldJoints: Float64Array;
  /** Local rotation per joint. */
  readonly localRotations: Float64Array;
  /** Shaped (and pose-corrected) rest vertices of the last evaluation. */
  readonly shaped: Float32Array;

  readonly #identityShaped: Float32Array;
  readonly #lastIdentity: Float64Array;
  #identityValid = false;
  readonly #skin: Float64Array; // jointCount x 12: [R | t - R J]
  readonly #regIndex: Uint32Array[];
  readonly #regWeight: Float64Array[];
  readonly #jointCount: number;

  constructor(model: HeadModel) {
    this.model = model;
    const j = (this.#jointCount = model.joints.names.length);
    const n = model.vertexCount;
    this.restJoints = new Float64Array(3 * j);
    this.worldRotations = new Float64Array(9 * j);
    this.worldJoints = new Float64Array(3 * j);
    this.localRotations = new Float64Array(9 * j);
    this.shaped = new Float32Array(3 * n);
    this.#identityShaped = new Float32Array(3 * n);
    this.#lastIdentity = new Float64Array(model.identity.names.length);
    this.#skin = new Float64Array(12 * j);
    // The regressor is sparse (FLAME: 6-15 vertices per joint); keep only the non-zeros.
    this.#regIndex = [];
    this.#regWeight = [];
    for (let k = 0; k < j; k++) {
      const idx: number[] = [];
      const w: number[] = [];
      for (let v = 0; v < n; v++) {
        const value = model.joints.regressor[k * n + v] as number;
        if (value !== 0) {
          idx.push(v);
          w.push(value);
        }
      }
      this.#regIndex.push(Uint32Array.from(idx));
      this.#regWeight.push(Float64Array.from(w));
    }
  }

  #updateIdentity(beta: ArrayLike<number> | undefined): void {
    const count = this.model.identity.names.length;
    let same = this.#identityValid;
    for (let i = 0; i < count && same; i++) same = (beta && i < beta.length ? (beta[i] as number) : 0) === this.#lastIdentity[i];
    if (same) return;
    const out = this.#identityShaped;
    out.set(this.model.template);
    const stride = out.length;
    const deltas = this.model.identity.deltas;
    for (let i = 0; i < count; i++) {
      const b = beta && i < beta.length ? (beta[i] as number) : 0;
      this.#lastIdentity[i] = b;
      if (b === 0) continue;
      const base = i * stride;
      for (let k = 0; k < stride; k++) out[k] = (out[k] as number) + b * (deltas[base + k] as number);
    }
    this.#identityValid = true;
  }

  /** Writes posed vertices (vertexCount x 3) into `out` and returns it. */
  evaluate(params: FlameParams, out: Float32Array = new Float32Array(3 * this.model.vertexCount)): Float32Array {
    const model = this.model;
    const n = model.vertexCount;
    const j = this.#jointCount;
    if (out.length < 3 * n) throw new FlameError('BAD_SHAPE', `output has ${out.length} values; needs ${3 * n}`);
    checkParams(model, params);

    // 1. Blendshapes.
    this.#updateIdentity(params.identity);
    const shaped = this.shaped;
    shaped.set(this.#identityShaped);
    const stride = 3 * n;
    const psi = params.expression;
    if (psi) {
      const deltas = model.expression.deltas;
      for (let i = 0; i < psi.length; i++) {
        const e = psi[i] as number;
        if (e === 0) continue;
        const base = i * stride;
        for (let k = 0; k < stride; k++) shaped[k] = (shaped[k] as number) + e * (deltas[base + k] as number);
      }
    }

    // 2. Joints.
    const rest = this.restJoints;
    for (let k = 0; k < j; k++) {
      let x = 0, y = 0, z = 0;
      const idx = this.#regIndex[k] as Uint32Array;
      const w = this.#regWeight[k] as Float64Array;
      for (let m = 0; m < idx.length; m++) {
        const v = 3 * (idx[m] as number);
        const wm = w[m] as number;
        x += wm * (shaped[v] as number);
        y += wm * (shaped[v + 1] as number);
        z += wm * (shaped[v + 2] as number);
      }
      rest[3 * k] = x; rest[3 * k + 1] = y; rest[3 * k + 2] = z;
    }

    // 3. Kinematic chain.
    const pose = params.pose;
    const local = this.localRotations;
    const world = this.worldRotations;
    const wj = this.worldJoints;
    const parents = model.joints.parents;
    for (let k = 0; k < j; k++) {
      rodrigues(pose ? ((pose[3 * k] as number) ?? 0) : 0, pose ? ((pose[3 * k + 1] as number) ?? 0) : 0, pose ? ((pose[3 * k + 2] as number) ?? 0) : 0, local, 9 * k);
      const p = parents[k] as number;
      if (p < 0) {
        for (let m = 0; m < 9; m++) world[9 * k + m] = local[9 * k + m] as number;
        wj[3 * k] = rest[3 * k] as number; wj[3 * k + 1] = rest[3 * k + 1] as number; wj[3 * k + 2] = rest[3 * k + 2] as number;
      } else {
        for (let r = 0; r < 3; r++) {
          for (let c = 0; c < 3; c++) {
            world[9 * k + 3 * r + c] =
              (world[9 * p + 3 * r] as number) * (local[9 * k + c] as number) +
              (world[9 * p + 3 * r + 1] as number) * (local[9 * k + 3 + c] as number) +
              (world[9 * p + 3 * r + 2] as number) * (local[9 * k + 6 + c] as number);
          }
        }
        const dx = (rest[3 * k] as number) - (rest[3 * p] as number);
        const dy = (rest[3 * k + 1] as number) - (rest[3 * p + 1] as number);
        const dz = (rest[3 * k + 2] as number) - (rest[3 * p + 2] as number);
        for (let r = 0; r < 3; r++) {
          wj[3 * k + r] = (wj[3 * p + r] as number) + (world[9 * p + 3 * r] as number) * dx + (world[9 * p + 3 * r + 1] as number) * dy + (world[9 * p + 3 * r + 2] as number) * dz;
        }
      }
    }

    // 4. Pose correctives (official FLAME): driven by (R_k - I) of every non-root joint.
    const correctives = model.poseCorrectives;
    if (correctives && pose) {
      for (let k = 1; k < j; k++) {
        for (let m = 0; m < 9; m++) {
          const f = (local[9 * k + m] as number) - (m % 4 === 0 ? 1 : 0);
          if (f === 0) continue;
          const base = (9 * (k - 1) + m) * stride;
          for (let q = 0; q < stride; q++) shaped[q] = (shaped[q] as number) + f * (correctives[base + q] as number);
        }
      }
    }

    // 5. Skinning transforms [R | g - R J], then blend.
    const skin = this.#skin;
    for (let k = 0; k < j; k++) {
      const jx = rest[3 * k] as number, jy = rest[3 * k + 1] as number, jz = rest[3 * k + 2] as number;
      for (let r = 0; r < 3; r++) {
        const r0 = world[9 * k + 3 * r] as number, r1 = world[9 * k + 3 * r + 1] as number, r2 = world[9 * k + 3 * r + 2] as number;
        skin[12 * k + 4 * r] = r0;
        skin[12 * k + 4 * r + 1] = r1;
        skin[12 * k + 4 * r + 2] = r2;
        skin[12 * k + 4 * r + 3] = (wj[3 * k + r] as number) - (r0 * jx + r1 * jy + r2 * jz);
      }
    }
    const weights = model.skinWeights;
    const s = params.scale ?? 1;
    const t = params.translation;
    const tx = t ? (t[0] as number) : 0, ty = t ? (t[1] as number) : 0, tz = t ? (t[2] as number) : 0;
    for (let v = 0; v < n; v++) {
      const x = shaped[3 * v] as number, y = shaped[3 * v + 1] as number, z = shaped[3 * v + 2] as number;
      let ox = 0, oy = 0, oz = 0;
      for (let k = 0; k < j; k++) {
        const w = weights[v * j + k] as number;
        if (w === 0) continue;
        const o = 12 * k;
        ox += w * ((skin[o] as number) * x + (skin[o + 1] as number) * y + (skin[o + 2] as number) * z + (skin[o + 3] as number));
        oy += w * ((skin[o + 4] as number) * x + (skin[o + 5] as number) * y + (skin[o + 6] as number) * z + (skin[o + 7] as number));
        oz += w * ((skin[o + 8] as number) * x + (skin[o + 9] as number) * y + (skin[o + 10] as number) * z + (skin[o + 11] as number));
      }
      out[3 * v] = s * ox + tx;
      out[3 * v + 1] = s * oy + ty;
      out[3 * v + 2] = s * oz + tz;
    }
    return out;
  }
}

const evaluators = new WeakMap<HeadModel, HeadEvaluator>();

/** The shared evaluator of a model (created once). Not re-entrant across async boundaries: use your own for that. */
export function evaluatorFor(model: HeadModel): HeadEvaluator {
  let evaluator = evaluators.get(model);
  if (!evaluator) {
    evaluator = new HeadEvaluator(model);
    evaluators.set(model, evaluator);
  }
  return evaluator;
}

/** Posed vertices of `model` at `params` into `out` (allocated when omitted). */
export function evaluate(model: HeadModel, params: FlameParams, out?: Float32Array): Float32Array {
  return evaluatorFor(model).evaluate(params, out);
}

/** Positions of an embedded landmark set on posed vertices (landmarks x 3). */
export function sampleLandmarks(
  model: HeadModel,
  vertices: ArrayLike<number>,
  embedding: { faceIndex: ArrayLike<number>; barycentric: ArrayLike<number> },
  out: Float32Array = new Float32Array(3 * embedding.faceIndex.length),
): Float32Array {
  const faces = model.faces;
  for (let l = 0; l < embedding.faceIndex.length; l++) {
    const f = 3 * (embedding.faceIndex[l] as number);
    let x = 0, y = 0, z = 0;
    for (let c = 0; c < 3; c++) {
      const v = 3 * (faces[f + c] as number);
      const b = embedding.barycentric[3 * l + c] as number;
      x += b * (vertices[v] as number);
      y += b * (vertices[v + 1] as number);
      z += b * (vertices[v + 2] as number);
    }
    out[3 * l] = x; out[3 * l + 1] = y; out[3 * l + 2] = z;
  }
  return out;
}

/** Throws BAD_VALUE naming the likely cause when vertices contain NaN (after bulk work, as three.js does). */
export function assertFiniteVertices(vertices: Float32Array, what: string): void {
  for (let i = 0; i < vertices.length; i++) {
    if (!Number.isFinite(vertices[i])) {
      throw new FlameError('BAD_VALUE', `${what}: vertex ${Math.floor(i / 3)} is ${vertices[i]}; a blendshape, weight or parameter is NaN or infinite`);
    }
  }
}
