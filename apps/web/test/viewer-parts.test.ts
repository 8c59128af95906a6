/**
 * The viewer's part toggles (app/components/head-viewer/parts.ts): node names -> FLAME / hair / other, on
 * hand-made three.js trees and on a GLB written by @seif/flame's exporter and read by three.js's GLTFLoader, so
 * the names the exporter writes are the names the viewer sees. And the viewer state -> createAnimation input.
 */
import * as THREE from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { describe, expect, it } from 'vitest';
import { encodeGlb } from '@seif/flame/export/glb';
import type { ExportExtraMesh } from '@seif/flame/export/types';
import { animationInput, describeInput } from '../app/components/head-viewer/animation-input';
import { applyPartVisibility, findParts, partOfName, partToggles } from '../app/components/head-viewer/parts';
import { NEUTRAL_POSE, type PoseState } from '../app/components/head-viewer/rig';

const mesh = (name: string) => Object.assign(new THREE.Mesh(new THREE.BufferGeometry()), { name });

describe('part names', () => {
  it('reads head and eye* as FLAME, hair* as hair, anything else as beyond FLAME', () => {
    expect(['head', 'Head', 'head_1', 'eye_left', 'eyes'].map(partOfName)).toEqual(['flame', 'flame', 'flame', 'flame', 'flame']);
    expect(['hair', 'Hair', 'hair_back', 'hair_1'].map(partOfName)).toEqual(['hair', 'hair', 'hair', 'hair']);
    expect(['shoulders', 'neck_extension', 'mesh_0'].map(partOfName)).toEqual(['other', 'other', 'other']);
    expect(partOfName('')).toBeUndefined();
  });

  it('classifies a mesh by its node or any group above it, skipping bones', () => {
    const root = new THREE.Group();
    const hairGroup = Object.assign(new THREE.Group(), { name: 'hair' });
    hairGroup.add(mesh('mesh_3'), mesh('mesh_4'));
    const wrapper = Object.assign(new THREE.Group(), { name: 'RootNode' });
    wrapper.add(mesh('head'));
    const bone = Object.assign(new THREE.Bone(), { name: 'eye_l' });
    bone.add(mesh('pupil_cover'));
    root.add(hairGroup, wrapper, bone, mesh('shoulders'));
    const parts = findParts(root);
    expect(parts.hair.map((m) => m.name)).toEqual(['mesh_3', 'mesh_4']);
    expect(parts.flame.map((m) => m.name)).toEqual(['head']);
    expect(parts.other.map((m) => m.name).sort()).toEqual(['pupil_cover', 'shoulders']);
  });

  it('offers each toggle only when there is something to hide, and hides the right meshes', () => {
    const flameOnlyModel = findParts(new THREE.Group().add(mesh('head')));
    expect(partToggles(flameOnlyModel)).toEqual({ hair: false, flameOnly: false });
    const full = findParts(new THREE.Group().add(mesh('head'), mesh('hair'), mesh('shoulders')));
    expect(partToggles(full)).toEqual({ hair: true, flameOnly: true });
    const visible = () => [full.flame[0]!.visible, full.hair[0]!.visible, full.other[0]!.visible];
    applyPartVisibility(full, { hair: false, flameOnly: false });
    expect(visible()).toEqual([true, false, true]);
    applyPartVisibility(full, { hair: true, flameOnly: true });
    expect(visible()).toEqual([true, false, false]);
    applyPartVisibility(full, { hair: true, flameOnly: false });
    expect(visible()).toEqual([true, true, true]);
    // No FLAME mesh at all (a foreign GLB): nothing to keep, so no FLAME-only toggle.
    expect(partToggles(findParts(new THREE.Group().add(mesh('mesh_0'))))).toEqual({ hair: false, flameOnly: false });
  });

  it("sees the names @seif/flame's GLB exporter writes: `head`, `hair*`, `eye*` extras", async () => {
    const tetra = (name: string, offset: number): ExportExtraMesh => ({
      name,
      positions: new Float32Array([0, 0, offset, 0.01, 0, offset, 0, 0.01, offset, 0, 0, offset + 0.01]),
      indices: new Uint32Array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3]),
    });
    const head = tetra('head', 0);
    const bytes = await encodeGlb({ name: 'head', positions: head.positions, indices: head.indices, extras: [tetra('hair', 0.1), tetra('eye_left', 0.2), tetra('shoulders', 0.3)] });
    const gltf = await new GLTFLoader().parseAsync(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, '');
    const parts = findParts(gltf.scene);
    expect(parts.flame.map((m) => m.name).sort()).toEqual(['eye_left', 'head']);
    expect(parts.hair.map((m) => m.name)).toEqual(['hair']);
    expect(parts.other.map((m) => m.name)).toEqual(['shoulders']);
  });
});

describe('save animation input', () => {
  const pose = (patch: Partial<PoseState> = {}): PoseState => ({ ...structuredClone(NEUTRAL_POSE as PoseState), ...patch });

  it('sends a preset when the face shows exactly that preset and nothing is posed', () => {
    const smile = { mouthSmileLeft: 0.9, mouthSmileRight: 0.9, cheekSquintLeft: 0.4, cheekSquintRight: 0.4, eyeSquintLeft: 0.2, eyeSquintRight: 0.2 };
    expect(animationInput(smile, pose(), 'smile')).toEqual({ preset: 'smile' });
    expect(describeInput({ preset: 'smile' })).toBe('the Smile preset');
    expect(animationInput({}, pose(), null)).toEqual({ preset: 'neutral' });
  });

  it('sends ARKit weights (non-zero, rounded, within [0, 1]) when only sliders moved', () => {
    const input = animationInput({ jawOpen: 0.1 + 0.2, eyeBlinkLeft: 0, mouthSmileLeft: 1 }, pose(), null);
    expect(input).toEqual({ arkitWeights: { jawOpen: 0.3, mouthSmileLeft: 1 } });
    expect(describeInput(input)).toBe('2 expression sliders');
    // A preset's weights changed afterwards are weights, not the preset.
    expect(animationInput({ eyeBlinkLeft: 1, eyeBlinkRight: 0.5 }, pose(), 'blink')).toEqual({ arkitWeights: { eyeBlinkLeft: 1, eyeBlinkRight: 0.5 } });
  });

  it('sends FLAME parameters when the neck, jaw or eyes are posed; the eyes turn both eye joints', () => {
    const input = animationInput({ jawOpen: 0.5 }, pose({ neck: [0, 0.3, 0], eyes: [0.1, 0, 0] }), 'jawOpen');
    expect(input).toEqual({ flameParams: { pose: { neck: [0, 0.3, 0], eye_l: [0.1, 0, 0], eye_r: [0.1, 0, 0] }, expression: { jawOpen: 0.5 } } });
    expect(describeInput(input)).toBe('1 expression slider and the pose');
    expect(animationInput({}, pose({ jaw: [0.2, 0, 0] }), null)).toEqual({ flameParams: { pose: { jaw: [0.2, 0, 0] } } });
  });
});
