import { beforeAll, describe, expect, it } from 'vitest';
import { loadDefaultHeadModel } from '../src/build/default-model.js';
import { fitLandmarks, ibug68Embedding } from '../src/fit/fit-landmarks.js';
import { evaluate, sampleLandmarks } from '../src/model/evaluate.js';
import type { HeadModel } from '../src/model/head-model.js';

let model: HeadModel;
beforeAll(async () => {
  model = await loadDefaultHeadModel();
});

function rng(seed: number) {
  let s = seed;
  const uniform = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  return { uniform, gauss: () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()) };
}

function randomHead(seed: number) {
  const { uniform, gauss } = rng(seed);
  const identity = Float64Array.from({ length: model.identity.names.length }, () => 0.7 * gauss());
  // Sparse ARKit weights: a few active shapes, as real expressions are.
  const expression = Float64Array.from({ length: model.expression.names.length }, () => (uniform() < 0.15 ? uniform() : 0));
  const pose = new Float64Array(15);
  pose[0] = 0.1 * gauss(); pose[1] = 0.25 * gauss(); pose[2] = 0.05 * gauss();
  pose[6] = 0.2 * uniform();
  return { identity, expression, pose, gauss };
}

/** Mean distance over the face mask between two posed meshes (x, y only when `planar`). */
function faceError(a: Float32Array, b: Float32Array, planar: boolean): number {
  const face = model.masks.face!;
  let sum = 0;
  for (const v of face) sum += Math.hypot(a[3 * v]! - b[3 * v]!, a[3 * v + 1]! - b[3 * v + 1]!, planar ? 0 : a[3 * v + 2]! - b[3 * v + 2]!);
  return sum / face.length;
}

describe('landmark fitting', () => {
  it('recovers random heads from 478 noisy 3D landmarks: mean face error < 1 mm (mean face: ~14 mm)', () => {
    for (const seed of [3, 11]) {
      const head = randomHead(seed);
      const truth = Float32Array.from(evaluate(model, head));
      const lm = sampleLandmarks(model, truth, model.landmarks.mediapipe478!);
      const targets = Float64Array.from(lm, (x) => x + 0.0005 * head.gauss()); // 0.5 mm noise
      const fit = fitLandmarks(model, { landmarks: 'mediapipe478', targets, dimensions: 3 });
      const fitted = Float32Array.from(evaluate(model, fit.params));
      const baseline = faceError(Float32Array.from(evaluate(model, { pose: head.pose })), truth, false);
      expect(baseline).toBeGreaterThan(0.004);
      expect(faceError(fitted, truth, false)).toBeLessThan(0.001);
      expect(fit.rmse).toBeLessThan(0.001);
    }
  });
  it('recovers a random head from 2D landmarks (orthographic camera, 1 px noise at 512 px): face error < 3 mm in the image plane', () => {
    const head = randomHead(5);
    const truth = Float32Array.from(evaluate(model, head));
    const lm = sampleLandmarks(model, truth, model.landmarks.mediapipe478!);
    const camera = { scale: 1400, tx: 256, ty: 256 };
    const targets = new Float64Array((lm.length / 3) * 2);
    for (let l = 0; l < lm.length / 3; l++) {
      targets[2 * l] = camera.scale * lm[3 * l]! + camera.tx + head.gauss();
      targets[2 * l + 1] = -camera.scale * lm[3 * l + 1]! + camera.ty + head.gauss();
    }
    // 20 outliers (a detector's bad points) that the Huber loss must shrug off.
    for (let l = 0; l < 20; l++) targets[2 * l * 23] = targets[2 * l * 23]! + 40;
    const fit = fitLandmarks(model, {
      landmarks: 'mediapipe478', targets, dimensions: 2,
      camera: { type: 'orthographic', scale: 1000, tx: 250, ty: 250 },
    });
    expect(fit.camera?.type).toBe('orthographic');
    const fitted = Float32Array.from(evaluate(model, fit.params));
    // Compare in the image plane: the fitted camera's scale and offset map the fitted mesh to pixels.
    const c = fit.camera as { scale: number; tx: number; ty: number };
    const face = model.masks.face!;
    let sum = 0;
    for (const v of face) {
      const du = (c.scale * fitted[3 * v]! + c.tx - (camera.scale * truth[3 * v]! + camera.tx)) / camera.scale;
      const dv = (-c.scale * fitted[3 * v + 1]! + c.ty - (-camera.scale * truth[3 * v + 1]! + camera.ty)) / camera.scale;
      sum += Math.hypot(du, dv);
    }
    expect(sum / face.length).toBeLessThan(0.003);
    // rmse counts the 20 outliers (40 px each, ~8 px RMS alone); the fit ignores them, so it stays below that.
    expect(fit.rmse).toBeLessThan(8);
  });
  it('fits with a pinhole camera and the iBUG-68 embedding (dynamic contour)', () => {
    const head = randomHead(8);
    const translation = [0, 0, -0.6];
    const truth = Float32Array.from(evaluate(model, { ...head, translation }));
    const focal = 1200;
    const yaw = Math.asin(Math.sin(head.pose[1]!));
    const lm = sampleLandmarks(model, truth, ibug68Embedding(model, yaw));
    const targets = new Float64Array(68 * 2);
    for (let l = 0; l < 68; l++) {
      targets[2 * l] = 256 - (focal * lm[3 * l]!) / lm[3 * l + 2]!;
      targets[2 * l + 1] = 256 + (focal * lm[3 * l + 1]!) / lm[3 * l + 2]!;
    }
    const fit = fitLandmarks(model, {
      landmarks: 'ibug68', targets, dimensions: 2,
      camera: { type: 'pinhole', focal, cx: 256, cy: 256 },
      initial: { translation: [0, 0, -0.5] },
      groups: { camera: false, identity: 20 },
    });
    expect(fit.rmse).toBeLessThan(2);
    expect(Math.abs(fit.params.translation[2]! + 0.6)).toBeLessThan(0.05);
  });
  it('rejects wrong shapes and NaN targets', () => {
    expect(() => fitLandmarks(model, { landmarks: 'mediapipe478', targets: new Float64Array(10), dimensions: 3 })).toThrow(expect.objectContaining({ code: 'BAD_SHAPE' }));
    const nan = new Float64Array(478 * 3).fill(Number.NaN);
    expect(() => fitLandmarks(model, { landmarks: 'mediapipe478', targets: nan, dimensions: 3 })).toThrow(/finite/);
    expect(() => fitLandmarks(model, { landmarks: 'nope', targets: nan, dimensions: 3 })).toThrow(expect.objectContaining({ code: 'UNKNOWN_NAME' }));
  });
});
