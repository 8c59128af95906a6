import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { validateBytes } from 'gltf-validator';
import type { Bone, Object3D, SkinnedMesh } from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { MeshoptDecoder } from 'three/examples/jsm/libs/meshopt_decoder.module.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGlb, writeGlb } from '../src/export/glb.js';
import { ExportError } from '../src/export/errors.js';
import type { ExportMesh } from '../src/export/types.js';
import { ARKIT_NAMES_FOR_TESTS, flameExportMesh, icosphere, sphereUvs, tinyPng } from './fixtures/meshes.js';

async function expectValid(bytes: Uint8Array): Promise<void> {
  const report = await validateBytes(bytes, { maxIssues: 50 });
  const errors = report.issues.messages.filter((m) => m.severity === 0);
  expect(errors, JSON.stringify(errors, null, 1)).toEqual([]);
  expect(report.issues.numErrors).toBe(0);
}

async function loadInThree(bytes: Uint8Array): Promise<Object3D> {
  const loader = new GLTFLoader();
  loader.setMeshoptDecoder(MeshoptDecoder);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const gltf = await loader.parseAsync(buffer, '');
  return gltf.scene;
}

function findSkinnedMesh(root: Object3D): SkinnedMesh | undefined {
  let found: SkinnedMesh | undefined;
  root.traverse((object) => {
    if (!found && (object as SkinnedMesh).isSkinnedMesh) found = object as SkinnedMesh;
  });
  return found;
}

describe('GLB export', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'seif-glb-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a valid icosphere with uvs, colours, a texture and a morph target', async () => {
    const sphere = icosphere(0.1, 2);
    const deltas = new Float32Array(sphere.positions.length);
    for (let i = 0; i < deltas.length; i++) deltas[i] = (sphere.positions[i] as number) * 0.1;
    const colors = new Uint8Array(sphere.positions.length).fill(200);
    const mesh: ExportMesh = {
      positions: sphere.positions,
      indices: sphere.indices,
      uvs: sphereUvs(sphere.positions),
      colors,
      material: { name: 'skin', texture: { bytes: tinyPng(), mime: 'image/png' } },
      morphTargets: [{ name: 'jawOpen', deltas }],
    };
    const bytes = await encodeGlb(mesh);
    await expectValid(bytes);
  });

  it('writes the FLAME template with 52 ARKit morphs, a skeleton and a texture; the validator finds no errors', async () => {
    const mesh = await flameExportMesh({ morphs: 52, skin: true, texture: true });
    const started = performance.now();
    const bytes = await encodeGlb(mesh, { metadata: { headModel: 'test' } });
    const elapsed = performance.now() - started;
    console.info(`FLAME GLB, 52 morphs + skin + texture: ${(bytes.byteLength / 1e6).toFixed(2)} MB in ${elapsed.toFixed(0)} ms`);
    await expectValid(bytes);
  });

  it('three.js GLTFLoader reads back the morph names and the skeleton', async () => {
    const mesh = await flameExportMesh({ morphs: 52, skin: true });
    const scene = await loadInThree(await encodeGlb(mesh));
    const skinned = findSkinnedMesh(scene);
    expect(skinned).toBeDefined();
    expect(Object.keys(skinned?.morphTargetDictionary ?? {})).toEqual(ARKIT_NAMES_FOR_TESTS);
    expect(skinned?.skeleton.bones.map((bone: Bone) => bone.name)).toEqual(['global', 'neck', 'jaw', 'eye_left', 'eye_right']);
    const jaw = skinned?.skeleton.bones[2];
    expect(jaw?.parent?.name).toBe('neck');
    // Bind pose reproduces the rest positions: bone world matrix times inverse bind is the identity.
    skinned?.updateMatrixWorld(true);
    const product = jaw!.matrixWorld.clone().multiply(skinned!.skeleton.boneInverses[2]!);
    for (const [i, value] of product.elements.entries()) expect(value).toBeCloseTo(i % 5 === 0 ? 1 : 0, 5);
  });

  it('meshopt compression: valid, smaller, and still readable by three.js with the decoder', async () => {
    const mesh = await flameExportMesh({ morphs: 52, skin: true });
    const plain = await encodeGlb(mesh);
    const started = performance.now();
    const compressed = await encodeGlb(mesh, { meshopt: true });
    const elapsed = performance.now() - started;
    console.info(`FLAME GLB meshopt: ${(compressed.byteLength / 1e6).toFixed(2)} MB (plain ${(plain.byteLength / 1e6).toFixed(2)} MB) in ${elapsed.toFixed(0)} ms`);
    expect(compressed.byteLength).toBeLessThan(plain.byteLength / 2);
    await expectValid(compressed);
    const skinned = findSkinnedMesh(await loadInThree(compressed));
    expect(Object.keys(skinned?.morphTargetDictionary ?? {})).toHaveLength(52);
    expect(skinned?.skeleton.bones).toHaveLength(5);
  });

  it('writes extra meshes with their own materials, eyes bound rigidly to a joint', async () => {
    const mesh = await flameExportMesh({ skin: true });
    const eye = icosphere(0.012, 1);
    mesh.extras = [
      { name: 'eye_left_cornea', positions: eye.positions, indices: eye.indices, joint: 3, material: { name: 'cornea', roughness: 0.05, baseColor: [1, 1, 1, 1] } },
      { name: 'hair', positions: icosphere(0.12, 1).positions, indices: icosphere(0.12, 1).indices, material: { name: 'hair', roughness: 0.8, baseColor: [0.1, 0.07, 0.05, 1] } },
    ];
    const bytes = await encodeGlb(mesh);
    await expectValid(bytes);
    const scene = await loadInThree(bytes);
    expect(scene.getObjectByName('hair')).toBeDefined();
  });

  it('skins extra meshes per vertex (hair following head and neck) and writes their vertex colours', async () => {
    const mesh = await flameExportMesh({ skin: true });
    const hair = icosphere(0.12, 2);
    const n = hair.positions.length / 3;
    const skinJoints = new Uint8Array(4 * n);
    const skinWeights = new Float32Array(4 * n);
    const colors = new Uint8Array(3 * n).fill(40);
    for (let v = 0; v < n; v++) {
      // Upper half on the neck joint (1), lower half blended with the root (0), like hair near the nape.
      skinJoints[4 * v] = 1;
      skinJoints[4 * v + 1] = 0;
      skinWeights[4 * v] = hair.positions[3 * v + 1]! > 0 ? 1 : 0.6;
      skinWeights[4 * v + 1] = hair.positions[3 * v + 1]! > 0 ? 0 : 0.4;
    }
    mesh.extras = [{ name: 'hair', positions: hair.positions, indices: hair.indices, skinJoints, skinWeights, colors }];
    const bytes = await encodeGlb(mesh);
    await expectValid(bytes);
    const scene = await loadInThree(bytes);
    const node = scene.getObjectByName('hair') as SkinnedMesh;
    expect(node.isSkinnedMesh).toBe(true);
    expect(node.skeleton.bones).toHaveLength(5);
    expect(node.geometry.getAttribute('color').count).toBe(n);
    expect(node.geometry.getAttribute('skinWeight').getX(0)).toBeGreaterThan(0.5);
    const broken = { ...mesh, extras: [{ name: 'hair', positions: hair.positions, indices: hair.indices, skinJoints, skinWeights: skinWeights.subarray(4) }] };
    await expect(encodeGlb(broken)).rejects.toMatchObject({ code: 'INVALID_LENGTH' });
  });

  it('writes atomically and leaves no temp file behind', async () => {
    const sphere = icosphere(0.1, 1);
    const file = path.join(dir, 'sphere.glb');
    const size = await writeGlb(file, { positions: sphere.positions, indices: sphere.indices });
    expect((await readFile(file)).byteLength).toBe(size);
    expect(await readdir(dir)).toEqual(['sphere.glb']);
  });

  it('throws typed errors for bad input', async () => {
    const sphere = icosphere(0.1, 1);
    const bad = (mesh: Partial<ExportMesh>) => encodeGlb({ positions: sphere.positions, indices: sphere.indices, ...mesh });
    await expect(bad({ positions: sphere.positions.subarray(1) })).rejects.toMatchObject({ code: 'INVALID_LENGTH' });
    const nan = Float32Array.from(sphere.positions);
    nan[7] = Number.NaN;
    await expect(bad({ positions: nan })).rejects.toMatchObject({ code: 'NOT_FINITE' });
    await expect(bad({ morphTargets: [{ name: 'jawOpen', deltas: new Float32Array(3) }] })).rejects.toMatchObject({ code: 'MORPH_LENGTH_MISMATCH' });
    await expect(bad({ indices: Uint32Array.from([0, 1, 9999]) })).rejects.toMatchObject({ code: 'INDEX_OUT_OF_RANGE' });
    await expect(bad({ uvs: new Float32Array(4) })).rejects.toBeInstanceOf(ExportError);
    await expect(bad({ material: { texture: { bytes: new Uint8Array(16), mime: 'image/png' } } })).rejects.toMatchObject({ code: 'INVALID_TEXTURE' });
  });
});
