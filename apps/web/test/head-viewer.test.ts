import { PRESETS } from '@seif/flame/animation/presets';
import { ARKIT_BLENDSHAPES } from '@seif/flame/ict/arkit';
import { describe, expect, it } from 'vitest';
import { CLIP_DURATION, EXPRESSION_CLIP, sampleClip } from '../app/components/head-viewer/clip';
import { VIEWER_PRESETS } from '../app/components/head-viewer/presets';
import { groupByRegion, regionOf, shortLabel } from '../app/components/head-viewer/regions';

const ARKIT_52 = [...ARKIT_BLENDSHAPES];

describe('slider regions', () => {
  it('groups the 52 ARKit names into the six face regions, nothing left over', () => {
    const groups = groupByRegion(ARKIT_52);
    expect(groups.map((g) => [g.region, g.names.length])).toEqual([
      ['brows', 5], ['eyes', 14], ['cheeks', 3], ['nose', 2], ['jaw', 4], ['mouth', 24],
    ]);
    expect(groups.flatMap((g) => g.names)).toHaveLength(52);
  });

  it('groups ICT spellings and unknown names too', () => {
    expect(regionOf('eyeBlink_L')).toBe('eyes');
    expect(regionOf('tongueOut')).toBe('mouth');
    expect(regionOf('exp000')).toBe('other');
  });

  it('labels a slider without its region prefix', () => {
    expect(shortLabel('jawOpen')).toBe('Open');
    expect(shortLabel('mouthSmileLeft')).toBe('Smile left');
    expect(shortLabel('eyeBlink_L')).toBe('Blink l');
    expect(shortLabel('exp000')).toBe('Exp000');
  });
});

describe('presets', () => {
  it("match @seif/flame's PRESETS (the client keeps a copy)", () => {
    for (const preset of VIEWER_PRESETS) expect(preset.weights, preset.id).toEqual(PRESETS[preset.id as keyof typeof PRESETS].weights);
    expect(VIEWER_PRESETS.map((p) => p.id)).toEqual(['smile', 'surprise', 'blink', 'winkLeft', 'winkRight', 'jawOpen', 'lookLeft', 'lookRight']);
  });

  it('only use ARKit names', () => {
    for (const preset of VIEWER_PRESETS) for (const name of Object.keys(preset.weights)) expect(ARKIT_52).toContain(name);
  });
});

describe('expression clip', () => {
  it('loops: starts and ends neutral, hits its keyframes exactly', () => {
    expect(sampleClip(0)).toEqual({});
    expect(sampleClip(CLIP_DURATION)).toEqual({});
    const smile = EXPRESSION_CLIP[1]!;
    for (const t of [smile.time, smile.time + CLIP_DURATION]) {
      const sampled = sampleClip(t);
      expect(Object.keys(sampled).sort()).toEqual(Object.keys(smile.weights).sort());
      for (const [name, value] of Object.entries(smile.weights)) expect(sampled[name]).toBeCloseTo(value, 9);
    }
  });

  it('stays within [0, 1] and moves smoothly', () => {
    let previous = sampleClip(0);
    for (let t = 0.01; t <= CLIP_DURATION; t += 0.01) {
      const now = sampleClip(t, {});
      for (const [name, value] of Object.entries(now)) {
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1);
        // Smoothstep over >= 0.4 s: at most 1.5 * 0.01 / 0.4 per 10 ms step.
        expect(Math.abs(value - (previous[name] ?? 0))).toBeLessThan(0.04);
      }
      previous = now;
    }
  });

  it('reuses the target object', () => {
    const target: Record<string, number> = { stale: 1 };
    expect(sampleClip(1, target)).toBe(target);
    expect(target).not.toHaveProperty('stale');
  });
});
