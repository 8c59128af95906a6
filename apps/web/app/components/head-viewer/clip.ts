/**
 * A short looping expression clip for the viewer: keyframes of ARKit weights, smoothstep between them. Pure
 * (time in, weights out) so the scene can sample it every frame and a test can check it.
 */
import { VIEWER_PRESETS } from './presets';

export interface ClipKey {
  /** Seconds from the clip start. */
  time: number;
  weights: Readonly<Record<string, number>>;
}

const presetWeights = (id: string): Record<string, number> => ({ ...VIEWER_PRESETS.find((p) => p.id === id)?.weights });

/** 6 s: neutral, smile, blink at the smile's peak, surprise, look left, look right, back to neutral. */
export const EXPRESSION_CLIP: readonly ClipKey[] = Object.freeze([
  { time: 0, weights: {} },
  { time: 0.9, weights: presetWeights('smile') },
  { time: 1.3, weights: { ...presetWeights('smile'), eyeBlinkLeft: 1, eyeBlinkRight: 1 } },
  { time: 1.7, weights: presetWeights('smile') },
  { time: 2.6, weights: presetWeights('surprise') },
  { time: 3.4, weights: presetWeights('surprise') },
  { time: 4.1, weights: presetWeights('lookLeft') },
  { time: 4.9, weights: presetWeights('lookRight') },
  { time: 6, weights: {} },
]);

export const CLIP_DURATION = EXPRESSION_CLIP[EXPRESSION_CLIP.length - 1]!.time;

const smoothstep = (x: number) => x * x * (3 - 2 * x);

/** Weights at `seconds` (looping), written into `target` (cleared first) to avoid allocating per frame. */
export function sampleClip(seconds: number, target: Record<string, number> = {}, clip: readonly ClipKey[] = EXPRESSION_CLIP): Record<string, number> {
  for (const key of Object.keys(target)) delete target[key];
  const duration = clip[clip.length - 1]!.time;
  const t = duration > 0 ? ((seconds % duration) + duration) % duration : 0;
  let i = 0;
  while (i < clip.length - 2 && clip[i + 1]!.time <= t) i++;
  const a = clip[i]!;
  const b = clip[i + 1] ?? a;
  const span = b.time - a.time;
  const s = span > 0 ? smoothstep(Math.min(1, Math.max(0, (t - a.time) / span))) : 0;
  for (const name of new Set([...Object.keys(a.weights), ...Object.keys(b.weights)])) {
    const value = (a.weights[name] ?? 0) * (1 - s) + (b.weights[name] ?? 0) * s;
    // Below 1e-6 nothing visibly moves; dropping it keeps keyframe times exact despite float rounding.
    if (value > 1e-6) target[name] = value;
  }
  return target;
}
