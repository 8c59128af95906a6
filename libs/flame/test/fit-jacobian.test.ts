import { beforeAll, describe, expect, it } from 'vitest';
import { loadDefaultHeadModel } from '../src/build/default-model.js';
import { createFitProblem } from '../src/fit/fit-landmarks.js';
import type { HeadModel } from '../src/model/head-model.js';
import { evaluate, sampleLandmarks } from '../src/model/evaluate.js';

let model: HeadModel;
beforeAll(async () => {
  model = await loadDefaultHeadModel();
});

function finiteDifferenceCheck(dimensions: 2 | 3, camera?: Parameters<typeof createFitProblem>[1]['camera']) {
  const embedding = model.landmarks.mediapipe478!;
  const pose = new Float64Array(15);
  pose.set([0.1, -0.2, 0.05, 0.05, 0.1, 0, 0.2, 0.01, 0, 0.1, -0.1, 0, 0.1, -0.1, 0]);
  const identity = Float64Array.from({ length: model.identity.names.length }, (_, i) => Math.sin(i) * 0.8);
  const expression = Float64Array.from({ length: model.expression.names.length }, (_, i) => 0.3 + 0.1 * (i % 3));
  const translation = camera?.type === 'pinhole' ? [0.01, -0.02, -0.6] : [0.01, -0.02, 0.03];
  const verts = evaluate(model, { identity, expression, pose, translation });
  const lm = sampleLandmarks(model, verts, embedding);
  const targets = new Float64Array((lm.length / 3) * dimensions);
  for (let l = 0; l < lm.length / 3; l++) for (let d = 0; d < dimensions; d++) targets[dimensions * l + d] = lm[3 * l + d]! * (dimensions === 2 ? 100 : 1) + 0.3;
  const setup = createFitProblem(model, {
    landmarks: 'mediapipe478',
    targets,
    dimensions,
    ...(camera ? { camera } : {}),
    initial: { identity, expression, pose, translation },
    groups: { neck: true, scale: dimensions === 3 },
    robust: 0,
  });
  const { problem, x0 } = setup;
  const m = problem.residualCount, n = problem.parameterCount;
  const r = new Float64Array(m), rp = new Float64Array(m), rm = new Float64Array(m);
  const jac = new Float64Array(m * n);
  problem.beginIteration?.(x0);
  problem.evaluate(x0, r, jac);
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const h = 1e-6;
    const xp = Float64Array.from(x0); xp[i] = xp[i]! + h;
    const xm = Float64Array.from(x0); xm[i] = xm[i]! - h;
    problem.evaluate(xp, rp, null);
    problem.evaluate(xm, rm, null);
    let num = 0, err = 0;
    for (let k = 0; k < m; k++) {
      const fd = (rp[k]! - rm[k]!) / (2 * h);
      num = Math.max(num, Math.abs(fd));
      err = Math.max(err, Math.abs(fd - jac[i * m + k]!)); // column-major
    }
    worst = Math.max(worst, err / Math.max(num, 1e-3));
  }
  return worst;
}

describe('fit Jacobian', () => {
  it('matches central finite differences for 3D targets (shape, expression, all joints, translation, scale)', () => {
    expect(finiteDifferenceCheck(3)).toBeLessThan(1e-4);
  });
  it('matches for an orthographic camera', () => {
    expect(finiteDifferenceCheck(2, { type: 'orthographic', scale: 2, tx: 0.1, ty: -0.2 })).toBeLessThan(1e-4);
  });
  it('matches for a pinhole camera', () => {
    expect(finiteDifferenceCheck(2, { type: 'pinhole', focal: 1000, cx: 256, cy: 256 })).toBeLessThan(1e-4);
  });
});
