/**
 * CI slice of issue 10: the evaluator end to end on two ict-dev heads at yaw 0 with the mean-template baseline.
 * Needs ../shared/eval/ict-dev beside the checkout (CI machines have it); skipped with a message otherwise.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { seifWeights } from '@seif/models';
import { evaluateSet } from '../src/evaluate.js';
import { writeHeatmap, writeResults } from '../src/report.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DEV_SET = path.resolve(REPO_ROOT, '../shared/eval/ict-dev');
const present = existsSync(DEV_SET);
if (!present) console.warn(`[ci-slice] SKIPPED: development set not found at ${DEV_SET} (CI machines have it; see ../shared/eval/README.md)`);

describe.skipIf(!present)('eval CI slice: mean-template on two ict-dev heads at yaw 0', () => {
  it('produces finite figures within sanity bounds and writes results, table and heat maps', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'seif-eval-'));
    try {
      const heatmaps: string[] = [];
      const results = await evaluateSet({
        setDir: DEV_SET,
        mode: 'mean-template',
        yaws: [0],
        maxCases: 2,
        onRun: async (run, evalCase) => {
          const file = await writeHeatmap(out, evalCase, run);
          if (file) heatmaps.push(file);
        },
      });
      const files = await writeResults(out, results);
      expect(results.runs).toHaveLength(2);
      for (const run of results.runs) {
        expect(run.status).toBe('ok');
        // Sanity bounds, deliberately generous: an unfitted FLAME template on ICT heads measures ~1-1.5 mm face
        // median; below 0.3 mm would mean the metric compares a mesh with itself, above 4 mm a broken alignment.
        expect(run.face!.median).toBeGreaterThan(0.3);
        expect(run.face!.median).toBeLessThan(4);
        expect(run.face!.mean).toBeLessThan(6);
        expect(Number.isFinite(run.face!.std)).toBe(true);
        // The face region of an ICT head (95 mm around the nose tip) holds thousands of vertices.
        expect(run.face!.count).toBeGreaterThan(1000);
        expect(run.fullHead!.median).toBeLessThan(10);
        // Landmark similarity scale mm -> mm should be near 1 for adult heads (FLAME template vs ICT heads).
        expect(run.alignment!.scale).toBeGreaterThan(0.8);
        expect(run.alignment!.scale).toBeLessThan(1.25);
      }
      expect(Number.isFinite(results.overall.face.median)).toBe(true);
      expect(results.overall.failures).toEqual({ noFace: 0, failed: 0, over5mm: 0 });
      for (const file of [files.json, files.markdown, ...heatmaps]) expect((await stat(file)).size).toBeGreaterThan(100);
      expect(heatmaps).toHaveLength(2);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!present || (!seifWeights() && !process.env.SEIF_WEIGHTS_DIR))('eval CI slice: the SeIF surface on one ict-dev head at yaw 0', () => {
  it('scores the marching-cubes surface (not FLAME topology) within sanity bounds', async () => {
    process.env.SEIF_EVAL_RESOLUTION = '128';
    const results = await evaluateSet({ setDir: DEV_SET, mode: 'seif-surface', yaws: [0], maxCases: 1 });
    const run = results.runs[0]!;
    expect(run.status).toBe('ok');
    // ICT heads are not FLAME heads and the network never saw them: a few mm is expected (docs/results.md);
    // above 6 mm median the surface or its alignment is broken.
    expect(run.face!.median).toBeGreaterThan(0.3);
    expect(run.face!.median).toBeLessThan(6);
    expect(run.face!.count).toBeGreaterThan(1000);
    expect((run.meta as { grid: { resolution: number } }).grid.resolution).toBe(128);
  }, 300_000);
});
