/**
 * Public API. The protocol end to end (../shared/eval/README.md): for each case and yaw, render, reconstruct from
 * the image alone, align (landmark similarity + rigid ICP on the face region), score GT -> reconstruction surface
 * distances. Aggregates concatenate the point distances of all runs in a group (NoW's convention), so a group's
 * median is over points, not a median of medians.
 */
import { alignToGroundTruth } from './align.js';
import { TriangleBvh } from './bvh.js';
import { EvalError } from './errors.js';
import { type ErrorStats, faceRegion, gatherPoints, summarize, surfaceDistances } from './metric.js';
import { getMode } from './modes/registry.js';
import { type ReconstructedHead, type ReconstructFn, isFailure } from './modes/types.js';
import { type RenderedCase, renderCase } from './render-case.js';
import { type EvalCase, listCases, loadCase } from './set.js';
import { type Similarity } from './transform.js';
import path from 'node:path';

/** A run whose face-region median exceeds this (mm) is counted as a failure (issue 10). */
export const MEDIAN_FAILURE_MM = 5;

export interface RunResult {
  caseName: string;
  yawDeg: number;
  seed: number;
  status: 'ok' | 'no-face' | 'failed';
  message?: string;
  /** Face-region errors (mm). */
  face?: ErrorStats;
  /** Whole gt.obj errors (mm), for full-head outputs. */
  fullHead?: ErrorStats;
  /** Face-region median above MEDIAN_FAILURE_MM. */
  over5mm?: boolean;
  alignment?: { scale: number; landmarkRmsMm: number; icpIterations: number; rmsBeforeIcpMm: number; rmsAfterIcpMm: number };
  timingsMs: Record<string, number>;
  meta?: Record<string, unknown>;
}

export interface GroupSummary {
  runs: number;
  failures: { noFace: number; failed: number; over5mm: number };
  face: ErrorStats;
  fullHead?: ErrorStats;
}

export interface EvalResults {
  set: string;
  mode: string;
  modeDescription: string;
  yaws: number[];
  seed: number;
  cases: string[];
  runs: RunResult[];
  perYaw: Record<string, GroupSummary>;
  perCase: Record<string, GroupSummary>;
  overall: GroupSummary;
  protocol: { alignmentLandmarks: number[]; faceRadiusMm: number; icp: string; metric: string };
}

/** Per-vertex errors of one run on the GT mesh (for heat maps): face-region or whole-head distances, NaN elsewhere. */
export interface RunErrors {
  run: RunResult;
  vertexErrors?: Float64Array;
}

export interface EvaluateOptions {
  setDir: string;
  mode?: string;
  yaws?: readonly number[];
  seed?: number;
  /** Evaluate only the first n cases (sorted by name). */
  maxCases?: number;
  /** Called after each run (results and per-vertex errors); use it for heat maps and progress. */
  onRun?: (result: RunErrors, evalCase: EvalCase, rendered: RenderedCase) => void | Promise<void>;
  /** Use this function instead of the named mode (tests, ad-hoc adapters). */
  reconstruct?: ReconstructFn;
  signal?: AbortSignal;
}

function toMillimetres(head: ReconstructedHead): { vertices: Float64Array; landmarks: Float64Array } {
  const k = head.unit === 'm' ? 1000 : 1;
  const vertices = Float64Array.from(head.vertices, (v) => v * k);
  const landmarks = Float64Array.from(head.landmarks68, (v) => v * k);
  return { vertices, landmarks };
}

function checkHead(head: ReconstructedHead): void {
  const n = head.vertices.length / 3;
  if (!Number.isInteger(n) || n < 3) throw new EvalError('BAD_RECONSTRUCTION', `vertices has ${head.vertices.length} values`);
  if (head.faces.length % 3 !== 0 || head.faces.length === 0) throw new EvalError('BAD_RECONSTRUCTION', `faces has ${head.faces.length} indices`);
  for (const f of head.faces) if (f >= n) throw new EvalError('BAD_RECONSTRUCTION', `face index ${f} >= vertex count ${n}`);
  for (const v of head.vertices) if (!Number.isFinite(v)) throw new EvalError('BAD_RECONSTRUCTION', 'vertices contain NaN or infinity');
  if (head.landmarks68.length !== 204) throw new EvalError('BAD_RECONSTRUCTION', `landmarks68 has ${head.landmarks68.length} values, needs 204`);
}

/** Scores one reconstruction of one case (steps 3-5). */
export function scoreReconstruction(evalCase: EvalCase, head: ReconstructedHead, region = faceRegion(evalCase.gt.positions, evalCase.landmarks)): {
  face: ErrorStats;
  fullHead?: ErrorStats;
  transform: Similarity;
  alignment: NonNullable<RunResult['alignment']>;
  vertexErrors: Float64Array;
} {
  checkHead(head);
  const { vertices, landmarks } = toMillimetres(head);
  const bvh = new TriangleBvh(vertices, head.faces);
  const facePoints = gatherPoints(evalCase.gt.positions, region);
  const aligned = alignToGroundTruth({ reconLandmarks68: landmarks, gtLandmarks68: evalCase.landmarks, reconBvh: bvh, gtFacePoints: facePoints });
  const faceDistances = surfaceDistances(facePoints, bvh, aligned.transform);
  const nGt = evalCase.gt.positions.length / 3;
  const vertexErrors = new Float64Array(nGt).fill(NaN);
  let fullHead: ErrorStats | undefined;
  if (head.fullHead) {
    surfaceDistances(evalCase.gt.positions, bvh, aligned.transform, vertexErrors);
    fullHead = summarize(vertexErrors);
  } else {
    region.forEach((v, k) => (vertexErrors[v] = faceDistances[k]!));
  }
  return {
    face: summarize(faceDistances),
    ...(fullHead ? { fullHead } : {}),
    transform: aligned.transform,
    alignment: {
      scale: aligned.transform.scale,
      landmarkRmsMm: aligned.landmarkRms,
      icpIterations: aligned.icpIterations,
      rmsBeforeIcpMm: aligned.rmsBefore,
      rmsAfterIcpMm: aligned.rmsAfter,
    },
    vertexErrors,
  };
}

function summarizeGroup(runs: RunResult[], distances: Float64Array[], headDistances: Float64Array[]): GroupSummary {
  const concat = (parts: Float64Array[]) => {
    const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  return {
    runs: runs.length,
    failures: {
      noFace: runs.filter((r) => r.status === 'no-face').length,
      failed: runs.filter((r) => r.status === 'failed').length,
      over5mm: runs.filter((r) => r.over5mm).length,
    },
    face: summarize(concat(distances)),
    ...(headDistances.length > 0 ? { fullHead: summarize(concat(headDistances)) } : {}),
  };
}

export async function evaluateSet(options: EvaluateOptions): Promise<EvalResults> {
  const modeName = options.mode ?? 'mean-template';
  const mode = options.reconstruct ? undefined : getMode(modeName);
  const reconstruct = options.reconstruct ?? (await mode!.create());
  const yaws = [...(options.yaws ?? [0])];
  const seed = options.seed ?? 1;
  let names = await listCases(options.setDir);
  if (options.maxCases !== undefined) names = names.slice(0, options.maxCases);
  const runs: RunResult[] = [];
  // Point distances kept per run (face, whole head) for the concatenated group statistics.
  const faceD = new Map<RunResult, Float64Array>();
  const headD = new Map<RunResult, Float64Array>();
  try {
    for (const name of names) {
      const evalCase = await loadCase(path.join(options.setDir, name));
      const region = faceRegion(evalCase.gt.positions, evalCase.landmarks);
      for (const yawDeg of yaws) {
        options.signal?.throwIfAborted();
        const timingsMs: Record<string, number> = {};
        let t = performance.now();
        const rendered = renderCase(evalCase, { yawDeg, seed });
        timingsMs.render = performance.now() - t;
        t = performance.now();
        const output = await reconstruct(rendered.image, { caseName: name, timings: timingsMs, ...(options.signal ? { signal: options.signal } : {}) });
        timingsMs.reconstruct = performance.now() - t;
        const run: RunResult = { caseName: name, yawDeg, seed: rendered.seed, status: 'ok', timingsMs };
        let vertexErrors: Float64Array | undefined;
        if (isFailure(output)) {
          run.status = output.failure.code === 'NO_FACE' ? 'no-face' : 'failed';
          run.message = output.failure.message;
        } else {
          t = performance.now();
          try {
            const score = scoreReconstruction(evalCase, output, region);
            run.face = score.face;
            if (score.fullHead) run.fullHead = score.fullHead;
            run.over5mm = score.face.median > MEDIAN_FAILURE_MM;
            run.alignment = score.alignment;
            vertexErrors = score.vertexErrors;
            faceD.set(run, Float64Array.from(region, (v) => score.vertexErrors[v]!));
            if (score.fullHead) headD.set(run, score.vertexErrors);
          } catch (error) {
            run.status = 'failed';
            run.message = error instanceof Error ? error.message : String(error);
          }
          if (output.meta) run.meta = output.meta;
          timingsMs.score = performance.now() - t;
        }
        runs.push(run);
        await options.onRun?.({ run, ...(vertexErrors ? { vertexErrors } : {}) }, evalCase, rendered);
      }
    }
  } finally {
    await mode?.dispose?.();
  }
  const group = (select: (r: RunResult) => boolean) => {
    const rs = runs.filter(select);
    return summarizeGroup(rs, rs.flatMap((r) => faceD.get(r) ?? []), rs.flatMap((r) => headD.get(r) ?? []));
  };
  return {
    set: path.resolve(options.setDir),
    mode: options.reconstruct ? 'custom' : modeName,
    modeDescription: mode?.description ?? 'custom reconstruct function',
    yaws,
    seed,
    cases: names,
    runs,
    perYaw: Object.fromEntries(yaws.map((y) => [String(y), group((r) => r.yawDeg === y)])),
    perCase: Object.fromEntries(names.map((n) => [n, group((r) => r.caseName === n)])),
    overall: group(() => true),
    protocol: {
      alignmentLandmarks: [36, 39, 42, 45, 33, 48, 54],
      faceRadiusMm: 95,
      icp: 'rigid, GT face-region points to closest reconstructed-surface points, scale fixed from the landmark similarity',
      metric: 'GT point -> reconstructed surface (point-to-triangle), mm; groups concatenate point distances',
    },
  };
}
