/**
 * `npm run bench -w @seif/flame`: forward + skinning time, fitting time and iterations to 478 landmarks, and
 * GLB export time and size when the exporter is present. Figures are medians; the machine is shared, so run it
 * on an idle one for numbers to quote.
 */
import { loadDefaultHeadModel } from '../src/build/default-model.js';
import { fitLandmarks } from '../src/fit/fit-landmarks.js';
import { HeadEvaluator, evaluate, sampleLandmarks } from '../src/model/evaluate.js';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const model = await loadDefaultHeadModel();
console.log(`model ${model.name}: ${model.vertexCount} vertices, ${model.faces.length / 3} faces, ${model.identity.names.length} identity + ${model.expression.names.length} expression shapes`);

const evaluator = new HeadEvaluator(model);
const out = new Float32Array(3 * model.vertexCount);
const expression = Float64Array.from({ length: model.expression.names.length }, (_, i) => (i % 4 === 0 ? 0.4 : 0));
const dense = Float64Array.from({ length: model.expression.names.length }, () => 0.3);
const pose = [0.1, 0.2, 0, 0.05, 0.02, 0, 0.2, 0, 0, 0.1, 0.1, 0, 0.1, 0.1, 0];
const identity = Float64Array.from({ length: model.identity.names.length }, (_, i) => Math.sin(i));
const time = (label: string, runs: number, fn: (i: number) => void) => {
  for (let i = 0; i < 20; i++) fn(i);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn(i);
    samples.push(performance.now() - start);
  }
  console.log(`${label}: ${median(samples).toFixed(3)} ms (median of ${runs})`);
};
time('forward+skinning, identity cached, 13 of 52 expressions, 5 joints', 300, () => evaluator.evaluate({ identity, expression, pose }, out));
time('forward+skinning, identity cached, all 52 expressions', 300, () => evaluator.evaluate({ identity, expression: dense, pose }, out));
time('forward+skinning, new identity every call (60 components)', 100, (i) => {
  identity[0] = i;
  evaluator.evaluate({ identity, expression, pose }, out);
});

let seed = 1;
const uniform = () => ((seed = (seed * 16807) % 2147483647), seed / 2147483647);
const gauss = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
const fits: { ms: number; iterations: number; errorMm: number }[] = [];
for (let k = 0; k < 5; k++) {
  const truthParams = {
    identity: Float64Array.from({ length: model.identity.names.length }, () => 0.7 * gauss()),
    expression: Float64Array.from({ length: model.expression.names.length }, () => (uniform() < 0.15 ? uniform() : 0)),
    pose: Float64Array.from([0.1 * gauss(), 0.25 * gauss(), 0, 0, 0, 0, 0.2 * uniform(), 0, 0, 0, 0, 0, 0, 0, 0]),
  };
  const truth = Float32Array.from(evaluate(model, truthParams));
  const lm = sampleLandmarks(model, truth, model.landmarks.mediapipe478!);
  const targets = new Float64Array((lm.length / 3) * 2);
  for (let l = 0; l < lm.length / 3; l++) {
    targets[2 * l] = 1400 * lm[3 * l]! + 256 + gauss();
    targets[2 * l + 1] = -1400 * lm[3 * l + 1]! + 256 + gauss();
  }
  const fit = fitLandmarks(model, { landmarks: 'mediapipe478', targets, dimensions: 2, camera: { type: 'orthographic', scale: 1000, tx: 250, ty: 250 } });
  const fitted = evaluate(model, fit.params);
  const c = fit.camera as { scale: number; tx: number; ty: number };
  let sum = 0;
  for (const v of model.masks.face!) {
    sum += Math.hypot((c.scale * fitted[3 * v]! + c.tx - (1400 * truth[3 * v]! + 256)) / 1400, (-c.scale * fitted[3 * v + 1]! + c.ty - (-1400 * truth[3 * v + 1]! + 256)) / 1400);
  }
  fits.push({ ms: fit.milliseconds, iterations: fit.iterations, errorMm: (1000 * sum) / model.masks.face!.length });
}
console.log(`fit to 478 2D landmarks (orthographic, 1 px noise at 512 px, identity + ${model.expression.names.length} ARKit + jaw + gaze + pose + camera): ` +
  `${median(fits.map((f) => f.ms)).toFixed(0)} ms, ${median(fits.map((f) => f.iterations))} iterations, mean face error ${median(fits.map((f) => f.errorMm)).toFixed(2)} mm (median of ${fits.length})`);

// GLB export, when the exporter engineer's module is there (mesh + 52 morphs + 5-joint skin; no UV seams split).
try {
  const specifier = '../src/export/index.js';
  const exporter = (await import(/* @vite-ignore */ specifier)) as { encodeGlb?: (mesh: unknown, options?: unknown) => Promise<Uint8Array> };
  if (typeof exporter.encodeGlb !== 'function') throw new Error('no encodeGlb');
  const n = model.vertexCount;
  const stride = 3 * n;
  const joints = new Uint16Array(4 * n);
  const weights = new Float32Array(4 * n);
  for (let v = 0; v < n; v++) {
    const order = [0, 1, 2, 3, 4].sort((a, b) => model.skinWeights[5 * v + b]! - model.skinWeights[5 * v + a]!).slice(0, 4);
    order.forEach((j, k) => { joints[4 * v + k] = j; weights[4 * v + k] = model.skinWeights[5 * v + j]!; });
  }
  evaluator.evaluate({});
  const mesh = {
    name: model.name,
    positions: model.template,
    indices: model.faces,
    morphTargets: model.expression.names.map((name, i) => ({ name, deltas: model.expression.deltas.subarray(i * stride, (i + 1) * stride) })),
    skin: { jointNames: [...model.joints.names], parents: model.joints.parents, restJoints: Float32Array.from(evaluator.restJoints), joints, weights },
  };
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    bytes = (await exporter.encodeGlb(mesh, {})).byteLength;
    samples.push(performance.now() - start);
  }
  console.log(`GLB export (${model.expression.names.length} morph targets, skin): ${median(samples).toFixed(0)} ms, ${(bytes / 1e6).toFixed(2)} MB`);
} catch (error) {
  console.log(`GLB export: skipped (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
}
