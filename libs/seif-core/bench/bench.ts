/**
 * Per-stage timings over the sample photos: `npm run bench -w @seif/core` (add `-- --runs 3` for more runs).
 * Prints p50 / p90 milliseconds per stage and the process's peak RSS. Models are loaded (and timed) once first.
 */
import { performance } from 'node:perf_hooks';
import { assetPath } from '@seif/models';
import { DecodeStage } from '../src/stages/decode.js';
import { DetectStage } from '../src/stages/detect.js';
import { LandmarksStage } from '../src/stages/landmarks.js';
import { NormaliseStage } from '../src/stages/normalise.js';
import { SegmentStage } from '../src/stages/segment.js';
import { disposeModels } from '../src/runtime/registry.js';
import { seifFrameCamera } from '../src/render/camera.js';
import { uvSphere } from '../src/render/mesh.js';
import { Rasterizer } from '../src/render/rasterizer.js';

const PHOTOS = [
  'photo-city-portrait',
  'photo-model-face',
  'photo-woman-portrait',
  'photo-angry',
  'photo-neutral',
  'photo-surprised',
  'photo-happy-baby',
  'photo-sad-baby',
  'photo-bryan',
  'photo-luciano',
];
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 2;

const decode = new DecodeStage();
const detect = new DetectStage({ faces: 'largest' });
const landmarks = new LandmarksStage();
const segment = new SegmentStage();
const normalise = new NormaliseStage();

const times: Record<string, number[]> = {};
const record = (stage: string, ms: number) => (times[stage] ??= []).push(ms);
async function time<T>(stage: string, fn: () => Promise<T> | T): Promise<T> {
  const start = performance.now();
  const value = await fn();
  record(stage, performance.now() - start);
  return value;
}

const loadStart = performance.now();
await Promise.all([detect.warmUp(), landmarks.warmUp(), segment.warmUp()]);
const loadMs = performance.now() - loadStart;
const files = await Promise.all(PHOTOS.map((id) => assetPath(id)));

for (let run = 0; run < runs; run++) {
  for (const file of files) {
    const start = performance.now();
    const image = await time('decode', () => decode.run(file));
    const detection = await time('detect', () => detect.run(image));
    const marks = await time('landmarks', () => landmarks.run({ image, face: detection.face }));
    await time('segment', () => segment.run({ image, landmarks: marks.points }));
    await time('normalise', () => normalise.run({ image, landmarks: marks.points }));
    record('total', performance.now() - start);
  }
}

const rasterizer = new Rasterizer();
const sphere = uvSphere(0.45, 71, 71);
const camera = seifFrameCamera(512);
const options = { buffers: { color: true, normal: true, uv: true } };
const target = rasterizer.render(sphere, camera, options);
for (let k = 0; k < 10; k++) await time(`render ${sphere.indices.length / 3} tris 512^2`, () => rasterizer.render(sphere, camera, options, target));

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
console.log(`models loaded in ${loadMs.toFixed(0)} ms; ${PHOTOS.length} photos x ${runs} runs (image sizes 115^2 .. 1280x1920)`);
console.log('stage'.padEnd(28), 'p50 ms'.padStart(8), 'p90 ms'.padStart(8), 'n'.padStart(4));
for (const [stage, values] of Object.entries(times)) {
  console.log(stage.padEnd(28), quantile(values, 0.5).toFixed(1).padStart(8), quantile(values, 0.9).toFixed(1).padStart(8), String(values.length).padStart(4));
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
await disposeModels();
