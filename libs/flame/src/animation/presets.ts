/**
 * Public API. Animation parameter sets: ARKit weight sets (name -> weight in [0, 1]), FLAME parameter sets
 * (joint rotations by name), named presets, and interpolated sequences. Everything resolves to FlameParams for
 * a given model, checking names and values with typed errors.
 *
 * Presets use ARKit shapes for the face and FLAME's joints for what joints do (jaw opening, gaze), so the jaw is
 * never opened twice: `jawOpen` drives the jaw joint (the model's meta.jawOpenRotation, else JAW_OPEN_RADIANS
 * about x, at weight 1) and the model's jawOpen shape, which is built as the corrective for that rotation.
 */
import { FlameError } from '../errors.js';
import type { FlameParams } from '../model/evaluate.js';
import type { HeadModel } from '../model/head-model.js';
import { ARKIT_BLENDSHAPES, type ArkitBlendshape, appleName, findShape, requireShape } from './arkit.js';

/** Jaw rotation at jawOpen = 1: about 23 degrees, a wide but natural opening. */
export const JAW_OPEN_RADIANS = 0.4;
/** Eye rotation at eyeLook* = 1: about 20 degrees. */
export const EYE_LOOK_RADIANS = 0.35;

export type ArkitWeights = Partial<Record<ArkitBlendshape | string, number>>;

export interface JointRotations {
  /** Axis-angle per joint name ('global', 'neck', 'jaw', 'eye_l', 'eye_r'). */
  [joint: string]: readonly [number, number, number];
}

/** A frame: ARKit weights plus optional explicit joint rotations (which add to what the weights imply). */
export interface AnimationFrame {
  weights?: ArkitWeights;
  joints?: JointRotations;
}

export const PRESET_NAMES = Object.freeze([
  'neutral', 'smile', 'frown', 'surprise', 'blink', 'winkLeft', 'winkRight', 'jawOpen', 'pucker',
  'lookLeft', 'lookRight', 'lookUp', 'lookDown',
] as const);
export type PresetName = (typeof PRESET_NAMES)[number];

/** "Left" is the subject's left (FLAME +x), as in ARKit. */
export const PRESETS: Readonly<Record<PresetName, AnimationFrame>> = Object.freeze({
  neutral: {},
  smile: { weights: { mouthSmileLeft: 0.9, mouthSmileRight: 0.9, cheekSquintLeft: 0.4, cheekSquintRight: 0.4, eyeSquintLeft: 0.2, eyeSquintRight: 0.2 } },
  frown: { weights: { mouthFrownLeft: 0.8, mouthFrownRight: 0.8, browDownLeft: 0.7, browDownRight: 0.7, mouthShrugLower: 0.3 } },
  surprise: { weights: { browInnerUp: 0.9, browOuterUpLeft: 0.8, browOuterUpRight: 0.8, eyeWideLeft: 0.7, eyeWideRight: 0.7, jawOpen: 0.5 } },
  blink: { weights: { eyeBlinkLeft: 1, eyeBlinkRight: 1 } },
  winkLeft: { weights: { eyeBlinkLeft: 1, cheekSquintLeft: 0.3 } },
  winkRight: { weights: { eyeBlinkRight: 1, cheekSquintRight: 0.3 } },
  jawOpen: { weights: { jawOpen: 1 } },
  pucker: { weights: { mouthPucker: 0.9, mouthFunnel: 0.3 } },
  lookLeft: { weights: { eyeLookOutLeft: 1, eyeLookInRight: 1 } },
  lookRight: { weights: { eyeLookInLeft: 1, eyeLookOutRight: 1 } },
  lookUp: { weights: { eyeLookUpLeft: 1, eyeLookUpRight: 1 } },
  lookDown: { weights: { eyeLookDownLeft: 1, eyeLookDownRight: 1 } },
});

export function preset(name: string): AnimationFrame {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new FlameError('UNKNOWN_NAME', `unknown preset "${name}"; presets are ${PRESET_NAMES.join(', ')}`);
  }
  return PRESETS[name as PresetName];
}

/**
 * ARKit shapes that FLAME's joints perform. Each maps weight 1 to (joint, axis-angle). The eye looks rotate the
 * eyeballs (+y turns toward +x, the subject's left; +x turns down... see signs below); the eyelid shapes, when
 * the model has them, still add their skin motion.
 */
const JOINT_SHAPES: Readonly<Record<string, { joint: string; rotation: readonly [number, number, number] }>> = {
  jawOpen: { joint: 'jaw', rotation: [JAW_OPEN_RADIANS, 0, 0] },
  // Rotation about +y by +a turns the eye's +z axis toward +x (the subject's left).
  eyeLookOutLeft: { joint: 'eye_l', rotation: [0, EYE_LOOK_RADIANS, 0] },
  eyeLookInLeft: { joint: 'eye_l', rotation: [0, -EYE_LOOK_RADIANS, 0] },
  eyeLookInRight: { joint: 'eye_r', rotation: [0, EYE_LOOK_RADIANS, 0] },
  eyeLookOutRight: { joint: 'eye_r', rotation: [0, -EYE_LOOK_RADIANS, 0] },
  // Rotation about +x by +a turns +z toward -y (down).
  eyeLookDownLeft: { joint: 'eye_l', rotation: [EYE_LOOK_RADIANS, 0, 0] },
  eyeLookDownRight: { joint: 'eye_r', rotation: [EYE_LOOK_RADIANS, 0, 0] },
  eyeLookUpLeft: { joint: 'eye_l', rotation: [-EYE_LOOK_RADIANS, 0, 0] },
  eyeLookUpRight: { joint: 'eye_r', rotation: [-EYE_LOOK_RADIANS, 0, 0] },
};

const eyeballMotion = new WeakMap<HeadModel, Map<number, boolean>>();

/** Whether expression shape `index` moves the eyeballs (> 0.1 mm); if not, eyeLook* also turn the eye joints. */
function shapeMovesEyeballs(model: HeadModel, index: number): boolean {
  let cache = eyeballMotion.get(model);
  if (!cache) eyeballMotion.set(model, (cache = new Map()));
  let moves = cache.get(index);
  if (moves === undefined) {
    moves = false;
    const stride = 3 * model.vertexCount;
    for (const [s, e] of model.eyeballs ? [model.eyeballs.left, model.eyeballs.right] : []) {
      for (let k = 3 * s; k < 3 * e && !moves; k++) if (Math.abs(model.expression.deltas[index * stride + k]!) > 1e-4) moves = true;
    }
    cache.set(index, moves);
  }
  return moves;
}

function checkWeight(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new FlameError('BAD_VALUE', `weight of "${name}" is ${String(value)}; weights must be finite numbers`);
  if (value < 0 || value > 1) throw new FlameError('BAD_VALUE', `weight of "${name}" is ${value}; ARKit weights lie in [0, 1]`);
  return value;
}

export interface ResolveOptions {
  /** Identity to keep (beta). */
  identity?: ArrayLike<number>;
  /** Shapes the model lacks are an error by default; `ignore` drops them (joint-driven shapes always work). */
  missingShapes?: 'error' | 'ignore';
}

/** Turns a frame into FlameParams for `model`. */
export function resolveFrame(model: HeadModel, frame: AnimationFrame, options: ResolveOptions = {}): FlameParams {
  const expression = new Float64Array(model.expression.names.length);
  const pose = new Float64Array(3 * model.joints.names.length);
  for (const [name, raw] of Object.entries(frame.weights ?? {})) {
    const weight = checkWeight(name, raw);
    const apple = appleName(name);
    const index = findShape(model.expression.names, name);
    let joint = JOINT_SHAPES[apple];
    const jawRotation = model.meta.jawOpenRotation as number[] | undefined;
    if (apple === 'jawOpen' && Array.isArray(jawRotation) && jawRotation.length === 3) {
      // The model's jawOpen shape is the corrective for this joint rotation (built from ICT's jaw fit).
      joint = { joint: 'jaw', rotation: [jawRotation[0]!, jawRotation[1]!, jawRotation[2]!] };
    }
    if (joint && (apple === 'jawOpen' || index < 0 || !shapeMovesEyeballs(model, index))) {
      // Joint-driven: jawOpen always rotates the jaw joint, and the model's jawOpen shape (the corrective for
      // that rotation) adds what the joint does not. eyeLook* use the joints only when the model lacks the
      // shapes (the ICT transfer's eyeLook* shapes already turn the eyeballs).
      const j = model.joints.names.indexOf(joint.joint);
      if (j < 0) throw new FlameError('UNKNOWN_NAME', `model ${model.name} has no joint "${joint.joint}" for ${name}`);
      for (let a = 0; a < 3; a++) pose[3 * j + a] = pose[3 * j + a]! + weight * joint.rotation[a]!;
      if (index >= 0) expression[index] = weight;
      continue;
    }
    if (index < 0) {
      if (!ARKIT_BLENDSHAPES.includes(apple as ArkitBlendshape)) requireShape(model.expression.names, name, model.name);
      if (options.missingShapes === 'ignore') continue;
      requireShape(model.expression.names, name, model.name);
    }
    expression[index] = weight;
  }
  for (const [jointName, rotation] of Object.entries(frame.joints ?? {})) {
    const j = model.joints.names.indexOf(jointName);
    if (j < 0) throw new FlameError('UNKNOWN_NAME', `unknown joint "${jointName}"; joints are ${model.joints.names.join(', ')}`);
    if (!Array.isArray(rotation) || rotation.length !== 3) throw new FlameError('BAD_SHAPE', `rotation of joint "${jointName}" must be [x, y, z] axis-angle`);
    for (let a = 0; a < 3; a++) {
      const value = rotation[a] as number;
      if (!Number.isFinite(value)) throw new FlameError('BAD_VALUE', `rotation of joint "${jointName}"[${a}] is ${value}`);
      if (Math.abs(value) > Math.PI) throw new FlameError('BAD_VALUE', `rotation of joint "${jointName}"[${a}] is ${value} rad; keep joint rotations within [-pi, pi]`);
      pose[3 * j + a] = pose[3 * j + a]! + value;
    }
  }
  return { expression, pose, ...(options.identity ? { identity: options.identity } : {}) };
}

export interface Keyframe {
  /** Seconds from the start. */
  time: number;
  frame: AnimationFrame | PresetName;
}

/**
 * An interpolated sequence: keyframes at increasing times, linear interpolation of weights and of joint
 * rotations (axis-angle componentwise, fine for the small angles faces use), smoothstep easing optional.
 */
export class AnimationSequence {
  readonly keyframes: readonly { time: number; params: FlameParams }[];
  readonly duration: number;
  readonly #expression: Float64Array;
  readonly #pose: Float64Array;

  constructor(
    readonly model: HeadModel,
    keyframes: readonly Keyframe[],
    readonly options: ResolveOptions & { easing?: 'linear' | 'smoothstep' } = {},
  ) {
    if (keyframes.length === 0) throw new FlameError('BAD_VALUE', 'a sequence needs at least one keyframe');
    let previous = Number.NEGATIVE_INFINITY;
    this.keyframes = keyframes.map((k, i) => {
      if (!Number.isFinite(k.time) || k.time < 0) throw new FlameError('BAD_VALUE', `keyframe ${i} has time ${k.time}; times are finite seconds >= 0`);
      if (k.time <= previous) throw new FlameError('BAD_VALUE', `keyframe ${i} at ${k.time}s is not after the previous one (${previous}s)`);
      previous = k.time;
      const frame = typeof k.frame === 'string' ? preset(k.frame) : k.frame;
      return { time: k.time, params: resolveFrame(model, frame, options) };
    });
    this.duration = previous;
    this.#expression = new Float64Array(model.expression.names.length);
    this.#pose = new Float64Array(3 * model.joints.names.length);
  }

  /** Parameters at time t (clamped to the sequence); the returned arrays are reused by the next call. */
  sample(t: number): FlameParams {
    if (!Number.isFinite(t)) throw new FlameError('BAD_VALUE', `time is ${t}`);
    const keys = this.keyframes;
    let i = 0;
    while (i + 1 < keys.length && keys[i + 1]!.time <= t) i++;
    const a = keys[i]!;
    const b = keys[Math.min(i + 1, keys.length - 1)]!;
    let u = b.time > a.time ? Math.min(1, Math.max(0, (t - a.time) / (b.time - a.time))) : 0;
    if (this.options.easing === 'smoothstep') u = u * u * (3 - 2 * u);
    const ea = a.params.expression as Float64Array, eb = b.params.expression as Float64Array;
    const pa = a.params.pose as Float64Array, pb = b.params.pose as Float64Array;
    for (let k = 0; k < this.#expression.length; k++) this.#expression[k] = ea[k]! + u * (eb[k]! - ea[k]!);
    for (let k = 0; k < this.#pose.length; k++) this.#pose[k] = pa[k]! + u * (pb[k]! - pa[k]!);
    return { expression: this.#expression, pose: this.#pose, ...(this.options.identity ? { identity: this.options.identity } : {}) };
  }
}

/** FLAME parameter set -> frame-independent params, validated (for callers that hold raw FLAME parameters). */
export function flameParameterSet(model: HeadModel, set: { expression?: Record<string, number> | ArrayLike<number>; pose?: ArrayLike<number> }): FlameParams {
  const expression = new Float64Array(model.expression.names.length);
  if (set.expression && !isArrayLike(set.expression)) {
    for (const [name, value] of Object.entries(set.expression)) {
      if (!Number.isFinite(value)) throw new FlameError('BAD_VALUE', `expression "${name}" is ${value}`);
      expression[requireShape(model.expression.names, name, model.name)] = value;
    }
  } else if (set.expression) {
    if (set.expression.length > expression.length) throw new FlameError('BAD_SHAPE', `expression has ${set.expression.length} values; model ${model.name} has ${expression.length} shapes`);
    for (let i = 0; i < set.expression.length; i++) {
      const value = set.expression[i]!;
      if (!Number.isFinite(value)) throw new FlameError('BAD_VALUE', `expression[${i}] is ${value}`);
      expression[i] = value;
    }
  }
  const pose = new Float64Array(3 * model.joints.names.length);
  if (set.pose) {
    if (set.pose.length !== pose.length) throw new FlameError('BAD_SHAPE', `pose has ${set.pose.length} values; needs ${pose.length} (3 per joint: ${model.joints.names.join(', ')})`);
    for (let i = 0; i < pose.length; i++) {
      const value = set.pose[i]!;
      if (!Number.isFinite(value)) throw new FlameError('BAD_VALUE', `pose[${i}] is ${value}`);
      pose[i] = value;
    }
  }
  return { expression, pose };
}

function isArrayLike(value: unknown): value is ArrayLike<number> {
  return Array.isArray(value) || ArrayBuffer.isView(value);
}
