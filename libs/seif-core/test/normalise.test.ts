import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAffine, composeAffine } from '../src/image/image.js';
import { disposeModels } from '../src/runtime/registry.js';
import { DetectStage } from '../src/stages/detect.js';
import { LANDMARK_INDEX as L, LandmarksStage } from '../src/stages/landmarks.js';
import { HEAD_FILL, NormaliseStage } from '../src/stages/normalise.js';
import { photo } from './photos.js';

const detect = new DetectStage({ faces: 'largest' });
const landmarks = new LandmarksStage();

beforeAll(() => Promise.all([detect.warmUp(), landmarks.warmUp()]));
afterAll(disposeModels);

async function landmarksOf(id: string) {
  const image = await photo(id);
  const { face } = await detect.run(image);
  return { image, points: (await landmarks.run({ image, face })).points };
}

describe('normalise into the SeIF frame', () => {
  it.each(['photo-neutral', 'photo-model-face', 'photo-bryan'])('%s: chin at the bottom of the head span, transforms invert', async (id) => {
    const { image, points } = await landmarksOf(id);
    const result = await new NormaliseStage().run({ image, landmarks: points });
    expect([result.image.width, result.image.height]).toEqual([512, 512]);
    const t = result.transform;
    // The head spans [-HEAD_FILL/2, HEAD_FILL/2] in Y from the chin up.
    expect(result.landmarks[3 * L.chin + 1]).toBeCloseTo(-HEAD_FILL / 2, 1);
    for (let i = 0; i < 478; i++) {
      expect(Math.abs(result.landmarks[3 * i]!)).toBeLessThan(0.5);
      expect(Math.abs(result.landmarks[3 * i + 1]!)).toBeLessThan(0.5);
    }
    // Forehead above eyes above mouth above chin (Y up in the frame); the nose tip is closest to the camera.
    const Y = (i: number) => result.landmarks[3 * i + 1]!;
    expect(Y(L.forehead)).toBeGreaterThan(Y(L.rightEyeOuter));
    expect(Y(L.rightEyeOuter)).toBeGreaterThan(Y(L.mouthLeft));
    expect(result.landmarks[3 * L.noseTip + 2]).toBeGreaterThan(result.landmarks[3 * L.chin + 2]!);
    // Inverse pairs compose to the identity; crop pixel (u, v) is frame (u/size - 0.5, 0.5 - v/size).
    const id1 = composeAffine(t.frameToImage, t.imageToFrame);
    const id2 = composeAffine(t.cropToImage, t.imageToCrop);
    for (const m of [id1, id2]) m.forEach((value, k) => expect(value).toBeCloseTo([1, 0, 0, 0, 1, 0][k]!, 9));
    const [u, v] = applyAffine(t.imageToCrop, 100, 200);
    const [X, Y2] = applyAffine(t.imageToFrame, 100, 200);
    expect(X).toBeCloseTo(u / 512 - 0.5, 9);
    expect(Y2).toBeCloseTo(0.5 - v / 512, 9);
    // Crop pixels sample the photo where the transform says.
    const cu = 256;
    const cv = 256;
    const [sx, sy] = applyAffine(t.cropToImage, cu + 0.5, cv + 0.5);
    const src = (Math.floor(sy) * image.width + Math.floor(sx)) * 3;
    const dst = (cv * 512 + cu) * 3;
    expect(Math.abs(result.image.data[dst]! - image.data[src]!)).toBeLessThan(40);
    expect(result.valid[dst / 3]).toBe(1);
  });

  it("levels the eye line with roll: 'level'", async () => {
    const { image, points } = await landmarksOf('photo-model-face'); // rolled by ~8 degrees
    const kept = await new NormaliseStage().run({ image, landmarks: points });
    const level = await new NormaliseStage({ roll: 'level' }).run({ image, landmarks: points });
    const tilt = (lm: Float32Array) => Math.atan2(lm[3 * 263 + 1]! - lm[3 * 33 + 1]!, lm[3 * 263]! - lm[3 * 33]!);
    expect(Math.abs(tilt(kept.landmarks))).toBeGreaterThan(0.05);
    expect(Math.abs(tilt(level.landmarks))).toBeLessThan(1e-6);
    expect(level.headHeight).toBeCloseTo(kept.headHeight, 6);
  });

  it('rejects wrong landmark counts', async () => {
    const { image } = await landmarksOf('photo-neutral');
    await expect(new NormaliseStage().run({ image, landmarks: new Float32Array(30) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
