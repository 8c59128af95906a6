/**
 * The viewer's state -> the API's CreateAnimationInput (apps/api/schema.graphql): a preset when the face shows
 * exactly a preset and nothing is posed, ARKit weights when only sliders moved, FLAME parameters (joint
 * rotations plus weights) when the neck, jaw or eyes are posed. The worker applies a frame as @seif/flame's
 * resolveFrame does, and so does the viewer's rig (test/viewer-matches-flame.test.ts), so the saved GLB shows
 * what the viewer shows. Pure: unit tests cover it.
 */
import { VIEWER_PRESETS } from './presets';
import type { PoseState, Vec3 } from './rig';

export type AnimationInput =
  | { preset: string }
  | { arkitWeights: Record<string, number> }
  | { flameParams: { pose: Record<string, Vec3>; expression?: Record<string, number> } };

/** Slider steps are 0.01, but sums like 0.1 + 0.2 are not; 1e-4 is below anything visible. */
const round = (value: number) => Math.round(value * 1e4) / 1e4;

/** Non-zero weights, clamped to [0, 1] as the API requires, in a stable order. */
function activeWeights(weights: Readonly<Record<string, number>>): Record<string, number> {
  const active: Record<string, number> = {};
  for (const name of Object.keys(weights).sort()) {
    const value = round(Math.min(1, Math.max(0, weights[name] ?? 0)));
    if (value > 0) active[name] = value;
  }
  return active;
}

/** FLAME joint rotations of the pose sliders (`eyes` turns both eyes), zero joints left out. */
function activePose(pose: Readonly<PoseState>): Record<string, Vec3> {
  const joints: Record<string, Vec3> = {};
  const put = (joint: string, v: Readonly<Vec3>) => {
    const rotation = v.map(round) as Vec3;
    if (rotation.some((x) => x !== 0)) joints[joint] = rotation;
  };
  put('neck', pose.neck);
  put('jaw', pose.jaw);
  put('eye_l', pose.eyes);
  put('eye_r', pose.eyes);
  return joints;
}

function sameWeights(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Math.abs((a[k] ?? 0) - (b[k] ?? 0)) < 1e-6);
}

export function animationInput(weights: Readonly<Record<string, number>>, pose: Readonly<PoseState>, preset: string | null): AnimationInput {
  const expression = activeWeights(weights);
  const joints = activePose(pose);
  if (Object.keys(joints).length > 0) return { flameParams: { pose: joints, ...(Object.keys(expression).length > 0 ? { expression } : {}) } };
  const chosen = preset ? VIEWER_PRESETS.find((p) => p.id === preset) : undefined;
  if (chosen && sameWeights(expression, activeWeights(chosen.weights))) return { preset: chosen.id };
  if (Object.keys(expression).length === 0) return { preset: 'neutral' };
  return { arkitWeights: expression };
}

/** A few words for what was saved, e.g. "the Smile preset" or "3 expression sliders and the pose". */
export function describeInput(input: AnimationInput): string {
  if ('preset' in input) return input.preset === 'neutral' ? 'the neutral face' : `the ${VIEWER_PRESETS.find((p) => p.id === input.preset)?.label ?? input.preset} preset`;
  const count = (weights: Record<string, number> | undefined) => Object.keys(weights ?? {}).length;
  const sliders = (n: number) => `${n} expression slider${n === 1 ? '' : 's'}`;
  if ('arkitWeights' in input) return sliders(count(input.arkitWeights));
  const n = count(input.flameParams.expression);
  return n > 0 ? `${sliders(n)} and the pose` : 'the pose';
}
