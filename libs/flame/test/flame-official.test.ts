import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetPath } from '@seif/models';
import { loadFlameOfficial } from '../src/io/flame-official.js';
import { parseNpz } from '../src/io/npy.js';
import { evaluate } from '../src/model/evaluate.js';

// Debian's python with python3-numpy and python3-scipy (not a pyenv `python3`, which lacks scipy).
const PYTHON = '/usr/bin/python3';
let dir: string;
let expected: Map<string, { data: ArrayLike<number> }>;

beforeAll(async () => {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install Debian's python3, python3-numpy and python3-scipy`);
  dir = mkdtempSync(path.join(os.tmpdir(), 'flame-official-'));
  execFileSync(PYTHON, [path.join(__dirname, 'python/make_flame_pickles.py'), await assetPath('flame2023-open-basis'), await assetPath('flame2020-joint-regressor'), dir], { stdio: 'pipe' });
  expected = parseNpz(new Uint8Array(readFileSync(path.join(dir, 'expected.npz')))) as never;
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expectClose(actual: ArrayLike<number>, wanted: ArrayLike<number>, tolerance: number) {
  expect(actual.length).toBe(wanted.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs((actual[i] as number) - (wanted[i] as number)));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

describe.each([
  ['flame2020_like.pkl', 'chumpy Ch + scipy csc, protocol 2'],
  ['flame2023_like.pkl', 'numpy, protocol 4'],
])('official loader: %s (%s)', (file) => {
  it('recovers every array (float32 exactly)', async () => {
    const model = await loadFlameOfficial(path.join(dir, file), { identityCount: 12 });
    const n = 5023;
    expectClose(model.template, Float32Array.from(expected.get('v_template')!.data), 0);
    expect(Array.from(model.faces)).toEqual(Array.from(expected.get('faces')!.data));
    const sd = expected.get('shapedirs')!.data;
    const id = new Float32Array(12 * 3 * n), ex = new Float32Array(5 * 3 * n);
    for (let q = 0; q < 3 * n; q++) {
      for (let c = 0; c < 12; c++) id[c * 3 * n + q] = sd[q * 17 + c] as number;
      for (let c = 0; c < 5; c++) ex[c * 3 * n + q] = sd[q * 17 + 12 + c] as number;
    }
    expectClose(model.identity.deltas, id, 0);
    expectClose(model.expression.deltas, ex, 0);
    expectClose(model.joints.regressor, Float32Array.from(expected.get('regressor')!.data), 0);
    expectClose(model.skinWeights, Float32Array.from(expected.get('weights')!.data), 0);
    const pd = expected.get('posedirs')!.data;
    expect(model.poseCorrectives![5 * 3 * n + 3 * 100 + 2]).toBe(Math.fround(pd[(3 * 100 + 2) * 36 + 5] as number));
    expect(Array.from(model.joints.parents)).toEqual([-1, 0, 1, 1, 1]);
    // And it evaluates: pose correctives applied, no NaN.
    const verts = evaluate(model, { pose: [0, 0, 0, 0.1, 0, 0, 0.2, 0, 0, 0, 0, 0, 0, 0, 0] });
    expect(verts.every(Number.isFinite)).toBe(true);
  });
});

describe('official loader errors', () => {
  it('names a missing file and a non-FLAME pickle', async () => {
    await expect(loadFlameOfficial(path.join(dir, 'nope.pkl'))).rejects.toMatchObject({ code: 'MISSING_INPUT' });
    await expect(loadFlameOfficial(path.join(dir, 'expected.npz'))).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT', message: expect.stringMatching(/zip archive/) });
    const truncated = readFileSync(path.join(dir, 'flame2023_like.pkl')).subarray(0, 5000);
    const { parseFlameOfficial } = await import('../src/io/flame-official.js');
    expect(() => parseFlameOfficial(new Uint8Array(truncated))).toThrow(/truncated/);
  });
});
