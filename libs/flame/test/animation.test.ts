import { beforeAll, describe, expect, it } from 'vitest';
import { AnimationSequence, PRESET_NAMES, flameParameterSet, preset, resolveFrame } from '../src/animation/presets.js';
import { loadDefaultHeadModel } from '../src/build/default-model.js';
import type { HeadModel } from '../src/model/head-model.js';

let model: HeadModel;
beforeAll(async () => {
  model = await loadDefaultHeadModel();
});

describe('animation', () => {
  it('resolves every preset for the default model', () => {
    for (const name of PRESET_NAMES) {
      const params = resolveFrame(model, preset(name), { missingShapes: 'ignore' });
      expect(params.expression).toHaveLength(model.expression.names.length);
      expect(params.pose).toHaveLength(15);
    }
  });
  it('drives jawOpen through the jaw joint (plus its corrective shape), never only the shape', () => {
    const params = resolveFrame(model, preset('jawOpen'));
    expect((params.pose as Float64Array)[6]).toBeGreaterThan(0.3);
  });
  it('accepts both ARKit spellings', () => {
    const a = resolveFrame(model, { weights: { eyeBlinkLeft: 1 } });
    const b = resolveFrame(model, { weights: { eyeBlink_L: 1 } });
    expect(Array.from(a.expression as Float64Array)).toEqual(Array.from(b.expression as Float64Array));
  });
  it('rejects unknown presets, unknown names, NaN and out-of-range weights with typed errors', () => {
    expect(() => preset('grin')).toThrow(expect.objectContaining({ code: 'UNKNOWN_NAME', message: expect.stringMatching(/smile/) }));
    expect(() => resolveFrame(model, { weights: { mouthGrin: 1 } })).toThrow(expect.objectContaining({ code: 'UNKNOWN_NAME' }));
    expect(() => resolveFrame(model, { weights: { eyeBlinkLeft: Number.NaN } })).toThrow(expect.objectContaining({ code: 'BAD_VALUE' }));
    expect(() => resolveFrame(model, { weights: { eyeBlinkLeft: 1.5 } })).toThrow(/\[0, 1\]/);
    expect(() => resolveFrame(model, { joints: { elbow: [0, 0, 0] } })).toThrow(/unknown joint "elbow"/);
    expect(() => flameParameterSet(model, { pose: [1, 2] })).toThrow(expect.objectContaining({ code: 'BAD_SHAPE' }));
  });
  it('interpolates sequences between keyframes', () => {
    const sequence = new AnimationSequence(model, [
      { time: 0, frame: 'neutral' },
      { time: 1, frame: 'blink' },
      { time: 2, frame: { weights: { eyeBlinkLeft: 0.5 }, joints: { neck: [0, 0.2, 0] } } },
    ]);
    const left = model.expression.names.indexOf('eyeBlinkLeft');
    expect((sequence.sample(0.5).expression as Float64Array)[left]).toBeCloseTo(0.5);
    expect((sequence.sample(1.5).expression as Float64Array)[left]).toBeCloseTo(0.75);
    expect((sequence.sample(1.5).pose as Float64Array)[4]).toBeCloseTo(0.1);
    expect((sequence.sample(10).pose as Float64Array)[4]).toBeCloseTo(0.2);
    expect(() => new AnimationSequence(model, [{ time: 1, frame: 'smile' }, { time: 0.5, frame: 'blink' }])).toThrow(/not after/);
  });
});
