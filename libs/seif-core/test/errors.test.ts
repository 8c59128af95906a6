import { describe, expect, it } from 'vitest';
import { SEIF_ERROR_CODES, SeifError, runStage, toSeifError, type Stage } from '../src/pipeline/stage.js';

describe('SeifError', () => {
  it('has a frozen code table with photo/retryable flags', () => {
    expect(Object.isFrozen(SEIF_ERROR_CODES)).toBe(true);
    for (const code of ['INVALID_IMAGE', 'IMAGE_TOO_LARGE', 'UNSUPPORTED_FORMAT', 'NO_FACE', 'MULTIPLE_FACES', 'FACE_TOO_SMALL', 'FACE_TRUNCATED', 'MODEL_UNAVAILABLE', 'INTERNAL']) {
      expect(SEIF_ERROR_CODES).toHaveProperty(code);
    }
    const e = new SeifError('NO_FACE');
    expect(e.isPhotoProblem).toBe(true);
    expect(e.retryable).toBe(false);
    expect(e.message).toBe(SEIF_ERROR_CODES.NO_FACE.message);
    expect(JSON.parse(JSON.stringify(e))).toEqual({ code: 'NO_FACE', message: e.message });
  });

  it('toSeifError passes SeifErrors through and wraps anything else as INTERNAL with cause', () => {
    const own = new SeifError('FACE_TRUNCATED');
    expect(toSeifError(own, 'detect')).toBe(own);
    expect(own.stage).toBe('detect');
    const boom = new TypeError('boom');
    const wrapped = toSeifError(boom, 'decode');
    expect(wrapped.code).toBe('INTERNAL');
    expect(wrapped.cause).toBe(boom);
    expect(wrapped.message).toContain('boom');
    expect(toSeifError('a string').code).toBe('INTERNAL');
    const abort = new DOMException('stop', 'AbortError');
    expect(toSeifError(abort).code).toBe('ABORTED');
  });
});

describe('runStage', () => {
  const ok: Stage<number, number> = { name: 'double', run: async (x) => 2 * x };
  const bad: Stage<number, number> = {
    name: 'bad',
    run: async () => {
      throw new RangeError('out of range');
    },
  };

  it('times the stage and reports progress 0 and 1', async () => {
    const progress: number[] = [];
    const timings: Record<string, number> = {};
    const { output, ms } = await runStage(ok, 21, { onProgress: (p) => progress.push(p.fraction), timings });
    expect(output).toBe(42);
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(timings.double).toBe(ms);
    expect(progress).toEqual([0, 1]);
  });

  it('turns thrown errors into SeifError with the stage name, and survives a throwing progress callback', async () => {
    const error = await runStage(bad, 1, {
      onProgress: () => {
        throw new Error('listener bug');
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SeifError);
    expect((error as SeifError).code).toBe('INTERNAL');
    expect((error as SeifError).stage).toBe('bad');
    expect((error as SeifError).cause).toBeInstanceOf(RangeError);
  });

  it('refuses to start when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(runStage(ok, 1, { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
