import { assetPath } from '@seif/models';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeifError } from '../src/pipeline/errors.js';
import { disposeModels } from '../src/runtime/registry.js';
import { DecodeStage } from '../src/stages/decode.js';
import { DETECTORS, DetectStage, faceQuality } from '../src/stages/detect.js';
import { iou, ssdAnchors, weightedNms } from '../src/stages/ssd.js';
import { GROUP_PHOTOS, NO_FACE_PHOTOS, SINGLE_PORTRAITS, photo } from './photos.js';

const detect = new DetectStage();
const largest = new DetectStage({ faces: 'largest' });
const decode = new DecodeStage();

beforeAll(() => detect.warmUp());
afterAll(disposeModels);

async function failure(promise: Promise<unknown>): Promise<SeifError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SeifError);
  return error as SeifError;
}

describe('SSD anchors and weighted NMS', () => {
  it('generates MediaPipe anchor layouts', () => {
    const short = ssdAnchors(DETECTORS.short.anchors);
    expect(short.length / 2).toBe(896);
    // First stride-8 cell holds 2 anchors at (0.5/16, 0.5/16); first stride-16 cell starts at 512 with 6.
    expect(Array.from(short.subarray(0, 4))).toEqual([1 / 32, 1 / 32, 1 / 32, 1 / 32]);
    expect([short[2 * 512], short[2 * 517], short[2 * 518]]).toEqual([1 / 16, 1 / 16, 3 / 16]);
    const full = ssdAnchors(DETECTORS.full.anchors);
    expect(full.length / 2).toBe(2304);
    expect(full[2]).toBeCloseTo(1.5 / 48, 6);
    expect(full[3]).toBeCloseTo(0.5 / 48, 6);
  });

  it('averages overlapping detections by score and keeps separate ones', () => {
    const kp = (v: number) => new Array(12).fill(v);
    const out = weightedNms([
      { score: 0.9, box: [0, 0, 1, 1], keypoints: kp(0) },
      { score: 0.6, box: [0.1, 0, 1.1, 1], keypoints: kp(1) },
      { score: 0.8, box: [5, 5, 6, 6], keypoints: kp(5) },
    ]);
    expect(out).toHaveLength(2);
    expect(out[0]!.score).toBe(0.9);
    expect(out[0]!.box[0]).toBeCloseTo((0.6 * 0.1) / 1.5, 10);
    expect(out[0]!.keypoints[0]).toBeCloseTo(0.4, 10);
    out[1]!.box.forEach((v, i) => expect(v).toBeCloseTo([5, 5, 6, 6][i]!, 10));
    expect(iou([0, 0, 2, 2], [1, 1, 3, 3])).toBeCloseTo(1 / 7, 10);
  });
});

describe('detect on sample photos', () => {
  it.each(SINGLE_PORTRAITS)('finds exactly one face in %s', async (id) => {
    const image = await photo(id);
    const result = await detect.run(image);
    expect(result.faces.length).toBe(1);
    const { box, keypoints } = result.face;
    expect(box.width).toBeGreaterThan(40);
    // Eyes above the mouth, the subject's right eye on the image's left.
    const [re, le, , mouth] = keypoints;
    expect(re!.x).toBeLessThan(le!.x);
    expect(Math.max(re!.y, le!.y)).toBeLessThan(mouth!.y);
    expect(result.warnings.filter((w) => w.code === 'BLURRY' || w.code === 'DARK')).toEqual([]);
  });

  it.each(GROUP_PHOTOS)('reports MULTIPLE_FACES on %s, or the largest face under that policy', async (id) => {
    const image = await photo(id);
    const error = await failure(detect.run(image));
    expect(error.code).toBe('MULTIPLE_FACES');
    expect(error.stage).toBeUndefined(); // set by runStage, not by the stage itself
    const result = await largest.run(image);
    expect(result.faces.length).toBeGreaterThan(1);
    const area = (b: { width: number; height: number }) => b.width * b.height;
    for (const other of result.faces) expect(area(result.face.box)).toBeGreaterThanOrEqual(area(other.box));
  });

  it.each(NO_FACE_PHOTOS)('reports NO_FACE on %s', async (id) => {
    expect((await failure(largest.run(await photo(id)))).code).toBe('NO_FACE');
  });

  it('reports FACE_TOO_SMALL and FACE_TRUNCATED', async () => {
    const tiny = await decode.run(await sharp(await assetPath('photo-bryan')).resize(70).png().toBuffer());
    expect((await failure(detect.run(tiny))).code).toBe('FACE_TOO_SMALL');
    const neutral = await assetPath('photo-neutral');
    const cut = await decode.run(await sharp(neutral).extract({ left: 0, top: 550, width: 961, height: 566 }).jpeg().toBuffer());
    expect((await failure(detect.run(cut))).code).toBe('FACE_TRUNCATED');
  });

  it('warns about blur, darkness and strong yaw without failing', async () => {
    const neutral = await assetPath('photo-neutral');
    const blurred = await decode.run(await sharp(neutral).blur(6).jpeg().toBuffer());
    expect((await detect.run(blurred)).warnings.map((w) => w.code)).toContain('BLURRY');
    const dark = await decode.run(await sharp(neutral).linear(0.15, 0).jpeg().toBuffer());
    expect((await detect.run(dark)).warnings.map((w) => w.code)).toEqual(['DARK']);
    // Yaw sign and size: mirroring a photo flips the yaw; some faces in the group photo turn strongly.
    const woman = await photo('photo-woman-portrait');
    const mirrored = await decode.run(await sharp(await assetPath('photo-woman-portrait')).flop().jpeg().toBuffer());
    const yaw = (await detect.run(woman)).quality.yawDegrees;
    const yawMirrored = (await detect.run(mirrored)).quality.yawDegrees;
    expect(Math.abs(yaw)).toBeGreaterThan(15);
    expect(Math.sign(yaw)).toBe(-Math.sign(yawMirrored));
    expect(Math.abs(yaw + yawMirrored)).toBeLessThan(10);
    const strong = new DetectStage({ yawThresholdDegrees: 15 });
    expect((await strong.run(woman)).warnings.map((w) => w.code)).toContain('STRONG_YAW');
    expect(faceQuality(woman, (await detect.run(woman)).face).yawDegrees).toBeCloseTo(yaw, 6);
  });
});
