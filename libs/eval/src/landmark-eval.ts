/**
 * Public API. `eval:landmarks`: scores libs/seif-core's front end (DetectStage + LandmarksStage, MediaPipe 478
 * mapped to iBUG-68) on a landmark set: NME 2D and 3D per yaw bucket, failures (no face) counted apart.
 */
import { DecodeStage, DetectStage, LandmarksStage, disposeModels } from '@seif/core';
import { type LandmarkSetCase, YAW_BUCKETS, type YawBucket, mediapipeToIbug68, nme, readLandmarkSet, yawBucket } from './landmarks.js';

export interface LandmarkRun {
  name: string;
  yawDeg?: number;
  bucket: YawBucket;
  status: 'ok' | 'no-face' | 'failed';
  message?: string;
  nme2d?: number;
  nme3d?: number;
}

export interface LandmarkBucketSummary {
  cases: number;
  failures: number;
  nme2dMean: number;
  nme3dMean: number;
}

export interface LandmarkResults {
  set: string;
  runs: LandmarkRun[];
  perBucket: Partial<Record<YawBucket, LandmarkBucketSummary>>;
  overall: LandmarkBucketSummary;
  mapping: string;
}

function summarizeRuns(runs: LandmarkRun[]): LandmarkBucketSummary {
  const ok = runs.filter((r) => r.status === 'ok');
  const mean = (f: (r: LandmarkRun) => number) => (ok.length ? ok.reduce((s, r) => s + f(r), 0) / ok.length : NaN);
  return { cases: runs.length, failures: runs.length - ok.length, nme2dMean: mean((r) => r.nme2d!), nme3dMean: mean((r) => r.nme3d!) };
}

export async function evaluateLandmarkSet(setDir: string, options: { onRun?: (run: LandmarkRun) => void } = {}): Promise<LandmarkResults> {
  const cases: LandmarkSetCase[] = await readLandmarkSet(setDir);
  const decode = new DecodeStage();
  const detect = new DetectStage({ faces: 'largest' });
  const landmarks = new LandmarksStage();
  const runs: LandmarkRun[] = [];
  try {
    for (const c of cases) {
      const run: LandmarkRun = { name: c.name, ...(c.yawDeg !== undefined ? { yawDeg: c.yawDeg } : {}), bucket: yawBucket(c.yawDeg), status: 'ok' };
      try {
        const image = await decode.run(c.imageFile);
        const { face } = await detect.run(image);
        const { points } = await landmarks.run({ image, face });
        Object.assign(run, nme(mediapipeToIbug68(points), c));
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        run.status = code === 'NO_FACE' ? 'no-face' : 'failed';
        run.message = error instanceof Error ? error.message : String(error);
      }
      runs.push(run);
      options.onRun?.(run);
    }
  } finally {
    await disposeModels();
  }
  const perBucket: LandmarkResults['perBucket'] = {};
  for (const b of YAW_BUCKETS) {
    const rs = runs.filter((r) => r.bucket === b);
    if (rs.length) perBucket[b] = summarizeRuns(rs);
  }
  return { set: setDir, runs, perBucket, overall: summarizeRuns(runs), mapping: 'MediaPipe 478 -> iBUG 68: LatentSync 1.5 table (libs/eval/src/landmarks.ts)' };
}

export function landmarkMarkdown(results: LandmarkResults): string {
  const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(2)} %` : '–');
  const lines = [`# Landmark NME on ${results.set}`, '', `Front end: seif-core DetectStage + LandmarksStage; ${results.mapping}. NME = mean point distance / sqrt(w h) of the GT 68-point box; 3D after removing the mean depth.`, '', '| yaw bucket | cases | no face / failed | NME 2D | NME 3D |', '|---|---:|---:|---:|---:|'];
  for (const [b, s] of Object.entries(results.perBucket)) lines.push(`| ${b} | ${s.cases} | ${s.failures} | ${pct(s.nme2dMean)} | ${pct(s.nme3dMean)} |`);
  lines.push(`| all | ${results.overall.cases} | ${results.overall.failures} | ${pct(results.overall.nme2dMean)} | ${pct(results.overall.nme3dMean)} |`, '');
  return lines.join('\n');
}
