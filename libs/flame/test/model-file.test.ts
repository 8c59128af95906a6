import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefaultHeadModel } from '../src/build/default-model.js';
import type { HeadModel } from '../src/model/head-model.js';
import { decodeHeadModel, encodeHeadModel, readHeadModelFile, writeHeadModelFile } from '../src/model/model-file.js';

let model: HeadModel;
let dir: string;
beforeAll(async () => {
  model = await loadDefaultHeadModel();
  dir = mkdtempSync(path.join(os.tmpdir(), 'seifhead-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('.seifhead file', () => {
  it('round-trips every array and the metadata', async () => {
    const file = path.join(dir, 'm.seifhead');
    await writeHeadModelFile(file, model);
    expect(readdirSync(dir)).toEqual(['m.seifhead']); // no temp file left behind
    const back = await readHeadModelFile(file);
    expect(back.name).toBe(model.name);
    expect(back.attribution).toEqual(model.attribution);
    expect(back.expression.names).toEqual(model.expression.names);
    expect(back.template).toEqual(model.template);
    expect(back.faces).toEqual(model.faces);
    expect(back.skinWeights).toEqual(model.skinWeights);
    expect(back.expression.deltas).toEqual(model.expression.deltas);
    expect(back.uv?.coords).toEqual(model.uv?.coords);
    expect(back.landmarks.mediapipe478?.faceIndex).toEqual(model.landmarks.mediapipe478?.faceIndex);
    expect(back.dynamicContour?.barycentric).toEqual(model.dynamicContour?.barycentric);
    expect(back.masks.lips).toEqual(model.masks.lips);
    expect(back.eyeballs).toEqual(model.eyeballs);
  });
  it('loads without copying: arrays are views on one buffer', () => {
    const bytes = encodeHeadModel(model);
    const back = decodeHeadModel(bytes);
    expect(back.template.buffer).toBe(bytes.buffer);
    expect(back.identity.deltas.buffer).toBe(bytes.buffer);
    expect(back.masks.face!.buffer).toBe(bytes.buffer);
  });
  it('rejects bad magic, a wrong version, a damaged byte and truncation with typed errors', () => {
    const bytes = encodeHeadModel(model);
    expect(() => decodeHeadModel(bytes.slice(1))).toThrow(/bad magic/);
    const version = bytes.slice();
    version[8] = 99;
    expect(() => decodeHeadModel(version)).toThrow(/format version 99/);
    const damaged = bytes.slice();
    damaged[damaged.length - 100] = damaged[damaged.length - 100]! ^ 0xff;
    expect(() => decodeHeadModel(damaged)).toThrow(/checksum mismatch/);
    expect(() => decodeHeadModel(bytes.slice(0, bytes.length / 2))).toThrow(expect.objectContaining({ code: 'CORRUPT_FILE' }));
    const file = path.join(dir, 'bad.seifhead');
    writeFileSync(file, damaged);
    return expect(readHeadModelFile(file)).rejects.toMatchObject({ code: 'CORRUPT_FILE' });
  });
  it('refuses an inconsistent model before writing', () => {
    const broken = { ...model, skinWeights: model.skinWeights.subarray(5) };
    expect(() => encodeHeadModel(broken)).toThrow(/skin weights should have/);
    expect(readFileSync).toBeDefined();
  });
});
