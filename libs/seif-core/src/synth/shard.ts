/**
 * Training shards (models/training/dataset.py documents the format and reads it with numpy): `<name>.bin`, raw
 * little-endian arrays one after another at 16-byte-aligned offsets, and `<name>.json`, the header naming each
 * array's dtype, shape and offset, the FLAME prior's source, the split and per-sample metadata. Written via temp
 * files + rename so a reader never sees half a shard.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SynthSample } from './sample.js';

export const SHARD_FORMAT = 'seif-shard';
export const SHARD_VERSION = 1;

type Dtype = 'uint8' | 'float32';

interface ArraySpec {
  name: string;
  dtype: Dtype;
  /** Shape of one sample's array. */
  shape: (s: SynthSample) => number[];
  data: (s: SynthSample) => Uint8Array | Float32Array;
}

const ARRAYS: readonly ArraySpec[] = [
  { name: 'image', dtype: 'uint8', shape: (s) => [s.size, s.size, 3], data: (s) => s.image },
  { name: 'flame_normal', dtype: 'uint8', shape: (s) => [s.size, s.size, 3], data: (s) => s.flameNormal },
  { name: 'flame_depth', dtype: 'float32', shape: (s) => [s.size, s.size], data: (s) => s.flameDepth },
  { name: 'mask', dtype: 'uint8', shape: (s) => [s.size, s.size], data: (s) => s.mask },
  { name: 'points', dtype: 'float32', shape: (s) => [s.occupancy.length, 3], data: (s) => s.points },
  { name: 'occupancy', dtype: 'uint8', shape: (s) => [s.occupancy.length], data: (s) => s.occupancy },
  { name: 'codes_prior', dtype: 'float32', shape: (s) => [s.occupancy.length, 3], data: (s) => s.codesPrior },
  { name: 'codes_gt', dtype: 'float32', shape: (s) => [s.occupancy.length, 3], data: (s) => s.codesGt },
];

export interface ShardInfo {
  split: 'train' | 'val';
  /** 'production-fit' (the real front end on each render) or 'ground-truth' (see synth/prior.ts). */
  flamePrior: string;
  generator: Record<string, unknown>;
}

const align16 = (n: number) => (n + 15) & ~15;

/** Writes samples (same size and point count) as one shard; returns the header path. */
export async function writeShard(dir: string, name: string, samples: readonly SynthSample[], info: ShardInfo): Promise<string> {
  if (samples.length === 0) throw new RangeError('writeShard: no samples');
  const first = samples[0]!;
  for (const s of samples) {
    if (s.size !== first.size || s.occupancy.length !== first.occupancy.length) throw new RangeError('writeShard: samples differ in image size or point count');
  }
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('writeShard: big-endian hosts are not supported (the format is little-endian)');
  const n = samples.length;
  const arrays: Record<string, { dtype: Dtype; shape: number[]; offset: number }> = {};
  let offset = 0;
  const chunks: Uint8Array[] = [];
  for (const spec of ARRAYS) {
    const pad = align16(offset) - offset;
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    arrays[spec.name] = { dtype: spec.dtype, shape: [n, ...spec.shape(first)], offset };
    for (const s of samples) {
      const d = spec.data(s);
      chunks.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      offset += d.byteLength;
    }
  }
  await mkdir(dir, { recursive: true });
  const bin = path.join(dir, `${name}.bin`);
  const json = path.join(dir, `${name}.json`);
  await writeFile(`${bin}.tmp`, Buffer.concat(chunks));
  await rename(`${bin}.tmp`, bin);
  const header = {
    format: SHARD_FORMAT, version: SHARD_VERSION, binary: `${name}.bin`, count: n, imageSize: first.size,
    pointsPerSample: first.occupancy.length, arrays, split: info.split, flamePrior: info.flamePrior,
    flamePriorNote: info.flamePrior === 'ground-truth'
      ? 'FLAME prior = the ground-truth FLAME part (a perfect fit), NOT the production fit stage: regenerate once the fit stage lands'
      : undefined,
    generator: info.generator,
    samples: samples.map((s) => s.meta),
  };
  await writeFile(`${json}.tmp`, JSON.stringify(header, null, 1));
  await rename(`${json}.tmp`, json);
  return json;
}
