/**
 * Public API. Fits the head model to 2D or 3D landmarks with Levenberg-Marquardt and analytic Jacobians:
 * identity, expression (ARKit weights boxed to [0, 1]; unbounded psi for official FLAME), jaw, neck, eye gaze,
 * head pose, and the camera (orthographic / weak perspective, or pinhole). Landmarks are an embedding of the
 * model ('mediapipe478', 'mediapipe105', or 'ibug68' = RingNet static + yaw-dependent contour).
 *
 * Cost = sum_l rho(|proj(x_l) - target_l| / unit) + priors, with rho Huber (IRLS) and `unit` the RMS spread of
 * the targets, so prior weights mean the same for pixels, normalised crops and metres: a prior weight of
 * sigma^2 is the MAP prior for beta ~ N(0, 1) when landmark noise is sigma in those normalised units.
 *
 * Camera conventions (image v grows downward, as in ARCHITECTURE.md):
 *   orthographic: u = s * X + tx, v = -s * Y + ty   (SeIF's crop frame is s = 2 with tx = ty = 0)
 *   pinhole:      camera at the origin looking down -z; u = cx - f X / Z, v = cy + f Y / Z
 */
import { FlameError } from '../errors.js';
import type { HeadModel, LandmarkEmbedding } from '../model/head-model.js';
import type { FlameParams } from '../model/evaluate.js';
import { rodrigues, rodriguesDerivative } from '../model/rotation.js';
import { levenbergMarquardt } from './lm.js';

export type Camera =
  | { type: 'orthographic'; scale: number; tx: number; ty: number }
  | { type: 'pinhole'; focal: number; cx: number; cy: number };

export interface FitGroups {
  /** Number of identity components to fit (0 = keep the initial identity). Default: all. */
  identity?: number;
  expression?: boolean;
  jaw?: boolean;
  neck?: boolean;
  eyes?: boolean;
  /** Global rotation and translation. */
  pose?: boolean;
  /** Orthographic: scale and offset. Pinhole: focal length (principal point stays). */
  camera?: boolean;
  /** Model scale (3D targets only). */
  scale?: boolean;
}

export interface FitPriors {
  identity?: number;
  expression?: number;
  jaw?: number;
  neck?: number;
  eyes?: number;
}

export interface FitLandmarksInput {
  /** Embedding name in model.landmarks, or 'ibug68'. */
  landmarks: string;
  /** Targets: L x 2 (image) or L x 3 (model space, metres). */
  targets: Float32Array | Float64Array;
  dimensions: 2 | 3;
  /** Per-landmark confidence in [0, 1] (0 ignores a landmark). */
  confidence?: ArrayLike<number>;
  /** Required for 2D targets. The initial camera; fitted when groups.camera. */
  camera?: Camera;
  initial?: FlameParams;
  groups?: FitGroups;
  priors?: FitPriors;
  /** Huber threshold in normalised units (default 0.02 ~ 2% of the face size); 0 disables robust weighting. */
  robust?: number;
  maxIterations?: number;
}

export interface FitLandmarksResult {
  params: Required<Pick<FlameParams, 'identity' | 'expression' | 'pose' | 'translation'>> & { scale: number };
  camera?: Camera;
  iterations: number;
  /** Root mean square landmark error in target units (pixels for 2D, metres for 3D), before robust weights. */
  rmse: number;
  /** Per-landmark fitted positions in target units. */
  fitted: Float64Array;
  milliseconds: number;
}

const DEFAULT_PRIORS: Required<FitPriors> = { identity: 1e-4, expression: 1e-5, jaw: 1e-4, neck: 1e-3, eyes: 1e-4 };

/** Embedding points: per landmark the three vertex slots (into a compact unique-vertex list) and weights. */
interface Points {
  vertices: Uint32Array;
  slots: Uint32Array;
  bary: Float64Array;
}

function pointsFor(model: HeadModel, embeddings: LandmarkEmbedding[]): Points {
  const index = new Map<number, number>();
  const vertices: number[] = [];
  const total = embeddings.reduce((s, e) => s + e.faceIndex.length, 0);
  const slots = new Uint32Array(3 * total);
  const bary = new Float64Array(3 * total);
  let l = 0;
  for (const e of embeddings) {
    for (let k = 0; k < e.faceIndex.length; k++, l++) {
      for (let c = 0; c < 3; c++) {
        const v = model.faces[3 * e.faceIndex[k]! + c]!;
        let slot = index.get(v);
        if (slot === undefined) {
          slot = vertices.length;
          index.set(v, slot);
          vertices.push(v);
        }
        slots[3 * l + c] = slot;
        bary[3 * l + c] = e.barycentric[3 * k + c]!;
      }
    }
  }
  return { vertices: Uint32Array.from(vertices), slots, bary };
}

/** Picks the RingNet contour bin for a head yaw (radians). */
export function contourBin(model: HeadModel, yaw: number): number {
  const contour = model.dynamicContour;
  if (!contour) return -1;
  let best = 0;
  for (let i = 1; i < contour.yaw.length; i++) if (Math.abs(contour.yaw[i]! - yaw) < Math.abs(contour.yaw[best]! - yaw)) best = i;
  return best;
}

/** iBUG-68 embedding at a yaw: contour (0-16) from the dynamic bin, 17-67 static. */
export function ibug68Embedding(model: HeadModel, yaw = 0): LandmarkEmbedding {
  const contour = model.dynamicContour;
  const fixed = model.landmarks.ibug68_static;
  if (!contour || !fixed) throw new FlameError('UNKNOWN_NAME', `model ${model.name} has no iBUG-68 embedding (needs ibug68_static and a dynamic contour)`);
  const bin = contourBin(model, yaw);
  const p = contour.pointsPerBin;
  const faceIndex = new Uint32Array(p + fixed.faceIndex.length);
  const barycentric = new Float32Array(3 * faceIndex.length);
  faceIndex.set(contour.faceIndex.subarray(bin * p, (bin + 1) * p));
  barycentric.set(contour.barycentric.subarray(3 * bin * p, 3 * (bin + 1) * p));
  faceIndex.set(fixed.faceIndex, p);
  barycentric.set(fixed.barycentric, 3 * p);
  return { faceIndex, barycentric };
}

function embeddingFor(model: HeadModel, name: string, yaw: number): LandmarkEmbedding {
  if (name === 'ibug68') return ibug68Embedding(model, yaw);
  const e = model.landmarks[name];
  if (!e) throw new FlameError('UNKNOWN_NAME', `landmark set "${name}" is not in model ${model.name} (has: ${[...Object.keys(model.landmarks), ...(model.dynamicContour ? ['ibug68'] : [])].join(', ')})`);
  return e;
}

/** Yaw (rotation about +y) of a rotation matrix, as DECA picks the contour bin. */
function yawOf(r: Float64Array): number {
  return Math.asin(Math.max(-1, Math.min(1, -r[6]!)));
}

/** @internal The least-squares problem fitLandmarks solves; exported for the Jacobian test. */
export function createFitProblem(model: HeadModel, input: FitLandmarksInput) {
  const dims = input.dimensions;
  if (dims !== 2 && dims !== 3) throw new FlameError('BAD_VALUE', `dimensions must be 2 or 3, is ${String(dims)}`);
  const initialPose = new Float64Array(3 * model.joints.names.length);
  if (input.initial?.pose) initialPose.set(Array.from(input.initial.pose));
  rodrigues(initialPose[0]!, initialPose[1]!, initialPose[2]!, _rot);
  let embedding = embeddingFor(model, input.landmarks, yawOf(_rot));
  const L = embedding.faceIndex.length;
  if (input.targets.length !== dims * L) {
    throw new FlameError('BAD_SHAPE', `targets have ${input.targets.length} values; landmark set ${input.landmarks} needs ${L} x ${dims} = ${dims * L}`);
  }
  for (let i = 0; i < input.targets.length; i++) {
    if (!Number.isFinite(input.targets[i])) throw new FlameError('BAD_VALUE', `targets[${i}] is ${input.targets[i]}; landmarks must be finite (give confidence 0 to ignore a point)`);
  }
  if (input.confidence && input.confidence.length !== L) throw new FlameError('BAD_SHAPE', `confidence has ${input.confidence.length} values, needs ${L}`);
  if (dims === 2 && !input.camera) throw new FlameError('BAD_VALUE', '2D targets need a camera (orthographic or pinhole) to start from');

  const groups: Required<FitGroups> = {
    identity: model.identity.names.length,
    expression: model.expression.names.length > 0,
    jaw: true,
    neck: false,
    eyes: true,
    pose: true,
    camera: dims === 2,
    scale: false,
    ...input.groups,
  };
  groups.identity = Math.min(groups.identity, model.identity.names.length);
  const priors = { ...DEFAULT_PRIORS, ...input.priors };
  const camera: Camera | undefined = input.camera ? { ...input.camera } : undefined;
  const pinhole = camera?.type === 'pinhole';
  const arkit = model.expression.names.some((n) => /_L$|_R$|Left$|Right$/.test(n));

  // Parameter layout.
  const nId = groups.identity;
  const nExp = groups.expression ? model.expression.names.length : 0;
  const jointFree = [groups.pose, groups.neck, groups.jaw, groups.eyes, groups.eyes];
  const layout = { id: 0, exp: nId, joints: [] as number[], trans: -1, scale: -1, cam: -1 };
  let count = nId + nExp;
  for (let k = 0; k < 5; k++) {
    layout.joints.push(jointFree[k] ? count : -1);
    if (jointFree[k]) count += 3;
  }
  // Orthographic 2D: the camera offset plays the translation; pinhole and 3D fit the model translation.
  const fitTranslation = groups.pose && (dims === 3 || pinhole);
  if (fitTranslation) { layout.trans = count; count += 3; }
  if (groups.scale && dims === 3) { layout.scale = count; count += 1; }
  if (groups.camera && camera) { layout.cam = count; count += camera.type === 'orthographic' ? 3 : 1; }

  const x0 = new Float64Array(count);
  const lower = new Float64Array(count).fill(-Infinity);
  const upper = new Float64Array(count).fill(Infinity);
  const beta = new Float64Array(model.identity.names.length);
  if (input.initial?.identity) beta.set(Array.from(input.initial.identity));
  const psi = new Float64Array(model.expression.names.length);
  if (input.initial?.expression) psi.set(Array.from(input.initial.expression));
  const translation = new Float64Array(3);
  if (input.initial?.translation) translation.set(Array.from(input.initial.translation));
  let modelScale = input.initial?.scale ?? 1;
  for (let i = 0; i < nId; i++) x0[i] = beta[i]!;
  for (let i = 0; i < nExp; i++) {
    x0[nId + i] = psi[i]!;
    if (arkit) { lower[nId + i] = 0; upper[nId + i] = 1; }
  }
  for (let k = 0; k < 5; k++) if (layout.joints[k]! >= 0) for (let a = 0; a < 3; a++) x0[layout.joints[k]! + a] = initialPose[3 * k + a]!;
  if (layout.joints[2]! >= 0) {
    // The jaw opens (+x) up to ~0.6 rad and barely twists or opens backwards.
    lower[layout.joints[2]!] = -0.05; upper[layout.joints[2]!] = 0.7;
    lower[layout.joints[2]! + 1] = -0.2; upper[layout.joints[2]! + 1] = 0.2;
    lower[layout.joints[2]! + 2] = -0.2; upper[layout.joints[2]! + 2] = 0.2;
  }
  for (const k of [3, 4]) if (layout.joints[k]! >= 0) for (let a = 0; a < 3; a++) { lower[layout.joints[k]! + a] = -0.6; upper[layout.joints[k]! + a] = 0.6; }
  if (layout.trans >= 0) for (let a = 0; a < 3; a++) x0[layout.trans + a] = translation[a]!;
  if (layout.scale >= 0) { x0[layout.scale] = modelScale; lower[layout.scale] = 1e-3; }
  if (layout.cam >= 0 && camera) {
    if (camera.type === 'orthographic') { x0[layout.cam] = camera.scale; x0[layout.cam + 1] = camera.tx; x0[layout.cam + 2] = camera.ty; lower[layout.cam] = 1e-9; }
    else { x0[layout.cam] = camera.focal; lower[layout.cam] = 1e-6; }
  }

  // Targets' spread for normalisation.
  const targets = Float64Array.from(input.targets);
  const conf = new Float64Array(L).fill(1);
  if (input.confidence) for (let l = 0; l < L; l++) conf[l] = Math.max(0, input.confidence[l]!);
  const centre = new Float64Array(dims);
  let wsum = 0;
  for (let l = 0; l < L; l++) { wsum += conf[l]!; for (let d = 0; d < dims; d++) centre[d] = centre[d]! + conf[l]! * targets[dims * l + d]!; }
  if (wsum <= 0) throw new FlameError('BAD_VALUE', 'every landmark has confidence 0');
  for (let d = 0; d < dims; d++) centre[d] = centre[d]! / wsum;
  let spread = 0;
  for (let l = 0; l < L; l++) for (let d = 0; d < dims; d++) spread += conf[l]! * (targets[dims * l + d]! - centre[d]!) ** 2;
  const unit = Math.sqrt(spread / wsum) || 1;
  const robust = input.robust ?? 0.02;

  // Precomputation over the unique landmark vertices.
  let points = pointsFor(model, [embedding]);
  const n = model.vertexCount;
  const J = model.joints.names.length;
  const parents = model.joints.parents;
  // Joint regressor applied to each basis shape (jointCount x 3 per shape).
  const regress = (deltas: Float32Array, shapes: number) => {
    const out = new Float64Array(shapes * J * 3);
    for (let j = 0; j < J; j++) {
      for (let v = 0; v < n; v++) {
        const w = model.joints.regressor[j * n + v]!;
        if (w === 0) continue;
        for (let s = 0; s < shapes; s++) for (let a = 0; a < 3; a++) out[(s * J + j) * 3 + a] = out[(s * J + j) * 3 + a]! + w * deltas[s * 3 * n + 3 * v + a]!;
      }
    }
    return out;
  };
  const idJ = regress(model.identity.deltas, model.identity.names.length);
  const expJ = regress(model.expression.deltas, model.expression.names.length);
  const templateJ = new Float64Array(3 * J);
  for (let j = 0; j < J; j++) for (let v = 0; v < n; v++) { const w = model.joints.regressor[j * n + v]!; if (w) for (let a = 0; a < 3; a++) templateJ[3 * j + a] = templateJ[3 * j + a]! + w * model.template[3 * v + a]!; }

  // Scratch.
  const maxU = 3 * L;
  const vRest = new Float64Array(3 * maxU);
  const X = new Float64Array(3 * maxU); // skinned, before scale/translation
  const Mv = new Float64Array(9 * maxU); // sum_j w R_j per vertex
  const dXu = new Float64Array(3 * maxU);
  const joints = new Float64Array(3 * J);
  const local = new Float64Array(9 * J);
  const world = new Float64Array(9 * J);
  const g = new Float64Array(3 * J);
  const dLocal = new Float64Array(27 * J);
  const dR = new Float64Array(9 * J);
  const dg = new Float64Array(3 * J);
  const cj = new Float64Array(3 * J);
  const P = new Float64Array(3 * L);
  const dP = new Float64Array(3 * L);
  const robustWeight = new Float64Array(L).fill(1);
  /** Columns the current stage keeps fixed (their Jacobian columns stay zero). */
  const frozen = new Uint8Array(count);

  const priorRows: { index: number; weight: number }[] = [];
  for (let i = 0; i < nId; i++) priorRows.push({ index: i, weight: Math.sqrt(priors.identity) });
  for (let i = 0; i < nExp; i++) priorRows.push({ index: nId + i, weight: Math.sqrt(priors.expression) });
  const jointPrior = [0, priors.neck, priors.jaw, priors.eyes, priors.eyes];
  for (let k = 1; k < 5; k++) if (layout.joints[k]! >= 0) for (let a = 0; a < 3; a++) priorRows.push({ index: layout.joints[k]! + a, weight: Math.sqrt(jointPrior[k]!) });
  const residualCount = dims * L + priorRows.length;

  const unpack = (x: Float64Array) => {
    for (let i = 0; i < nId; i++) beta[i] = x[i]!;
    for (let i = 0; i < nExp; i++) psi[i] = x[nId + i]!;
    for (let k = 0; k < 5; k++) if (layout.joints[k]! >= 0) for (let a = 0; a < 3; a++) initialPose[3 * k + a] = x[layout.joints[k]! + a]!;
    if (layout.trans >= 0) for (let a = 0; a < 3; a++) translation[a] = x[layout.trans + a]!;
    if (layout.scale >= 0) modelScale = x[layout.scale]!;
    if (layout.cam >= 0 && camera) {
      if (camera.type === 'orthographic') { camera.scale = x[layout.cam]!; camera.tx = x[layout.cam + 1]!; camera.ty = x[layout.cam + 2]!; }
      else camera.focal = x[layout.cam]!;
    }
  };

  /** Forward pass over the landmark vertices; fills P (target units before projection: model space). */
  const forward = () => {
    const m = points.vertices.length;
    const nIdAll = model.identity.names.length;
    const nExpAll = model.expression.names.length;
    for (let u = 0; u < m; u++) {
      const v = points.vertices[u]!;
      for (let a = 0; a < 3; a++) {
        let s = model.template[3 * v + a]!;
        for (let i = 0; i < nIdAll; i++) { const b = beta[i]!; if (b !== 0) s += b * model.identity.deltas[i * 3 * n + 3 * v + a]!; }
        for (let i = 0; i < nExpAll; i++) { const e = psi[i]!; if (e !== 0) s += e * model.expression.deltas[i * 3 * n + 3 * v + a]!; }
        vRest[3 * u + a] = s;
      }
    }
    joints.set(templateJ);
    for (let i = 0; i < nIdAll; i++) { const b = beta[i]!; if (b !== 0) for (let q = 0; q < 3 * J; q++) joints[q] = joints[q]! + b * idJ[i * 3 * J + q]!; }
    for (let i = 0; i < nExpAll; i++) { const e = psi[i]!; if (e !== 0) for (let q = 0; q < 3 * J; q++) joints[q] = joints[q]! + e * expJ[i * 3 * J + q]!; }
    for (let k = 0; k < J; k++) {
      rodrigues(initialPose[3 * k]!, initialPose[3 * k + 1]!, initialPose[3 * k + 2]!, local, 9 * k);
      const p = parents[k]!;
      if (p < 0) { for (let q = 0; q < 9; q++) world[9 * k + q] = local[9 * k + q]!; for (let a = 0; a < 3; a++) g[3 * k + a] = joints[3 * k + a]!; }
      else {
        mul3x3(world, 9 * p, local, 9 * k, world, 9 * k);
        for (let a = 0; a < 3; a++) {
          g[3 * k + a] = g[3 * p + a]! + world[9 * p + 3 * a]! * (joints[3 * k]! - joints[3 * p]!) + world[9 * p + 3 * a + 1]! * (joints[3 * k + 1]! - joints[3 * p + 1]!) + world[9 * p + 3 * a + 2]! * (joints[3 * k + 2]! - joints[3 * p + 2]!);
        }
      }
    }
    for (let u = 0; u < m; u++) {
      const v = points.vertices[u]!;
      Mv.fill(0, 9 * u, 9 * u + 9);
      let x = 0, y = 0, z = 0;
      for (let j = 0; j < J; j++) {
        const w = model.skinWeights[v * J + j]!;
        if (w === 0) continue;
        for (let q = 0; q < 9; q++) Mv[9 * u + q] = Mv[9 * u + q]! + w * world[9 * j + q]!;
        const px = vRest[3 * u]! - joints[3 * j]!, py = vRest[3 * u + 1]! - joints[3 * j + 1]!, pz = vRest[3 * u + 2]! - joints[3 * j + 2]!;
        x += w * (world[9 * j]! * px + world[9 * j + 1]! * py + world[9 * j + 2]! * pz + g[3 * j]!);
        y += w * (world[9 * j + 3]! * px + world[9 * j + 4]! * py + world[9 * j + 5]! * pz + g[3 * j + 1]!);
        z += w * (world[9 * j + 6]! * px + world[9 * j + 7]! * py + world[9 * j + 8]! * pz + g[3 * j + 2]!);
      }
      X[3 * u] = x; X[3 * u + 1] = y; X[3 * u + 2] = z;
    }
    for (let l = 0; l < L; l++) {
      for (let a = 0; a < 3; a++) {
        let s = 0;
        for (let c = 0; c < 3; c++) s += points.bary[3 * l + c]! * X[3 * points.slots[3 * l + c]! + a]!;
        P[3 * l + a] = modelScale * s + translation[a]!;
      }
    }
  };

  /** Projected landmark l into out[0..dims]; optionally d(proj)/dP (dims x 3) into jp. */
  const jp = new Float64Array(9);
  const project = (l: number, out: Float64Array, withJ: boolean) => {
    const px = P[3 * l]!, py = P[3 * l + 1]!, pz = P[3 * l + 2]!;
    if (dims === 3) {
      out[0] = px; out[1] = py; out[2] = pz;
      if (withJ) { jp.fill(0); jp[0] = 1; jp[4] = 1; jp[8] = 1; }
      return;
    }
    if (!camera) return;
    if (camera.type === 'orthographic') {
      out[0] = camera.scale * px + camera.tx;
      out[1] = -camera.scale * py + camera.ty;
      if (withJ) { jp.fill(0); jp[0] = camera.scale; jp[4] = -camera.scale; }
    } else {
      const zc = Math.min(pz, -1e-6);
      out[0] = camera.cx - (camera.focal * px) / zc;
      out[1] = camera.cy + (camera.focal * py) / zc;
      if (withJ) {
        jp.fill(0);
        jp[0] = -camera.focal / zc; jp[2] = (camera.focal * px) / (zc * zc);
        jp[4] = camera.focal / zc; jp[5] = (-camera.focal * py) / (zc * zc);
      }
    }
  };

  const proj = new Float64Array(3);
  const lmJ = new Float64Array(9 * L); // d(proj)/dP per landmark
  const evaluateProblem = (x: Float64Array, residuals: Float64Array, jacobian: Float64Array | null) => {
    unpack(x);
    forward();
    for (let l = 0; l < L; l++) {
      project(l, proj, jacobian !== null);
      const w = Math.sqrt(conf[l]! * robustWeight[l]!) / unit;
      for (let d = 0; d < dims; d++) residuals[dims * l + d] = w * (proj[d]! - targets[dims * l + d]!);
      if (jacobian) lmJ.set(jp, 9 * l);
    }
    priorRows.forEach((row, i) => { residuals[dims * L + i] = row.weight * x[row.index]!; });
    if (!jacobian) return;
    jacobian.fill(0);
    const setColumn = (column: number) => {
      // dP (3 per landmark) -> residual rows.
      for (let l = 0; l < L; l++) {
        const w = Math.sqrt(conf[l]! * robustWeight[l]!) / unit;
        for (let d = 0; d < dims; d++) {
          jacobian[column * residualCount + dims * l + d] = w * (lmJ[9 * l + 3 * d]! * dP[3 * l]! + lmJ[9 * l + 3 * d + 1]! * dP[3 * l + 1]! + lmJ[9 * l + 3 * d + 2]! * dP[3 * l + 2]!);
        }
      }
    };
    const m = points.vertices.length;
    const gatherLandmarks = () => {
      for (let l = 0; l < L; l++) for (let a = 0; a < 3; a++) {
        let s = 0;
        for (let c = 0; c < 3; c++) s += points.bary[3 * l + c]! * dXu[3 * points.slots[3 * l + c]! + a]!;
        dP[3 * l + a] = modelScale * s;
      }
    };
    // Shape parameters.
    const shapeColumn = (deltas: Float32Array, jointDeltas: Float64Array, shape: number, column: number) => {
      for (let k = 0; k < J; k++) {
        const p = parents[k]!;
        for (let a = 0; a < 3; a++) {
          const dJ = jointDeltas[(shape * J + k) * 3 + a]!;
          if (p < 0) dg[3 * k + a] = dJ;
          else {
            let s = dg[3 * p + a]!;
            for (let b = 0; b < 3; b++) s += world[9 * p + 3 * a + b]! * (jointDeltas[(shape * J + k) * 3 + b]! - jointDeltas[(shape * J + p) * 3 + b]!);
            dg[3 * k + a] = s;
          }
        }
      }
      for (let k = 0; k < J; k++) for (let a = 0; a < 3; a++) {
        let s = dg[3 * k + a]!;
        for (let b = 0; b < 3; b++) s -= world[9 * k + 3 * a + b]! * jointDeltas[(shape * J + k) * 3 + b]!;
        cj[3 * k + a] = s;
      }
      for (let u = 0; u < m; u++) {
        const v = points.vertices[u]!;
        const base = shape * 3 * n + 3 * v;
        const d0 = deltas[base]!, d1 = deltas[base + 1]!, d2 = deltas[base + 2]!;
        for (let a = 0; a < 3; a++) {
          let s = Mv[9 * u + 3 * a]! * d0 + Mv[9 * u + 3 * a + 1]! * d1 + Mv[9 * u + 3 * a + 2]! * d2;
          for (let j = 0; j < J; j++) { const w = model.skinWeights[v * J + j]!; if (w !== 0) s += w * cj[3 * j + a]!; }
          dXu[3 * u + a] = s;
        }
      }
      gatherLandmarks();
      setColumn(column);
    };
    for (let i = 0; i < nId; i++) if (!frozen[i]) shapeColumn(model.identity.deltas, idJ, i, i);
    for (let i = 0; i < nExp; i++) if (!frozen[nId + i]) shapeColumn(model.expression.deltas, expJ, i, nId + i);
    // Rotations.
    for (let k = 0; k < J; k++) {
      const column0 = layout.joints[k]!;
      if (column0 === undefined || column0 < 0 || frozen[column0]) continue;
      rodriguesDerivative(initialPose[3 * k]!, initialPose[3 * k + 1]!, initialPose[3 * k + 2]!, dLocal);
      for (let a = 0; a < 3; a++) {
        for (let j = 0; j < J; j++) {
          const p = parents[j]!;
          if (j === k) {
            // The rotated joint turns about its own position, which only its ancestors move.
            if (p < 0) for (let q = 0; q < 9; q++) dR[9 * j + q] = dLocal[9 * a + q]!;
            else mul3x3(world, 9 * p, dLocal, 9 * a, dR, 9 * j);
            dg.fill(0, 3 * j, 3 * j + 3);
          } else if (p >= 0 && isAncestor(k, j, parents)) {
            mul3x3(dR, 9 * p, local, 9 * j, dR, 9 * j);
            for (let c = 0; c < 3; c++) dg[3 * j + c] = dg[3 * p + c]! + dR[9 * p + 3 * c]! * (joints[3 * j]! - joints[3 * p]!) + dR[9 * p + 3 * c + 1]! * (joints[3 * j + 1]! - joints[3 * p + 1]!) + dR[9 * p + 3 * c + 2]! * (joints[3 * j + 2]! - joints[3 * p + 2]!);
          } else {
            dR.fill(0, 9 * j, 9 * j + 9);
            dg.fill(0, 3 * j, 3 * j + 3);
          }
        }
        for (let u = 0; u < m; u++) {
          const v = points.vertices[u]!;
          let x = 0, y = 0, z = 0;
          for (let j = 0; j < J; j++) {
            const w = model.skinWeights[v * J + j]!;
            if (w === 0) continue;
            const px = vRest[3 * u]! - joints[3 * j]!, py = vRest[3 * u + 1]! - joints[3 * j + 1]!, pz = vRest[3 * u + 2]! - joints[3 * j + 2]!;
            x += w * (dR[9 * j]! * px + dR[9 * j + 1]! * py + dR[9 * j + 2]! * pz + dg[3 * j]!);
            y += w * (dR[9 * j + 3]! * px + dR[9 * j + 4]! * py + dR[9 * j + 5]! * pz + dg[3 * j + 1]!);
            z += w * (dR[9 * j + 6]! * px + dR[9 * j + 7]! * py + dR[9 * j + 8]! * pz + dg[3 * j + 2]!);
          }
          dXu[3 * u] = x; dXu[3 * u + 1] = y; dXu[3 * u + 2] = z;
        }
        gatherLandmarks();
        setColumn(column0 + a);
      }
    }
    if (layout.trans >= 0) {
      for (let a = 0; a < 3; a++) {
        dP.fill(0);
        for (let l = 0; l < L; l++) dP[3 * l + a] = 1;
        setColumn(layout.trans + a);
      }
    }
    if (layout.scale >= 0) {
      for (let l = 0; l < L; l++) for (let a = 0; a < 3; a++) dP[3 * l + a] = (P[3 * l + a]! - translation[a]!) / modelScale;
      setColumn(layout.scale);
    }
    if (layout.cam >= 0 && camera) {
      for (let l = 0; l < L; l++) {
        const w = Math.sqrt(conf[l]! * robustWeight[l]!) / unit;
        const r = (row: number, column: number, value: number) => { jacobian[column * residualCount + dims * l + row] = w * value; };
        if (camera.type === 'orthographic') {
          r(0, layout.cam, P[3 * l]!); r(1, layout.cam, -P[3 * l + 1]!);
          r(0, layout.cam + 1, 1); r(1, layout.cam + 2, 1);
        } else {
          const zc = Math.min(P[3 * l + 2]!, -1e-6);
          r(0, layout.cam, -P[3 * l]! / zc); r(1, layout.cam, P[3 * l + 1]! / zc);
        }
      }
    }
    priorRows.forEach((row, i) => { jacobian[row.index * residualCount + dims * L + i] = row.weight; });
  };

  const problem = {
    parameterCount: count,
    residualCount,
    lower,
    upper,
    evaluate: evaluateProblem,
    beginIteration: (x: Float64Array) => {
      unpack(x);
      if (input.landmarks === 'ibug68') {
        rodrigues(initialPose[0]!, initialPose[1]!, initialPose[2]!, _rot);
        embedding = ibug68Embedding(model, yawOf(_rot));
        points = pointsFor(model, [embedding]);
      }
      forward();
      if (robust > 0) {
        for (let l = 0; l < L; l++) {
          project(l, proj, false);
          let e = 0;
          for (let d = 0; d < dims; d++) e += (proj[d]! - targets[dims * l + d]!) ** 2;
          const norm = Math.sqrt(e) / unit;
          robustWeight[l] = norm <= robust ? 1 : robust / norm; // Huber
        }
      }
    },
  };

  const finish = (xFinal: Float64Array, iterations: number, started: number): FitLandmarksResult => {
    unpack(xFinal);
    forward();
    const fitted = new Float64Array(dims * L);
    let se = 0, cw = 0;
    for (let l = 0; l < L; l++) {
      project(l, proj, false);
      for (let d = 0; d < dims; d++) {
        fitted[dims * l + d] = proj[d]!;
        se += conf[l]! * (proj[d]! - targets[dims * l + d]!) ** 2;
      }
      cw += conf[l]!;
    }
    return {
      params: {
        identity: Float64Array.from(beta),
        expression: Float64Array.from(psi),
        pose: Float64Array.from(initialPose),
        translation: Float64Array.from(translation),
        scale: modelScale,
      },
      ...(camera ? { camera } : {}),
      iterations,
      rmse: Math.sqrt(se / Math.max(cw, 1e-12) / dims),
      fitted,
      milliseconds: performance.now() - started,
    };
  };
  const rigidFrozen = (): { lower: Float64Array; upper: Float64Array } => {
    const lo = Float64Array.from(lower), hi = Float64Array.from(upper);
    const fixed: number[] = [];
    for (let i = 0; i < nId + nExp; i++) fixed.push(i);
    for (const k of [1, 2, 3, 4]) if (layout.joints[k]! >= 0) for (let q = 0; q < 3; q++) fixed.push(layout.joints[k]! + q);
    for (const i of fixed) { lo[i] = x0[i]!; hi[i] = x0[i]!; }
    return { lower: lo, upper: hi };
  };
  /** Marks columns whose bounds are equal as frozen (skipped when building the Jacobian). */
  const freeze = (lo: Float64Array, hi: Float64Array) => { for (let i = 0; i < count; i++) frozen[i] = lo[i] === hi[i] ? 1 : 0; };
  return { problem, x0, finish, rigidFrozen, freeze, rigid: groups.pose || groups.camera };
}

/** Fits the model to landmarks; see the file comment for the cost, units and camera conventions. */
export function fitLandmarks(model: HeadModel, input: FitLandmarksInput): FitLandmarksResult {
  const started = performance.now();
  const setup = createFitProblem(model, input);
  let iterations = 0;
  let x: Float64Array = setup.x0;
  // Stage 1: rigid (pose + camera) only, so shape does not absorb a bad initial alignment.
  if (setup.rigid) {
    const bounds = setup.rigidFrozen();
    setup.freeze(bounds.lower, bounds.upper);
    const stage1 = levenbergMarquardt({ ...setup.problem, ...bounds }, x, { maxIterations: 8, tolerance: 1e-4 });
    iterations += stage1.iterations;
    x = stage1.x;
  }
  setup.freeze(setup.problem.lower, setup.problem.upper);
  const result = levenbergMarquardt(setup.problem, x, { maxIterations: input.maxIterations ?? 30, tolerance: 1e-5 });
  iterations += result.iterations;
  return setup.finish(result.x, iterations, started);
}

const _rot = new Float64Array(9);

function mul3x3(a: Float64Array, ao: number, b: Float64Array, bo: number, out: Float64Array, oo: number): void {
  const a0 = a[ao]!, a1 = a[ao + 1]!, a2 = a[ao + 2]!, a3 = a[ao + 3]!, a4 = a[ao + 4]!, a5 = a[ao + 5]!, a6 = a[ao + 6]!, a7 = a[ao + 7]!, a8 = a[ao + 8]!;
  const b0 = b[bo]!, b1 = b[bo + 1]!, b2 = b[bo + 2]!, b3 = b[bo + 3]!, b4 = b[bo + 4]!, b5 = b[bo + 5]!, b6 = b[bo + 6]!, b7 = b[bo + 7]!, b8 = b[bo + 8]!;
  out[oo] = a0 * b0 + a1 * b3 + a2 * b6; out[oo + 1] = a0 * b1 + a1 * b4 + a2 * b7; out[oo + 2] = a0 * b2 + a1 * b5 + a2 * b8;
  out[oo + 3] = a3 * b0 + a4 * b3 + a5 * b6; out[oo + 4] = a3 * b1 + a4 * b4 + a5 * b7; out[oo + 5] = a3 * b2 + a4 * b5 + a5 * b8;
  out[oo + 6] = a6 * b0 + a7 * b3 + a8 * b6; out[oo + 7] = a6 * b1 + a7 * b4 + a8 * b7; out[oo + 8] = a6 * b2 + a7 * b5 + a8 * b8;
}

/** Whether `ancestor` is a strict ancestor of `joint`. */
function isAncestor(ancestor: number, joint: number, parents: Int32Array): boolean {
  for (let p = parents[joint]!; p >= 0; p = parents[p]!) if (p === ancestor) return true;
  return false;
}
