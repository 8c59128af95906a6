import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeModels } from '../src/runtime/registry.js';
import { DetectStage } from '../src/stages/detect.js';
import { LandmarksStage } from '../src/stages/landmarks.js';
import { SEGMENT_LABELS, SegmentStage, convexHull, fillConvexPolygon } from '../src/stages/segment.js';
import { photo } from './photos.js';

const detect = new DetectStage({ faces: 'largest' });
const landmarks = new LandmarksStage();
const segment = new SegmentStage();

beforeAll(() => Promise.all([detect.warmUp(), landmarks.warmUp(), segment.warmUp()]));
afterAll(disposeModels);

describe('geometry helpers', () => {
  it('fills the convex hull of points', () => {
    const pts = new Float32Array([2, 2, 0, 12, 2, 0, 12, 12, 0, 2, 12, 0, 7, 7, 0]);
    const hull = convexHull(pts, 5);
    expect(hull).toHaveLength(4);
    const mask = fillConvexPolygon(hull, 16, 16);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(100);
  });
});

describe('segment on sample photos', () => {
  it.each(['photo-city-portrait', 'photo-luciano', 'photo-surprised'])('%s: person, face skin and hair where expected', async (id) => {
    const image = await photo(id);
    const { face } = await detect.run(image);
    const { points } = await landmarks.run({ image, face });
    const result = await segment.run({ image, landmarks: points });
    const { width, height, labels, person, counts } = result;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(width * height);
    const at = (x: number, y: number) => Math.round(y) * width + Math.round(x);
    const nose = at(points[3 * 4]!, points[3 * 4 + 1]!);
    expect(person[nose]).toBeGreaterThan(200);
    expect(labels[nose]).toBe(SEGMENT_LABELS.SKIN);
    // Above the forehead (a fifth of a face length beyond landmark 10, along chin -> forehead) is hair.
    const fx = points[3 * 10]!;
    const fy = points[3 * 10 + 1]!;
    const cx = points[3 * 152]!;
    const cy = points[3 * 152 + 1]!;
    const ay = fy + 0.2 * (fy - cy);
    const above = at(fx + 0.2 * (fx - cx), ay);
    expect(result.hairModel).toBe(true);
    // (photo-city-portrait's crop cuts the top of the head: the point is then outside the photo.)
    if (ay >= 0) expect(labels[above]).toBe(SEGMENT_LABELS.HAIR);
    expect(counts[SEGMENT_LABELS.HAIR]).toBeGreaterThan(0.02 * width * height);
    expect(counts[SEGMENT_LABELS.BACKGROUND]).toBeGreaterThan(0.05 * width * height);
  });
});
