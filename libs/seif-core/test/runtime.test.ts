import { afterAll, describe, expect, it } from 'vitest';
import { executionProviders } from '../src/runtime/device.js';
import { disposeModels, loadModel, loadedModels } from '../src/runtime/registry.js';
import { ort } from '../src/runtime/session.js';
import { SeifError } from '../src/pipeline/errors.js';

afterAll(disposeModels);

describe('executionProviders', () => {
  it('maps cpu to the CPU provider', () => {
    expect(executionProviders('cpu')).toEqual({ device: 'cpu', providers: ['cpu'] });
  });
  it('uses CUDA only when available, else errors or falls back by option', () => {
    expect(executionProviders('cuda', { cudaAvailable: true }).providers[0]).toEqual({ name: 'cuda', deviceId: 0 });
    expect(() => executionProviders('cuda', { cudaAvailable: false })).toThrow(/cuda/);
    try {
      executionProviders('cuda', { cudaAvailable: false });
    } catch (e) {
      expect((e as SeifError).code).toBe('DEVICE_UNAVAILABLE');
    }
    expect(executionProviders('cuda', { cudaAvailable: false, fallback: 'cpu' })).toEqual({ device: 'cpu', providers: ['cpu'] });
  });
  it('rejects unknown devices listing the valid ones', () => {
    expect(() => executionProviders('tpu')).toThrow(/cpu, cuda/);
  });
});

describe('OnnxSession and the model registry', () => {
  it('loads a model once and shares the session', async () => {
    const [a, b] = await Promise.all([loadModel('face-detection-short'), loadModel('face-detection-short')]);
    expect(a).toBe(b);
    expect(a.inputNames).toEqual(['input']);
    expect(loadedModels()).toContain('face-detection-short@cpu');
  });

  it('validates feeds and names each input with its type and dims', async () => {
    const session = await loadModel('face-detection-short');
    const wrong = new ort.Tensor('float32', new Float32Array(64 * 64 * 3), [1, 64, 64, 3]);
    await expect(session.run({ input: wrong })).rejects.toThrow(/'input' has dims \[1,64,64,3\], expected \[1,128,128,3\].*input: float32\[1,64,64,3\]/);
    await expect(session.run({ image: wrong })).rejects.toMatchObject({ code: 'INVALID_FEED', message: expect.stringMatching(/missing input 'input'.*unexpected input 'image'/) });
    const good = new ort.Tensor('float32', new Float32Array(128 * 128 * 3), [1, 128, 128, 3]);
    const out = await session.run({ input: good });
    expect(out.regressors?.dims).toEqual([1, 896, 16]);
  });

  it('rejects unknown model names listing the known ones', async () => {
    await expect(loadModel('nope' as never)).rejects.toThrow(/face-detection-short/);
  });
});
