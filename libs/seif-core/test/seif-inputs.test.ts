/**
 * The SeIF encoder must see a photo exactly as it saw the training renders: the TypeScript channel encoding
 * (seif/network.ts) is checked against the Python one that trained the network (models/training/dataset.py), and
 * the production FLAME prior of the generator (synth/prior.ts) against the ground truth it replaces.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type HeadModel, loadDefaultHeadModel } from '@seif/flame';
import type { SeifNetSpec } from '@seif/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centreDepth } from '../src/seif/inputs.js';
import { encodeInputChannels } from '../src/seif/network.js';
import { ProductionPrior, alignPriorDepth, pixelLandmarksToFrame } from '../src/synth/prior.js';
import { type SynthSample, generateSample } from '../src/synth/sample.js';
import { writeShard } from '../src/synth/shard.js';

const TRAINING = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../models/training');
const CHANNELS = ['rgb', 'flame_normal', 'flame_depth', 'mask'] as const;

function specFor(size: number): SeifNetSpec {
  const graph = { file: 'x.onnx', sha256: '0'.repeat(64), bytes: 1, inputs: {}, outputs: {} };
  return {
    config: { name: 'test', image_size: size, channels: [...CHANNELS], encoder: 'unet', feature_channels: 8, use_z: true, use_code: true },
    opset: 17, encoder: graph, decoder: graph, channels: [], projection: '',
  };
}

describe('SeIF inputs', () => {
  let model: HeadModel;
  let sample: SynthSample;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'seif-inputs-'));
  beforeAll(async () => {
    model = await loadDefaultHeadModel();
    // 256 px: the face detector and landmark network need a real-sized face. Index 4 is a mild three-quarter view.
    sample = await generateSample(model, 3, 4, { size: 256, points: 600, prior: new ProductionPrior(), keepScene: true });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('encodes the channels exactly as dataset.py decodes them from a shard', async () => {
    const header = await writeShard(dir, 'shard-00000', [sample], { split: 'train', flamePrior: 'production-fit', generator: { test: true } });
    const encoded = encodeInputChannels(specFor(256), { rgb: sample.image, flameNormal: sample.flameNormal, flameDepth: sample.flameDepth, mask: sample.mask });
    const py = spawnSync('/usr/bin/python3', ['-c', `
import sys
sys.path.insert(0, ${JSON.stringify(TRAINING)})
from dataset import Shard, decode_channels
x = decode_channels(Shard(${JSON.stringify(header)}), 0, ${JSON.stringify(CHANNELS)})
sys.stdout.buffer.write(x.astype('<f4').tobytes())
`], { maxBuffer: 1 << 26 });
    expect(py.status, py.stderr?.toString()).toBe(0);
    const reference = new Float32Array(new Uint8Array(py.stdout).buffer);
    expect(reference.length).toBe(encoded.length);
    let worst = 0;
    for (let i = 0; i < encoded.length; i++) worst = Math.max(worst, Math.abs(encoded[i]! - reference[i]!));
    expect(worst).toBeLessThan(1e-6);
    // Not trivially equal: every channel carries signal.
    expect(encoded.subarray(8 * 256 * 256 - 256 * 256).some((v) => v > 0)).toBe(true);
  }, 60_000);

  it('takes the production fit as the FLAME prior, close to the ground truth it replaces', () => {
    const meta = sample.meta as { prior: string; priorErrorMm: number };
    expect(meta.prior).toBe('production-fit');
    // Mean over all 5023 vertices incl. the unseen back of the head: a real fit, neither perfect nor lost.
    expect(meta.priorErrorMm).toBeGreaterThan(0.5);
    expect(meta.priorErrorMm).toBeLessThan(20);
    // The prior maps cover the face where the ground-truth mask does.
    let face = 0, both = 0;
    for (let p = 0; p < 256 * 256; p++) if (sample.flameDepth[p] !== 0) { face++; if (sample.mask[p]) both++; }
    expect(face).toBeGreaterThan(5000);
    expect(both / face).toBeGreaterThan(0.97);
  });

  it('maps landmark pixels into the render frame and aligns depths', () => {
    const frame = pixelLandmarksToFrame(Float32Array.of(0, 0, 0, 128, 128, -25.6, 256, 256, 0), 256);
    [-0.5, 0.5, 0, 0, 0, 0.1, 0.5, -0.5, 0].forEach((v, i) => expect(frame[i]).toBeCloseTo(v, 6));
    const prior = Float32Array.of(0, 0, 1, 0, 0, 3);
    expect(alignPriorDepth(prior, Float32Array.of(0, 0, 0, 0, 0, 0))).toBe(-2);
    expect(Array.from(prior)).toEqual([0, 0, -1, 0, 0, 1]);
    const mesh = Float32Array.of(0, 0, 0.2, 1, 1, 0.6, 2, 2, 0.3);
    expect(centreDepth(mesh)).toBeCloseTo(-0.4, 6);
    expect(mesh[2]).toBeCloseTo(-0.2, 6);
    expect(mesh[5]).toBeCloseTo(0.2, 6);
  });
});
