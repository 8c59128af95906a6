/**
 * Public API. The head model as one plain object of typed arrays (FLAME topology and conventions: metres, +y up,
 * +z toward the face, axis-angle joint rotations). Blendshapes are deltas, one contiguous block per shape
 * (`deltas.subarray(k * 3 * vertexCount, (k + 1) * 3 * vertexCount)`), like three.js relative morph targets.
 */
import { FlameError } from '../errors.js';

/** FLAME's kinematic tree: 0 global (root, at the neck base), 1 neck, 2 jaw, 3 left eye (+x), 4 right eye. */
export const FLAME_JOINT_NAMES = Object.freeze(['global', 'neck', 'jaw', 'eye_l', 'eye_r'] as const);
export const FLAME_JOINT_PARENTS = Object.freeze([-1, 0, 1, 1, 1] as const);

/** Rotation convention recorded with every result (see ARCHITECTURE.md "Coordinate frames"). */
export const ROTATION_CONVENTION = 'axis-angle';

export interface Blendshapes {
  /** Shape names; identity shapes are usually unnamed ("shape000"...). */
  readonly names: readonly string[];
  /** count x (3 * vertexCount) deltas in metres. */
  readonly deltas: Float32Array;
}

export interface LandmarkEmbedding {
  /** Triangle index per landmark. */
  readonly faceIndex: Uint32Array;
  /** Barycentric weights per landmark (3 per landmark), for the triangle's three vertices in face order. */
  readonly barycentric: Float32Array;
  /** Optional: which external landmark index each row is (e.g. MediaPipe mesh indices for a subset). */
  readonly sourceIndex?: Uint32Array;
}

/** RingNet's yaw-dependent jaw contour (iBUG points 0-16): one embedding per yaw angle bin. */
export interface DynamicContour {
  /** Yaw in radians of each bin (ascending). */
  readonly yaw: Float32Array;
  /** bins x points triangle indices. */
  readonly faceIndex: Uint32Array;
  /** bins x points x 3 barycentric weights. */
  readonly barycentric: Float32Array;
  readonly pointsPerBin: number;
}

export interface HeadModel {
  /** e.g. 'flame2023-open-arkit', 'flame2020'. */
  readonly name: string;
  readonly version: string;
  readonly licence: string;
  /** One line per data source the model is derived from. */
  readonly attribution: readonly string[];
  /** Free-form facts about how the model was built (sources, missing shapes and how they were filled). */
  readonly meta: Readonly<Record<string, unknown>>;
  readonly vertexCount: number;
  /** vertexCount x 3 rest positions, metres. */
  readonly template: Float32Array;
  /** faceCount x 3 vertex indices (counter-clockwise seen from outside). */
  readonly faces: Uint32Array;
  readonly identity: Blendshapes;
  /** Expression shapes: ARKit names for the default model, 'exp000'... for official FLAME. */
  readonly expression: Blendshapes;
  /** FLAME pose correctives: (9 * (jointCount - 1)) x (3 * vertexCount), driven by (R - I) of non-root joints. */
  readonly poseCorrectives?: Float32Array;
  readonly joints: {
    readonly names: readonly string[];
    readonly parents: Int32Array;
    /** jointCount x vertexCount regressor (joint = regressor . vertices). */
    readonly regressor: Float32Array;
  };
  /** vertexCount x jointCount skinning weights (rows sum to 1). */
  readonly skinWeights: Float32Array;
  readonly uv?: {
    /** uvCount x 2. */
    readonly coords: Float32Array;
    /** faceCount x 3 indices into coords. */
    readonly faces: Uint32Array;
  };
  /** Named embeddings: 'mediapipe478', 'mediapipe105', 'ibug68_static' (points 17-67), ... */
  readonly landmarks: Readonly<Record<string, LandmarkEmbedding>>;
  readonly dynamicContour?: DynamicContour;
  /** Named vertex index sets: face, scalp, left_ear, ..., boundary. */
  readonly masks: Readonly<Record<string, Uint32Array>>;
  /** Half-open vertex index ranges of the eyeballs. */
  readonly eyeballs?: { readonly left: readonly [number, number]; readonly right: readonly [number, number] };
}

export function jointCount(model: HeadModel): number {
  return model.joints.names.length;
}

export function identityCount(model: HeadModel): number {
  return model.identity.names.length;
}

export function expressionCount(model: HeadModel): number {
  return model.expression.names.length;
}

/** The delta block of expression shape `name` (a view, no copy). */
export function expressionShape(model: HeadModel, name: string): Float32Array {
  const index = model.expression.names.indexOf(name);
  if (index < 0) {
    throw new FlameError('UNKNOWN_NAME', `expression shape "${name}" is not in model ${model.name} (has ${model.expression.names.length}: ${model.expression.names.slice(0, 8).join(', ')}...)`);
  }
  const stride = 3 * model.vertexCount;
  return model.expression.deltas.subarray(index * stride, (index + 1) * stride);
}

/** Checks every array length against the counts; throws BAD_SHAPE naming the first inconsistency. */
export function validateHeadModel(model: HeadModel): HeadModel {
  const n = model.vertexCount;
  const j = model.joints.names.length;
  const fail = (what: string, expected: number, found: number): never => {
    throw new FlameError('BAD_SHAPE', `head model ${model.name}: ${what} should have ${expected} values, has ${found}`);
  };
  if (!Number.isInteger(n) || n <= 0) throw new FlameError('BAD_SHAPE', `head model ${model.name}: bad vertexCount ${n}`);
  if (model.template.length !== 3 * n) fail('template', 3 * n, model.template.length);
  if (model.faces.length % 3 !== 0) fail('faces (multiple of 3)', model.faces.length - (model.faces.length % 3), model.faces.length);
  for (let i = 0; i < model.faces.length; i++) {
    if ((model.faces[i] as number) >= n) throw new FlameError('BAD_SHAPE', `head model ${model.name}: face index ${model.faces[i]} >= vertexCount ${n}`);
  }
  if (model.identity.deltas.length !== model.identity.names.length * 3 * n) fail('identity deltas', model.identity.names.length * 3 * n, model.identity.deltas.length);
  if (model.expression.deltas.length !== model.expression.names.length * 3 * n) fail('expression deltas', model.expression.names.length * 3 * n, model.expression.deltas.length);
  if (model.poseCorrectives && model.poseCorrectives.length !== 9 * (j - 1) * 3 * n) fail('pose correctives', 9 * (j - 1) * 3 * n, model.poseCorrectives.length);
  if (model.joints.parents.length !== j) fail('joint parents', j, model.joints.parents.length);
  for (let k = 0; k < j; k++) {
    const parent = model.joints.parents[k] as number;
    if (k === 0 ? parent !== -1 : parent < 0 || parent >= k) {
      throw new FlameError('BAD_SHAPE', `head model ${model.name}: joint ${k} has parent ${parent}; parents must precede children and joint 0 is the root`);
    }
  }
  if (model.joints.regressor.length !== j * n) fail('joint regressor', j * n, model.joints.regressor.length);
  if (model.skinWeights.length !== j * n) fail('skin weights', j * n, model.skinWeights.length);
  if (model.uv && model.uv.faces.length !== model.faces.length) fail('uv faces', model.faces.length, model.uv.faces.length);
  const faceCount = model.faces.length / 3;
  for (const [name, lm] of Object.entries(model.landmarks)) {
    if (lm.barycentric.length !== 3 * lm.faceIndex.length) fail(`landmarks ${name} barycentric`, 3 * lm.faceIndex.length, lm.barycentric.length);
    for (const f of lm.faceIndex) if (f >= faceCount) throw new FlameError('BAD_SHAPE', `head model ${model.name}: landmark set ${name} refers to face ${f} >= ${faceCount}`);
  }
  for (const [name, mask] of Object.entries(model.masks)) {
    for (const v of mask) if (v >= n) throw new FlameError('BAD_SHAPE', `head model ${model.name}: mask ${name} refers to vertex ${v} >= ${n}`);
  }
  return model;
}
