import { seifWeights } from '@seif/models';
import { describe, expect, it } from 'vitest';
import { EvalError } from '../src/errors.js';
import { getMode, modeNames } from '../src/modes/registry.js';
import { isFailure } from '../src/modes/types.js';
import { ALIGNMENT_LANDMARKS } from '../src/align.js';

describe('mode registry', () => {
  it('lists the modes and rejects unknown ones', () => {
    expect(modeNames()).toEqual(['mean-template', 'flame', 'seif', 'seif-surface']);
    expect(() => getMode('nope')).toThrow(EvalError);
  });

  it('seif runs the whole SeIF pipeline when weights are shipped (a blank image is NO_FACE), else says they are missing', async () => {
    if (!seifWeights() && !process.env.SEIF_WEIGHTS_DIR) {
      await expect(getMode('seif').create()).rejects.toMatchObject({ code: 'MODE_NOT_AVAILABLE' });
      return;
    }
    const reconstruct = await getMode('seif').create();
    const out = await reconstruct({ data: new Uint8Array(256 * 256 * 3).fill(128), width: 256, height: 256 }, { caseName: 'blank' });
    expect(isFailure(out) && out.failure.code).toBe('NO_FACE');
  }, 120_000);

  it('flame runs the production front end: a blank image is a NO_FACE failure, not an exception', async () => {
    const reconstruct = await getMode('flame').create();
    const out = await reconstruct({ data: new Uint8Array(256 * 256 * 3).fill(128), width: 256, height: 256 }, { caseName: 'blank' });
    expect(isFailure(out) && out.failure.code).toBe('NO_FACE');
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
