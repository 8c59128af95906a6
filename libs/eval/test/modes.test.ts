import { describe, expect, it } from 'vitest';
import { EvalError } from '../src/errors.js';
import { getMode, modeNames } from '../src/modes/registry.js';
import { isFailure } from '../src/modes/types.js';
import { ALIGNMENT_LANDMARKS } from '../src/align.js';

describe('mode registry', () => {
  it('lists the modes and says clearly that flame and seif are not available yet', async () => {
    expect(modeNames()).toEqual(['mean-template', 'flame', 'seif']);
    for (const name of ['flame', 'seif']) {
      await expect(getMode(name).create()).rejects.toThrow(/not available yet/);
    }
    expect(() => getMode('nope')).toThrow(EvalError);
  });

  it('mean-template returns FLAME (5023 vertices, metres) with finite alignment landmarks', async () => {
    const reconstruct = await getMode('mean-template').create();
    const out = await reconstruct({ data: new Uint8Array(3), width: 1, height: 1 }, { caseName: 'x' });
    if (isFailure(out)) throw new Error('unexpected failure');
    expect(out.vertices.length).toBe(3 * 5023);
    expect(out.faces.length).toBe(3 * 9976);
    expect(out.unit).toBe('m');
    for (const l of ALIGNMENT_LANDMARKS) for (let d = 0; d < 3; d++) expect(Number.isFinite(out.landmarks68[3 * l + d]!)).toBe(true);
    // Inter-ocular (outer corners 36-45) of an adult template: ~9 cm.
    const iod = Math.hypot(...[0, 1, 2].map((d) => out.landmarks68[3 * 36 + d]! - out.landmarks68[3 * 45 + d]!));
    expect(iod).toBeGreaterThan(0.07);
    expect(iod).toBeLessThan(0.11);
  });
});
