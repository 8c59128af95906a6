/**
 * Per-stage timings of the reconstruction pipeline (issue 10, speed): every sample photo through `reconstruct`
 * from @seif/core, per mode, p50/p90 per stage; points evaluated (SeIF's implicit function; n/a while the SeIF
 * networks are not shipped and the mode falls back to FLAME); peak RSS; and each figure divided by fixed
 * reference workloads measured in the same run (a 512x512 float32 matrix product in plain JS, and a rasterizer
 * render of a fixed sphere), so results from a noisy or different machine compare.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { disposeModels, Rasterizer, reconstruct, reconstructionPipeline, seifFrameCamera, uvSphere } from '@seif/core';
import { assetPath, SINGLE_PORTRAITS } from '@seif/models';
import { quantile } from './harness.js';

export const SAMPLE_PHOTOS = SINGLE_PORTRAITS;

export interface StageFigure {
  mode: string;
  stage: string;
  n: number;
  p50Ms: number;
  p90Ms: number;
  /** p50 divided by the matrix-product reference p50 (its CPU time for CPU-time rows, else its wall time). */
  p50PerMatmul: number;
}

export interface StageBenchReport {
  photos: number;
  runs: number;
  modelLoadMs: number;
  reference: { matmul512Ms: number; matmul512CpuMs: number; renderMs: number; renderTriangles: number };
  stages: StageFigure[];
  modes: { mode: string; available: boolean; pointsEvaluated: number | 'n/a'; failures: number; note?: string }[];
  peakRssMb: number;
  loadAverage: number[];
  cores: number;
}

/** C = A B for 512x512 float32, i-k-j order (the cache-friendly naive product); returns a checksum. */
export function matmul512(a: Float32Array, b: Float32Array, c: Float32Array): number {
  const n = 512;
  c.fill(0);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[row + k]!;
      const bk = k * n;
      for (let j = 0; j < n; j++) c[row + j]! += aik * b[bk + j]!;
    }
  }
  return c[n * n - 1]!;
}

async function referenceWorkloads(repeats: number) {
  const a = new Float32Array(512 * 512).map((_, i) => ((i * 7919) % 1000) / 1000);
  const b = new Float32Array(512 * 512).map((_, i) => ((i * 104_729) % 1000) / 1000);
  const c = new Float32Array(512 * 512);
  const matmul: number[] = [];
  const matmulCpu: number[] = [];
  matmul512(a, b, c); // JIT warm-up
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    const cpu = process.cpuUsage();
    matmul512(a, b, c);
    const used = process.cpuUsage(cpu);
    matmul.push(performance.now() - t);
    matmulCpu.push((used.user + used.system) / 1000);
  }
  const rasterizer = new Rasterizer();
  const sphere = uvSphere(0.45, 71, 71);
  const camera = seifFrameCamera(512);
  const options = { buffers: { color: true, normal: true, uv: true } };
  const target = rasterizer.render(sphere, camera, options);
  const render: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    rasterizer.render(sphere, camera, options, target);
    render.push(performance.now() - t);
  }
  return { matmul512Ms: quantile(matmul, 0.5), matmul512CpuMs: quantile(matmulCpu, 0.5), renderMs: quantile(render, 0.5), renderTriangles: sphere.indices.length / 3 };
}

export async function runStageBench(options: { runs?: number; photos?: number; modes?: ('flame' | 'seif')[]; log?: (line: string) => void } = {}): Promise<StageBenchReport> {
  const runs = options.runs ?? 2;
  const photos = SAMPLE_PHOTOS.slice(0, options.photos ?? SAMPLE_PHOTOS.length);
  const log = options.log ?? (() => {});
  const before = await referenceWorkloads(5);
  const loadStart = performance.now();
  await reconstructionPipeline().warmUp();
  const modelLoadMs = performance.now() - loadStart;
  const files = await Promise.all(photos.map((id) => assetPath(id)));
  const stages: StageFigure[] = [];
  const modes: StageBenchReport['modes'] = [];
  const timesByMode: Record<string, Record<string, number[]>> = {};
  for (const mode of options.modes ?? ['flame', 'seif']) {
    const times: Record<string, number[]> = {};
    let failures = 0;
    let fellBack = false;
    let points = 0;
    let pointsKnown = false;
    for (let run = 0; run < runs && !(mode === 'seif' && fellBack); run++) {
      for (const file of files) {
        const cpu = process.cpuUsage();
        try {
          const result = await reconstruct(file, { mode, faces: 'largest' });
          if (result.warnings.some((warning) => warning.code === 'SEIF_UNAVAILABLE')) {
            fellBack = true;
            break;
          }
          const used = process.cpuUsage(cpu);
          for (const [stage, ms] of Object.entries(result.timings)) (times[stage === 'total' ? 'whole path (wall)' : stage] ??= []).push(ms);
          (times['whole path (CPU user+sys)'] ??= []).push((used.user + used.system) / 1000);
          const evaluated = (result.params as unknown as { seif?: { pointsEvaluated?: number } }).seif?.pointsEvaluated;
          if (typeof evaluated === 'number') {
            points += evaluated;
            pointsKnown = true;
          }
        } catch (error) {
          failures++;
          log(`${mode} ${file}: ${(error as Error).message}`);
        }
      }
      log(`${mode}: run ${run + 1}/${runs} done`);
    }
    modes.push({ mode, available: !fellBack, pointsEvaluated: pointsKnown ? points : 'n/a', failures, ...(fellBack ? { note: 'SEIF_UNAVAILABLE: falls back to FLAME (networks not shipped yet)' } : {}) });
    timesByMode[mode] = times;
  }
  const after = await referenceWorkloads(5);
  // The reference measured before and after the pipeline: the slower of the two medians is closer to what the
  // pipeline saw if the machine got busier meanwhile; both are kept in the JSON through `reference`.
  const reference = { matmul512Ms: (before.matmul512Ms + after.matmul512Ms) / 2, matmul512CpuMs: (before.matmul512CpuMs + after.matmul512CpuMs) / 2, renderMs: (before.renderMs + after.renderMs) / 2, renderTriangles: before.renderTriangles };
  for (const [mode, times] of Object.entries(timesByMode)) {
    for (const [stage, values] of Object.entries(times)) {
      const p50 = quantile(values, 0.5);
      // CPU figures against the product's CPU time, wall figures against its wall time: on a shared machine
      // both include the same kind of waiting (wall) or exclude it (CPU).
      const divisor = stage.includes('CPU') ? reference.matmul512CpuMs : reference.matmul512Ms;
      stages.push({ mode, stage, n: values.length, p50Ms: p50, p90Ms: quantile(values, 0.9), p50PerMatmul: p50 / divisor });
    }
  }
  await disposeModels();
  return { photos: photos.length, runs, modelLoadMs, reference, stages, modes, peakRssMb: process.resourceUsage().maxRSS / 1024, loadAverage: os.loadavg(), cores: os.availableParallelism() };
}
