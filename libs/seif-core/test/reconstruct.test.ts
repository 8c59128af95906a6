/** reconstruct(): the whole FLAME-only path on a sample photo, run once and inspected by every test. */
import { assetPath } from '@seif/models';
import { validateBytes } from 'gltf-validator';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReconstructProgress, type ReconstructResult, reconstruct, reconstructionPipeline } from '../src/pipeline/reconstruct.js';
import { disposeModels } from '../src/runtime/registry.js';
import { decodeStl } from '@seif/flame';
import { NodeIO } from '@gltf-transform/core';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { animateGlb, animationFrame, parseArkitWeights } from '../src/pipeline/animate.js';
import { defaultHeadModel } from '../src/stages/fit.js';

let result: ReconstructResult;
const progress: ReconstructProgress[] = [];

beforeAll(async () => {
  await reconstructionPipeline().warmUp();
  result = await reconstruct(await assetPath('photo-model-face'), { mode: 'flame', onProgress: (p) => progress.push(p) });
});
afterAll(disposeModels);

const file = (kind: string) => result.files.find((f) => f.kind === kind)!;

describe('reconstruct (FLAME-only path)', () => {
  it('returns every file kind with name, size and content type', () => {
    expect(result.files.map((f) => f.kind).sort()).toEqual(['GLB', 'MTL', 'OBJ', 'PARAMS', 'PLY', 'STL', 'TEXTURE', 'THUMBNAIL']);
    for (const f of result.files) {
      expect(f.bytes).toBe(f.data.byteLength);
      expect(f.bytes).toBeGreaterThan(100);
      expect(f.contentType).toMatch(/\//);
    }
    expect(file('GLB').contentType).toBe('model/gltf-binary');
  });

  it('writes a GLB that the glTF validator accepts, with 52 ARKit morphs, a skeleton and the texture', async () => {
    const report = await validateBytes(file('GLB').data, { maxIssues: 20 });
    expect(report.issues.numErrors, JSON.stringify(report.issues.messages.slice(0, 5))).toBe(0);
    expect(report.info?.hasMorphTargets).toBe(true);
    expect(report.info?.hasSkins).toBe(true);
    expect(report.info?.resources?.some((r) => r.mimeType === 'image/png')).toBe(true);
  });

  it('writes an OBJ whose MTL names the TEXTURE file', () => {
    const mtl = new TextDecoder().decode(file('MTL').data);
    expect(mtl).toContain(`map_Kd ${file('TEXTURE').name}`);
    const obj = new TextDecoder().decode(file('OBJ').data);
    expect(obj).toContain('mtllib head.mtl');
    expect(obj.split('\nf ').length - 1).toBe(9976);
  });

  it('writes a closed STL in millimetres', () => {
    const triangles = decodeStl(file('STL').data);
    let minY = Infinity, maxY = -Infinity;
    for (let i = 1; i < triangles.length; i += 3) { minY = Math.min(minY, triangles[i]!); maxY = Math.max(maxY, triangles[i]!); }
    expect(maxY - minY).toBeGreaterThan(150); // a head with neck: ~25 cm
    expect(maxY - minY).toBeLessThan(400);
  });

  it('writes PARAMS with the model, AXIS_ANGLE, every parameter, the camera and per-stage timings', () => {
    const params = JSON.parse(new TextDecoder().decode(file('PARAMS').data));
    expect(params).toEqual(result.params);
    expect(params.headModel.name).toBe('flame2023-open-arkit');
    expect(params.rotationConvention).toBe('AXIS_ANGLE');
    expect(Object.keys(params.params.expression)).toHaveLength(52);
    expect(Object.keys(params.params.pose)).toEqual(['global', 'neck', 'jaw', 'eye_l', 'eye_r']);
    expect(params.params.identity.length).toBeGreaterThan(0);
    expect(params.camera.type).toBe('orthographic');
    for (const stage of ['decode', 'detect', 'landmarks', 'normalise', 'fit', 'texture', 'export', 'thumbnail', 'total']) expect(params.timings[stage]).toBeGreaterThan(0);
    expect(params.texture.coverage.photo).toBeGreaterThan(0.15);
  });

  it('renders a 256 x 256 thumbnail with a head in it', async () => {
    const thumb = file('THUMBNAIL');
    const { data, info } = await sharp(thumb.data).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([256, 256]);
    const corner = [data[0], data[1], data[2]];
    const centre = 3 * (128 * 256 + 128);
    expect(Math.abs(data[centre]! - corner[0]!) + Math.abs(data[centre + 1]! - corner[1]!)).toBeGreaterThan(20);
  });

  it('reports progress per stage in order, the overall fraction rising to 1', () => {
    const stages = [...new Set(progress.map((p) => p.stage))];
    expect(stages).toEqual(['decode', 'detect', 'landmarks', 'normalise', 'fit', 'texture', 'export', 'thumbnail']);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.fraction).toBeGreaterThanOrEqual(progress[i - 1]!.fraction - 1e-9);
    expect(progress.at(-1)!.fraction).toBeCloseTo(1, 6);
  });

  it("segments on request in mode 'flame' (SeIF and its fallbacks: seif-pipeline.test.ts)", async () => {
    const flame = await reconstruct(await assetPath('photo-model-face'), { mode: 'flame', formats: ['glb'], textureSize: 256, thumbnailSize: 0, segmentation: true });
    expect(flame.files.map((f) => f.kind).sort()).toEqual(['GLB', 'PARAMS', 'TEXTURE']);
    expect(flame.params.mode).toBe('flame');
    expect(flame.seif).toBeUndefined();
    expect(flame.timings.segment).toBeGreaterThan(0);
  });

  it('honours an AbortSignal between stages', async () => {
    const controller = new AbortController();
    const run = reconstruct(await assetPath('photo-model-face'), {
      signal: controller.signal,
      onProgress: (p) => { if (p.stage === 'landmarks') controller.abort(); },
    });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('gives typed errors: NO_FACE, MULTIPLE_FACES, INVALID_ARGUMENT', async () => {
    await expect(reconstruct(await assetPath('photo-zebra-stripes'))).rejects.toMatchObject({ code: 'NO_FACE' });
    await expect(reconstruct(await assetPath('photo-group'), { faces: 'error' })).rejects.toMatchObject({ code: 'MULTIPLE_FACES' });
    await expect(reconstruct(await assetPath('photo-model-face'), { formats: ['fbx' as 'glb'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(reconstruct(await assetPath('photo-model-face'), { textureSize: 5 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('animate: a preset sets the morph weights and the jaw rotation, rest geometry untouched', async () => {
    const model = await defaultHeadModel();
    const animated = await animateGlb(file('GLB').data, model, animationFrame({ preset: 'jawOpen' }));
    const doc = await new NodeIO().readBinary(animated);
    const mesh = doc.getRoot().listMeshes()[0]!;
    const names = (mesh.getExtras() as { targetNames: string[] }).targetNames;
    expect(mesh.getWeights()[names.indexOf('jawOpen')]).toBeCloseTo(1, 6);
    const jaw = doc.getRoot().listNodes().find((n) => n.getName() === 'jaw')!;
    expect(jaw.getRotation()[3]).toBeLessThan(0.999); // rotated
    const smile = await animateGlb(file('GLB').data, model, animationFrame({ arkit: parseArkitWeights('mouthSmileLeft=0.5') }));
    const smileMesh = (await new NodeIO().readBinary(smile)).getRoot().listMeshes()[0]!;
    expect(smileMesh.getWeights()[names.indexOf('mouthSmileLeft')]).toBeCloseTo(0.5, 6);
    expect(() => parseArkitWeights('jawOpen')).toThrow(/name=value/);
    expect(() => animationFrame({ preset: 'dance' })).toThrow(/unknown preset/);
  });

  it('the seif CLI prints help and animates a result directory', async () => {
    const run = promisify(execFile);
    const bin = fileURLToPath(new URL('../bin/seif.js', import.meta.url));
    const help = await run(process.execPath, [bin, '--help']);
    expect(help.stdout).toContain('reconstruct');
    expect(help.stdout).toContain('animate');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'seif-cli-'));
    await writeFile(path.join(dir, 'head.glb'), file('GLB').data);
    const out = path.join(dir, 'smile.glb');
    const animate = await run(process.execPath, [bin, 'animate', dir, '--preset', 'smile', '-o', out]);
    expect(animate.stdout).toContain('preset smile');
    expect((await readFile(out)).subarray(0, 4).toString()).toBe('glTF');
  });
});
