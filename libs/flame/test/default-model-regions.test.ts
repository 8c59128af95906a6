/**
 * The default model at a smile, a blink (left wink) and jaw open: the expected regions move, nothing else does.
 * Needs the ICT-FaceKit transfer (src/ict/transfer.ts) in the build; without it the model only has eyelids.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { preset, resolveFrame } from '../src/animation/presets.js';
import { loadDefaultHeadModel } from '../src/build/default-model.js';
import { evaluate } from '../src/model/evaluate.js';
import type { HeadModel } from '../src/model/head-model.js';

let model: HeadModel;
let rest: Float32Array;
beforeAll(async () => {
  model = await loadDefaultHeadModel();
  rest = Float32Array.from(evaluate(model, {}));
});

/** Max and mean displacement (mm) per mask at a preset. */
function moves(name: string) {
  const posed = evaluate(model, resolveFrame(model, preset(name)));
  const result: Record<string, { max: number; mean: number }> = {};
  for (const [mask, indices] of Object.entries(model.masks)) {
    let max = 0, mean = 0;
    for (const v of indices) {
      const d = 1000 * Math.hypot(posed[3 * v]! - rest[3 * v]!, posed[3 * v + 1]! - rest[3 * v + 1]!, posed[3 * v + 2]! - rest[3 * v + 2]!);
      max = Math.max(max, d);
      mean += d / indices.length;
    }
    result[mask] = { max, mean };
  }
  return result;
}

describe('default model regions', () => {
  it('is built with the ICT-FaceKit expressions (52 ARKit names)', () => {
    expect(model.meta.expressionSource).toBe('ict-facekit');
    expect(model.expression.names).toHaveLength(52);
  });
  it('smile moves the lips and cheeks; scalp, neck boundary, eyeballs and forehead stay', () => {
    const m = moves('smile');
    expect(m.lips!.mean).toBeGreaterThan(4);
    expect(m.face!.max).toBeGreaterThan(8);
    for (const still of ['scalp', 'boundary', 'left_eyeball', 'right_eyeball']) expect(m[still]!.max).toBeLessThan(0.05);
    expect(m.forehead!.max).toBeLessThan(1);
  });
  it('left wink closes the left (+x) eyelid only', () => {
    const m = moves('winkLeft');
    expect(m.left_eye_region!.max).toBeGreaterThan(5);
    expect(m.right_eye_region!.max).toBeLessThan(0.05);
    for (const still of ['scalp', 'boundary', 'neck', 'left_eyeball', 'right_eyeball', 'left_ear', 'right_ear']) expect(m[still]!.max).toBeLessThan(0.5);
    expect(m.lips!.max).toBeLessThan(1.5);
  });
  it('blink closes both eyelids and leaves the mouth', () => {
    const m = moves('blink');
    expect(m.left_eye_region!.max).toBeGreaterThan(5);
    expect(m.right_eye_region!.max).toBeGreaterThan(5);
    expect(m.lips!.max).toBeLessThan(0.05);
  });
  it('jaw open moves lips, chin and throat; scalp, forehead, eyes and eyeballs stay', () => {
    const m = moves('jawOpen');
    expect(m.lips!.mean).toBeGreaterThan(10);
    expect(m.face!.max).toBeGreaterThan(25);
    for (const still of ['scalp', 'boundary', 'left_eyeball', 'right_eyeball']) expect(m[still]!.max).toBeLessThan(0.05);
    expect(m.forehead!.max).toBeLessThan(1);
    expect(m.eye_region!.max).toBeLessThan(1.5);
  });
});
