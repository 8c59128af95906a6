/**
 * Per-stage timings over the sample photos: `npm run bench -w @seif/core` (add `-- --runs 3` for more runs;
 * `-- --mode seif [--resolution 256]` for the SeIF path (default grid: the library's SEIF_DEFAULT_RESOLUTION): its
 * sub-steps, points evaluated against the dense grid).
 * Runs the whole path (`reconstruct`: decode ... fit, texture 1024^2, export of all formats, thumbnail)
 * per photo and prints p50 / p90 milliseconds per stage, the whole path's wall time and CPU time (user + system:
 * on a shared machine the wall time includes waiting for a core, the CPU time does not), and peak RSS. Models are
 * loaded (and timed) once first.
 */
import { performance } from 'node:perf_hooks';
import { assetPath, SINGLE_PORTRAITS } from '@seif/models';
import { reconstruct, reconstructionPipeline } from '../src/pipeline/reconstruct.js';
import { disposeModels } from '../src/runtime/registry.js';
import { SEIF_DEFAULT_RESOLUTION } from '../src/seif/stage.js';
import { seifFrameCamera } from '../src/render/camera.js';
import { uvSphere } from '../src/render/mesh.js';
import { Rasterizer } from '../src/render/rasterizer.js';

const PHOTOS = SINGLE_PORTRAITS;
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 2;
const flag = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const mode = (flag('--mode') ?? 'flame') as 'flame' | 'seif';
const resolution = Number(flag('--resolution') ?? SEIF_DEFAULT_RESOLUTION);
if (mode === 'seif' && !reconstructionPipeline().seifAvailable) throw new Error('--mode seif needs SeIF weights (models/weights or SEIF_WEIGHTS_DIR)');
const evaluated: number[] = [];


const times: Record<string, number[]> = {};
const record = (stage: string, ms: number) => (times[stage] ??= []).push(ms);
async function time<T>(stage: string, fn: () => Promise<T> | T): Promise<T> {
  const start = performance.now();
  const value = await fn();
  record(stage, performance.now() - start);
  return value;
}

const loadStart = performance.now();
await reconstructionPipeline().warmUp();
if (mode === 'seif') await reconstructionPipeline().seifNetwork();
const loadMs = performance.now() - loadStart;
const files = await Promise.all(PHOTOS.map((id) => assetPath(id)));

for (let run = 0; run < runs; run++) {
  for (const file of files) {
    const cpu = process.cpuUsage();
    // Per-stage CPU time from the progress events (0 at a stage's start, 1 at its end).
    let stageCpu = process.cpuUsage();
    const result = await reconstruct(file, {
      faces: 'largest', mode, resolution,
      onProgress: (p) => {
        if (p.stageFraction === 0) stageCpu = process.cpuUsage();
        else if (p.stageFraction === 1) {
          const u = process.cpuUsage(stageCpu);
          record(`  ${p.stage} (CPU)`, (u.user + u.system) / 1000);
        }
      },
    });
    const used = process.cpuUsage(cpu);
    for (const [stage, ms] of Object.entries(result.timings)) record(stage === 'total' ? 'whole path (wall)' : stage, ms);
    if (mode === 'seif' && !result.seif) console.warn(`${file}: SeIF fell back to FLAME: ${result.warnings.map((w) => w.message).join('; ')}`);
    if (result.seif) {
      for (const [step, ms] of Object.entries(result.seif.ms)) record(`  seif.${step}`, ms);
      evaluated.push(result.seif.grid.pointsEvaluated / result.seif.grid.denseEquivalent);
      record('  seif points evaluated (k)', result.seif.grid.pointsEvaluated / 1000);
    }
    record('whole path (CPU user+sys)', (used.user + used.system) / 1000);
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
console.log(`mode ${mode}${mode === 'seif' ? ` at ${resolution}^3` : ''}; models loaded in ${loadMs.toFixed(0)} ms; ${PHOTOS.length} photos x ${runs} runs (image sizes 115^2 .. 1280x1920)`);
if (evaluated.length) console.log(`SeIF points evaluated / dense ${resolution + 1}^3 grid: p50 ${(100 * quantile(evaluated, 0.5)).toFixed(1)} %`);
console.log('stage'.padEnd(28), 'p50 ms'.padStart(8), 'p90 ms'.padStart(8), 'n'.padStart(4));
for (const [stage, values] of Object.entries(times)) {
  console.log(stage.padEnd(28), quantile(values, 0.5).toFixed(1).padStart(8), quantile(values, 0.9).toFixed(1).padStart(8), String(values.length).padStart(4));
}
console.log(`load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).availableParallelism()} cores`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
await disposeModels();
