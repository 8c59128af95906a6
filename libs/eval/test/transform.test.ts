import { describe, expect, it } from 'vitest';
import { applyTransform, composeTransforms, fitTransform, invertTransform } from '../src/transform.js';
import { random, randomSimilarity } from './helpers.js';

describe('fitTransform (Horn rotation, Umeyama scale)', () => {
  it('recovers a random similarity from 7 exact pairs', () => {
    const rand = random(3);
    for (let trial = 0; trial < 50; trial++) {
      const truth = randomSimilarity(rand);
      const src = Float64Array.from({ length: 21 }, () => 100 * rand() - 50);
      const dst = applyTransform(truth, src);
      const fit = fitTransform(src, dst, { scale: true });
      expect(fit.scale).toBeCloseTo(truth.scale, 9);
      for (let i = 0; i < 9; i++) expect(fit.rotation[i]).toBeCloseTo(truth.rotation[i]!, 9);
      for (let i = 0; i < 3; i++) expect(fit.translation[i]).toBeCloseTo(truth.translation[i]!, 6);
    }
  });

  it('inverts and composes', () => {
    const rand = random(5);
    const a = randomSimilarity(rand);
    const b = randomSimilarity(rand);
    const p = Float64Array.from({ length: 30 }, () => rand());
    const viaCompose = applyTransform(composeTransforms(a, b), p);
    const stepwise = applyTransform(a, applyTransform(b, p));
    for (let i = 0; i < p.length; i++) expect(viaCompose[i]).toBeCloseTo(stepwise[i]!, 9);
    const back = applyTransform(invertTransform(a), applyTransform(a, p));
    for (let i = 0; i < p.length; i++) expect(back[i]).toBeCloseTo(p[i]!, 9);
  });
});
