/**
 * Public API. fit: the head model (libs/flame) fitted to the 478 MediaPipe landmarks in the SeIF frame.
 *
 * Camera: orthographic, as the SeIF frame is. fitLandmarks takes 2D targets in normalised image units
 * (ARCHITECTURE.md: u = 2X, v = -2Y) with u = s x + tx, v = -s y + ty for a model-space point (x, y, z), so a
 * model point lands in the frame at
 *     X = (s x + tx) / 2,   Y = (s y - ty) / 2,   Z = s z / 2
 * (Z: same scale, origin at the model origin; the orthographic camera does not see depth offsets).
 *
 * Fitted: 60 identity components, the 52 ARKit expression weights (eyelids are eyeBlink/eyeSquint/eyeWide), jaw,
 * gaze of both eyes (the iris points 468..477 sit on the eyeball surfaces in the embedding, so the eye joints
 * turn to meet them), global head rotation and the camera (scale + offset).
 *
 * Initialisation: a 3D similarity (Umeyama) between the model's neutral landmarks and MediaPipe's landmarks with
 * their relative depth gives the head rotation and the camera scale, so the LM's rigid stage starts near the
 * answer even at strong yaw (a frontal start at 60 degrees of yaw can fall into the mirrored minimum).
 */
import {
  type FitLandmarksResult, type FitPriors, type FlameParams, type HeadModel, axisAngleFromMatrix, evaluate, fitLandmarks, loadDefaultHeadModel, sampleLandmarks,
} from '@seif/flame';
import { SeifError } from '../pipeline/errors.js';
import { type Stage, type StageContext, reportProgress } from '../pipeline/stage.js';
import { NUM_LANDMARKS } from './landmarks.js';

/** The orthographic camera of a fit: normalised image u = scale * x + tx, v = -scale * y + ty (x, y in metres). */
export interface FitCamera {
  type: 'orthographic';
  scale: number;
  tx: number;
  ty: number;
}

export interface FitStageOptions {
  /** Head model; the default open model (`flame2023-open-arkit`) is loaded on first use when omitted. */
  model?: HeadModel;
  /** Identity components to fit (default FIT_IDENTITY_COMPONENTS). */
  identityComponents?: number;
  /** Levenberg-Marquardt iterations after the rigid stage (default FIT_MAX_ITERATIONS). */
  maxIterations?: number;
  /** Prior weights (see libs/flame FitPriors); defaults in FIT_PRIORS. */
  priors?: FitPriors;
  /**
   * 'sparse' (default): the 105 points FLAME 2023 Open embeds itself, every second mesh point, the face oval and
   * the 10 iris points (sparseLandmarks, ~300); 'all': the 478. Sparse fits ~1.7x faster and no worse.
   */
  landmarkSet?: 'sparse' | 'all';
}

/** MediaPipe face oval (face_mesh_connections FACEMESH_FACE_OVAL), clockwise from the forehead top. */
export const FACE_OVAL = Object.freeze([
  10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127,
  162, 21, 54, 103, 67, 109,
]);

/**
 * Every `SPARSE_STRIDE`-th mesh point joins the sparse set. Measured on the known-parameter render and
 * photo-city-portrait (CPU ms of one fit, warm): all 478 points 2.59 mm / 440-630 ms; stride 2 (~300 points)
 * 2.51 mm / 240-380 ms; without mesh points (151) 3.20 mm / 150-200 ms.
 */
export const SPARSE_STRIDE = 2;

/** The sparse landmark set: FLAME's own 105, every SPARSE_STRIDE-th mesh point, the face oval, the irises. */
export function sparseLandmarks(model: HeadModel, stride = SPARSE_STRIDE): number[] {
  const own = model.landmarks.mediapipe105?.sourceIndex;
  const set = new Set<number>(own ? Array.from(own) : []);
  if (stride > 0) for (let i = 0; i < 468; i += stride) set.add(i);
  for (const i of FACE_OVAL) set.add(i);
  for (let i = 468; i < 478; i++) set.add(i);
  return [...set].sort((a, b) => a - b);
}

const sparseModels = new WeakMap<HeadModel, { model: HeadModel; indices: number[] }>();

/** The model with an extra embedding 'seif_sparse' (rows of mediapipe478), cached. */
function withSparseEmbedding(model: HeadModel): { model: HeadModel; indices: number[] } {
  let cached = sparseModels.get(model);
  if (cached) return cached;
  const full = model.landmarks.mediapipe478!;
  const indices = sparseLandmarks(model);
  const faceIndex = new Uint32Array(indices.length);
  const barycentric = new Float32Array(3 * indices.length);
  indices.forEach((l, k) => {
    faceIndex[k] = full.faceIndex[l]!;
    barycentric.set(full.barycentric.subarray(3 * l, 3 * l + 3), 3 * k);
  });
  cached = { model: { ...model, landmarks: { ...model.landmarks, seif_sparse: { faceIndex, barycentric, sourceIndex: Uint32Array.from(indices) } } }, indices };
  sparseModels.set(model, cached);
  return cached;
}

export interface FitStageInput {
  /** 478 x 3 landmarks in the SeIF frame (NormalisedFace.landmarks): X, Y in [-0.5, 0.5], Z toward the camera. */
  landmarks: Float32Array;
  /** Optional per-landmark confidence in [0, 1]. */
  confidence?: ArrayLike<number>;
}

export interface FitParams {
  identity: Float64Array;
  /** ARKit weights in [0, 1], in `model.expression.names` order. */
  expression: Float64Array;
  /** Axis-angle, 3 per joint: global, neck, jaw, eye_l, eye_r. */
  pose: Float64Array;
  translation: Float64Array;
  scale: number;
}

export interface FitOutput {
  model: HeadModel;
  params: FitParams;
  camera: FitCamera;
  /** Posed mesh in head-model space (metres), vertexCount x 3. */
  modelVertices: Float32Array;
  /** The same mesh in the SeIF frame (see the file comment). */
  frameVertices: Float32Array;
  /** Per-landmark 2D distance between the fitted and the detected landmark, SeIF frame units (1 = crop size). */
  residuals: Float32Array;
  /** RMS of `residuals` (frame units). */
  rmse: number;
  iterations: number;
}

/** Model space -> SeIF frame for a fitted camera (writes `out`, returns it). */
export function modelToFrame(camera: FitCamera, vertices: ArrayLike<number>, out = new Float32Array(vertices.length)): Float32Array {
  const h = camera.scale / 2;
  for (let i = 0; i < vertices.length; i += 3) {
    out[i] = h * vertices[i]! + camera.tx / 2;
    out[i + 1] = h * vertices[i + 1]! - camera.ty / 2;
    out[i + 2] = h * vertices[i + 2]!;
  }
  return out;
}

/** Similarity (Umeyama 1991) mapping points a onto b: b ~ s R a + t. Row-major R. */
export function similarityTransform(a: ArrayLike<number>, b: ArrayLike<number>, weights?: ArrayLike<number>): { scale: number; rotation: Float64Array; translation: Float64Array } {
  const n = a.length / 3;
  const ca = [0, 0, 0];
  const cb = [0, 0, 0];
  let wsum = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i]! : 1;
    wsum += w;
    for (let k = 0; k < 3; k++) {
      ca[k] = ca[k]! + w * a[3 * i + k]!;
      cb[k] = cb[k]! + w * b[3 * i + k]!;
    }
  }
  for (let k = 0; k < 3; k++) {
    ca[k] = ca[k]! / wsum;
    cb[k] = cb[k]! / wsum;
  }
  const cov = new Float64Array(9); // sum w (b - cb)(a - ca)^T
  let varA = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i]! : 1;
    for (let r = 0; r < 3; r++) {
      const db = b[3 * i + r]! - cb[r]!;
      for (let c = 0; c < 3; c++) cov[3 * r + c] = cov[3 * r + c]! + w * db * (a[3 * i + c]! - ca[c]!);
      varA += w * (a[3 * i + r]! - ca[r]!) ** 2;
    }
  }
  const { u, s, v } = svd3(cov);
  const det = det3(u) * det3(v);
  const d = [1, 1, det < 0 ? -1 : 1];
  const rotation = new Float64Array(9);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) {
    let x = 0;
    for (let k = 0; k < 3; k++) x += u[3 * r + k]! * d[k]! * v[3 * c + k]!;
    rotation[3 * r + c] = x;
  }
  const scale = (s[0]! * d[0]! + s[1]! * d[1]! + s[2]! * d[2]!) / (varA || 1);
  const translation = new Float64Array(3);
  for (let r = 0; r < 3; r++) translation[r] = cb[r]! - scale * (rotation[3 * r]! * ca[0]! + rotation[3 * r + 1]! * ca[1]! + rotation[3 * r + 2]! * ca[2]!);
  return { scale, rotation, translation };
}

function det3(m: ArrayLike<number>): number {
  return m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!);
}

/** SVD of a 3x3 matrix by Jacobi on M^T M: M = U diag(s) V^T (row-major). */
function svd3(m: Float64Array): { u: Float64Array; s: Float64Array; v: Float64Array } {
  const a = new Float64Array(9); // A = M^T M
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) a[3 * r + c] = m[r]! * m[c]! + m[3 + r]! * m[3 + c]! + m[6 + r]! * m[6 + c]!;
  const v = Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  for (let sweep = 0; sweep < 30; sweep++) {
    let off = 0;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      const apq = a[3 * p + q]!;
      off += apq * apq;
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (a[3 * q + q]! - a[3 * p + p]!) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let k = 0; k < 3; k++) {
        const akp = a[3 * k + p]!, akq = a[3 * k + q]!;
        a[3 * k + p] = c * akp - s * akq;
        a[3 * k + q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[3 * p + k]!, aqk = a[3 * q + k]!;
        a[3 * p + k] = c * apk - s * aqk;
        a[3 * q + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[3 * k + p]!, vkq = v[3 * k + q]!;
        v[3 * k + p] = c * vkp - s * vkq;
        v[3 * k + q] = s * vkp + c * vkq;
      }
    }
    if (off < 1e-30) break;
  }
  // Sort singular values descending.
  const order = [0, 1, 2].sort((i, j) => a[4 * j]! - a[4 * i]!);
  const s = new Float64Array(3);
  const vs = new Float64Array(9);
  const u = new Float64Array(9);
  order.forEach((col, k) => {
    s[k] = Math.sqrt(Math.max(0, a[4 * col]!));
    for (let r = 0; r < 3; r++) vs[3 * r + k] = v[3 * r + col]!;
  });
  for (let k = 0; k < 3; k++) {
    // u_k = M v_k / s_k
    let len = 0;
    for (let r = 0; r < 3; r++) {
      const x = m[3 * r]! * vs[k]! + m[3 * r + 1]! * vs[3 + k]! + m[3 * r + 2]! * vs[6 + k]!;
      u[3 * r + k] = x;
      len += x * x;
    }
    len = Math.sqrt(len);
    if (len > 1e-12) for (let r = 0; r < 3; r++) u[3 * r + k] = u[3 * r + k]! / len;
    else {
      // Degenerate direction: complete to a right-handed orthonormal basis (cross product of the others).
      const i = (k + 1) % 3, j = (k + 2) % 3;
      u[k] = u[3 + i]! * u[6 + j]! - u[6 + i]! * u[3 + j]!;
      u[3 + k] = u[6 + i]! * u[j]! - u[i]! * u[6 + j]!;
      u[6 + k] = u[i]! * u[3 + j]! - u[3 + i]! * u[j]!;
    }
  }
  return { u, s, v: vs };
}

/**
 * Prior weights for MediaPipe landmarks on photos. MediaPipe's points carry ~0.5-1 % of the face size of
 * systematic error against FLAME's embedding; weaker identity priors let the identity chase that error.
 */
export const FIT_PRIORS: Readonly<FitPriors> = Object.freeze({ identity: 1e-2, expression: 1e-3 });
/** Identity components fitted by default: with FIT_PRIORS the higher ones stay within noise of 0 (measured). */
export const FIT_IDENTITY_COMPONENTS = 30;
/** LM iterations after the rigid stage: the cost changes < 0.1 % after ~12 on the sample photos. */
export const FIT_MAX_ITERATIONS = 15;

let defaultModel: Promise<HeadModel> | undefined;
/** The default head model, loaded once per process. */
export function defaultHeadModel(): Promise<HeadModel> {
  defaultModel ??= loadDefaultHeadModel();
  return defaultModel;
}

export class FitStage implements Stage<FitStageInput, FitOutput> {
  readonly name = 'fit';
  readonly options: FitStageOptions;

  constructor(options: FitStageOptions = {}) {
    this.options = options;
  }

  async model(): Promise<HeadModel> {
    return this.options.model ?? defaultHeadModel();
  }

  async run(input: FitStageInput, context?: StageContext): Promise<FitOutput> {
    const model = await this.model();
    const { landmarks } = input;
    if (landmarks.length !== 3 * NUM_LANDMARKS) throw new SeifError('INVALID_ARGUMENT', `fit: expected ${NUM_LANDMARKS} x 3 landmarks, got ${landmarks.length / 3} points.`);
    const embedding = model.landmarks.mediapipe478;
    if (!embedding) throw new SeifError('MODEL_UNAVAILABLE', `fit: head model ${model.name} has no mediapipe478 landmark embedding.`);
    for (let i = 0; i < landmarks.length; i++) {
      if (!Number.isFinite(landmarks[i])) throw new SeifError('LANDMARKS_FAILED', `fit: landmark ${Math.floor(i / 3)} is not finite.`);
    }
    reportProgress(context, { stage: this.name, fraction: 0.05, message: 'initial pose' });

    // Initial rigid alignment in 3D: model neutral landmarks -> frame landmarks with MediaPipe's relative depth.
    const neutral = evaluate(model, {});
    const modelMarks = sampleLandmarks(model, neutral, embedding);
    // Face points only (0..467): the iris points are too close together to help the rotation.
    const sim = similarityTransform(modelMarks.subarray(0, 3 * 468), landmarks.subarray(0, 3 * 468));
    const axis = [0, 0, 0];
    axisAngleFromMatrix(sim.rotation, axis);
    const pose = new Float64Array(3 * model.joints.names.length);
    pose.set(axis, 0);
    // Where the rotated model's landmarks land with the camera scale; tx, ty match the centroids.
    const posed = sampleLandmarks(model, evaluate(model, { pose }), embedding);
    const scale = 2 * sim.scale;
    let mx = 0, my = 0, tu = 0, tv = 0;
    for (let l = 0; l < NUM_LANDMARKS; l++) {
      mx += posed[3 * l]!;
      my += posed[3 * l + 1]!;
      tu += 2 * landmarks[3 * l]!;
      tv += -2 * landmarks[3 * l + 1]!;
    }
    mx /= NUM_LANDMARKS; my /= NUM_LANDMARKS; tu /= NUM_LANDMARKS; tv /= NUM_LANDMARKS;
    const camera0: FitCamera = { type: 'orthographic', scale, tx: tu - scale * mx, ty: tv + scale * my };

    const targets = new Float64Array(2 * NUM_LANDMARKS);
    for (let l = 0; l < NUM_LANDMARKS; l++) {
      targets[2 * l] = 2 * landmarks[3 * l]!;
      targets[2 * l + 1] = -2 * landmarks[3 * l + 1]!;
    }
    const sparse = (this.options.landmarkSet ?? 'sparse') === 'sparse' ? withSparseEmbedding(model) : undefined;
    const used = sparse?.indices ?? Array.from({ length: NUM_LANDMARKS }, (_, i) => i);
    const fitTargets = new Float64Array(2 * used.length);
    used.forEach((l, k) => { fitTargets[2 * k] = targets[2 * l]!; fitTargets[2 * k + 1] = targets[2 * l + 1]!; });
    let fitConfidence: number[] | undefined;
    if (input.confidence) fitConfidence = used.map((l) => input.confidence![l]!);
    reportProgress(context, { stage: this.name, fraction: 0.1, message: 'Levenberg-Marquardt' });
    let fit: FitLandmarksResult;
    try {
      fit = fitLandmarks(sparse?.model ?? model, {
        landmarks: sparse ? 'seif_sparse' : 'mediapipe478',
        targets: fitTargets,
        dimensions: 2,
        camera: camera0,
        initial: { pose },
        ...(fitConfidence ? { confidence: fitConfidence } : {}),
        groups: { identity: this.options.identityComponents ?? FIT_IDENTITY_COMPONENTS, neck: false },
        priors: { ...FIT_PRIORS, ...this.options.priors },
        maxIterations: this.options.maxIterations ?? FIT_MAX_ITERATIONS,
      });
    } catch (error) {
      throw new SeifError('INTERNAL', `fit: the landmark fit failed: ${(error as Error).message}`, { cause: error });
    }
    const cam = fit.camera;
    if (!cam || cam.type !== 'orthographic') throw new SeifError('INTERNAL', 'fit: fitLandmarks returned no orthographic camera.');
    const camera: FitCamera = { type: 'orthographic', scale: cam.scale, tx: cam.tx, ty: cam.ty };
    const params: FitParams = {
      identity: Float64Array.from(fit.params.identity),
      expression: Float64Array.from(fit.params.expression),
      pose: Float64Array.from(fit.params.pose),
      translation: Float64Array.from(fit.params.translation),
      scale: fit.params.scale,
    };
    const modelVertices = evaluate(model, params as FlameParams, new Float32Array(3 * model.vertexCount));
    for (let i = 0; i < modelVertices.length; i++) {
      if (!Number.isFinite(modelVertices[i])) throw new SeifError('INTERNAL', 'fit: the fitted mesh has non-finite vertices (diverged fit or corrupt head model).');
    }
    const frameVertices = modelToFrame(camera, modelVertices);
    // Residuals of all 478 points (the fit may have used a subset): fitted positions from the final mesh.
    const fitted = sampleLandmarks(model, frameVertices, embedding);
    const residuals = new Float32Array(NUM_LANDMARKS);
    let se = 0;
    for (let l = 0; l < NUM_LANDMARKS; l++) {
      residuals[l] = Math.hypot(fitted[3 * l]! - landmarks[3 * l]!, fitted[3 * l + 1]! - landmarks[3 * l + 1]!);
      se += residuals[l]! ** 2;
    }
    return { model, params, camera, modelVertices, frameVertices, residuals, rmse: Math.sqrt(se / NUM_LANDMARKS), iterations: fit.iterations };
  }
}
