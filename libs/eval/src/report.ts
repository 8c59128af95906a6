/**
 * Public API. Outputs of an evaluation run: results.json, a Markdown table (per case, per yaw, overall) and error
 * heat maps (GT mesh coloured by per-vertex error, rendered front and side with the seif-core rasterizer).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Rasterizer, createBuffers } from '@seif/core';
import sharp from 'sharp';
import type { EvalResults, GroupSummary, RunErrors } from './evaluate.js';
import type { ErrorStats } from './metric.js';
import { framingCamera } from './render-case.js';
import type { EvalCase } from './set.js';

/** Heat-map colour scale: 0 mm (blue) to HEATMAP_MAX_MM (red); vertices without a score are grey. */
export const HEATMAP_MAX_MM = 5;
const NO_SCORE: [number, number, number] = [0.45, 0.45, 0.45];

/** Blue -> cyan -> green -> yellow -> red, linear RGB. */
export function errorColor(mm: number, out: Float32Array, offset: number): void {
  if (!Number.isFinite(mm)) {
    out.set(NO_SCORE, offset);
    return;
  }
  const t = Math.max(0, Math.min(1, mm / HEATMAP_MAX_MM)) * 4;
  const stops = [[0, 0, 1], [0, 1, 1], [0, 1, 0], [1, 1, 0], [1, 0, 0]] as const;
  const i = Math.min(3, Math.floor(t));
  const f = t - i;
  for (let k = 0; k < 3; k++) out[offset + k] = stops[i]![k]! * (1 - f) + stops[i + 1]![k]! * f;
}

const _rasterizer = new Rasterizer();

/** Front (yaw 0) and side (yaw 90: the subject's right profile) renders, side by side: a 2 size x size PNG. */
export async function heatmapPng(evalCase: EvalCase, vertexErrors: Float64Array, size = 384): Promise<Buffer> {
  const n = evalCase.gt.positions.length / 3;
  const colors = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) errorColor(vertexErrors[i]!, colors, 3 * i);
  const mesh = { positions: evalCase.gt.positions, indices: evalCase.gt.indices, colors };
  const out = new Uint8Array(2 * size * size * 3);
  const buffers = createBuffers(size, size, { color: true });
  for (const [k, yaw] of [0, 90].entries()) {
    const camera = framingCamera(evalCase.gt.positions, yaw, size, 0.92);
    _rasterizer.render(mesh, camera, { twoSided: true, lights: [{ direction: [0.15, 0.45, 1], intensity: 0.6 }], ambient: 0.45, specular: 0, background: [1, 1, 1] }, buffers);
    const c = buffers.color!;
    for (let y = 0; y < size; y++) out.set(c.subarray(3 * y * size, 3 * (y + 1) * size), 3 * (y * 2 * size + k * size));
  }
  return sharp(out, { raw: { width: 2 * size, height: size, channels: 3 } }).png().toBuffer();
}

export async function writeHeatmap(outDir: string, evalCase: EvalCase, result: RunErrors): Promise<string | undefined> {
  if (!result.vertexErrors) return undefined;
  const dir = path.join(outDir, 'heatmaps');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${evalCase.name}_yaw${result.run.yawDeg}.png`);
  await writeFile(file, await heatmapPng(evalCase, result.vertexErrors));
  return file;
}

const f2 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(2));
const stats = (s: ErrorStats | undefined) => `${f2(s?.median)} | ${f2(s?.mean)} | ${f2(s?.std)}`;
const failures = (g: GroupSummary) => `${g.failures.noFace} | ${g.failures.failed} | ${g.failures.over5mm}`;

/** The Markdown report. */
export function markdownReport(results: EvalResults, extra: { command?: string; date?: string; commit?: string } = {}): string {
  const lines: string[] = [];
  lines.push(`# Evaluation: ${results.mode} on ${path.basename(results.set)}`, '');
  if (extra.date) lines.push(`- date: ${extra.date}`);
  if (extra.commit) lines.push(`- commit: ${extra.commit}`);
  if (extra.command) lines.push(`- command: \`${extra.command}\``);
  lines.push(`- mode: ${results.mode} (${results.modeDescription})`, `- yaws: ${results.yaws.join(', ')}; render seed ${results.seed}; cases: ${results.cases.length}`);
  lines.push(`- protocol: similarity from iBUG ${results.protocol.alignmentLandmarks.join(', ')}, then ${results.protocol.icp}; face region = GT vertices within ${results.protocol.faceRadiusMm} mm of iBUG 30; ${results.protocol.metric}`, '');
  const header = '| | runs | face median | face mean | face std | head median | head mean | head std | no face | failed | > 5 mm |';
  const rule = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const row = (label: string, g: GroupSummary) => `| ${label} | ${g.runs} | ${stats(g.face)} | ${stats(g.fullHead)} | ${failures(g)} |`;
  lines.push('## Overall (mm)', '', header, rule, row('all', results.overall), '');
  lines.push('## Per yaw (mm)', '', header, rule, ...Object.entries(results.perYaw).map(([y, g]) => row(`yaw ${y}°`, g)), '');
  lines.push('## Per case (mm, all yaws)', '', header, rule, ...Object.entries(results.perCase).map(([c, g]) => row(c, g)), '');
  lines.push('## Runs (mm)', '', '| case | yaw | status | face median | face mean | face std | head median | head mean | head std | scale | ICP it. |', '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results.runs) {
    lines.push(`| ${r.caseName} | ${r.yawDeg} | ${r.status}${r.over5mm ? ' (> 5 mm)' : ''} | ${stats(r.face)} | ${stats(r.fullHead)} | ${r.alignment ? r.alignment.scale.toFixed(3) : '–'} | ${r.alignment?.icpIterations ?? '–'} |`);
  }
  lines.push('', 'Groups concatenate the point distances of their runs (NoW convention). Failures: no face detected, reconstruction failed, face median > 5 mm.', '');
  return lines.join('\n');
}

export async function writeResults(outDir: string, results: EvalResults, extra: { command?: string; date?: string; commit?: string } = {}): Promise<{ json: string; markdown: string }> {
  await mkdir(outDir, { recursive: true });
  const json = path.join(outDir, 'results.json');
  const markdown = path.join(outDir, 'results.md');
  await writeFile(json, `${JSON.stringify({ ...extra, ...results }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  await writeFile(markdown, markdownReport(results, extra));
  return { json, markdown };
}
