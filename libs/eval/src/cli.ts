/**
 * Command line (root package.json scripts):
 *   npm run eval -- --set <dir> [--mode mean-template|flame|seif|seif-surface] [--yaws 0,30,-30,60,-60] [--out <dir>] [--cases n] [--seed n] [--no-heatmaps]
 *   npm run eval:landmarks -- --set <dir> [--out <dir>]
 *   npm run eval:make-landmark-set -- --set <dir> --out <dir> [--yaws ...] [--cases n] [--seed n]
 * Outputs go to --out, default test-output/eval/<timestamp> under the repository root.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EvalError } from './errors.js';
import { evaluateSet } from './evaluate.js';
import { evaluateLandmarkSet, landmarkMarkdown } from './landmark-eval.js';
import { writeLandmarkCase } from './landmarks.js';
import { modeNames } from './modes/registry.js';
import { DEFAULT_YAWS, renderCase } from './render-case.js';
import { writeHeatmap, writeResults } from './report.js';
import { listCases, loadCase } from './set.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function parseYaws(text: string | undefined): number[] {
  if (text === undefined) return [...DEFAULT_YAWS];
  const yaws = text.split(',').map((s) => Number(s.trim()));
  if (yaws.some((y) => !Number.isFinite(y) || Math.abs(y) > 90)) throw new EvalError('BAD_ARGUMENT', `--yaws must be comma-separated degrees in [-90, 90], got "${text}"`);
  return yaws;
}

function positiveInt(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new EvalError('BAD_ARGUMENT', `${name} must be a non-negative integer, got "${text}"`);
  return n;
}

function commit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

const defaultOut = (kind: string) => path.join(REPO_ROOT, 'test-output', kind, new Date().toISOString().replace(/[:.]/g, '-'));

async function main(argv: string[]): Promise<void> {
  const sub = argv[0] === 'landmarks' || argv[0] === 'make-landmark-set' ? argv.shift()! : 'eval';
  const { values } = parseArgs({
    args: argv,
    options: {
      set: { type: 'string' },
      mode: { type: 'string', default: 'mean-template' },
      yaws: { type: 'string' },
      out: { type: 'string' },
      cases: { type: 'string' },
      seed: { type: 'string' },
      'no-heatmaps': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help || !values.set) {
    console.log(`usage:
  npm run eval -- --set <dir> [--mode ${modeNames().join('|')}] [--yaws 0,30,-30,60,-60] [--out <dir>] [--cases n] [--seed n] [--no-heatmaps]
  npm run eval:landmarks -- --set <landmark-set dir> [--out <dir>]
  npm run eval:make-landmark-set -- --set <eval set dir> --out <dir> [--yaws ...] [--cases n] [--seed n]`);
    if (!values.set && !values.help) process.exitCode = 2;
    return;
  }
  const setDir = path.resolve(values.set);
  const seed = positiveInt(values.seed, '--seed') ?? 1;
  const maxCases = positiveInt(values.cases, '--cases');
  const command = `npm run ${sub === 'eval' ? 'eval' : `eval:${sub}`} -- ${process.argv.slice(2).filter((a) => a !== sub).join(' ')}`;

  if (sub === 'make-landmark-set') {
    if (!values.out) throw new EvalError('BAD_ARGUMENT', 'make-landmark-set needs --out <dir>');
    const yaws = parseYaws(values.yaws);
    let names = await listCases(setDir);
    if (maxCases !== undefined) names = names.slice(0, maxCases);
    for (const name of names) {
      const evalCase = await loadCase(path.join(setDir, name));
      for (const yawDeg of yaws) {
        const r = renderCase(evalCase, { yawDeg, seed });
        await writeLandmarkCase(path.join(values.out, `${name}_yaw${yawDeg}`), r.image, r.landmarksPx, yawDeg);
      }
      console.log(`${name}: ${yaws.length} images`);
    }
    console.log(`landmark set written to ${path.resolve(values.out)}`);
    return;
  }

  const outDir = path.resolve(values.out ?? defaultOut(sub === 'eval' ? 'eval' : 'eval-landmarks'));
  const extra = { date: new Date().toISOString(), ...(commit() ? { commit: commit()! } : {}), command };

  if (sub === 'landmarks') {
    const results = await evaluateLandmarkSet(setDir, {
      onRun: (r) => console.log(`${r.name}: ${r.status}${r.nme2d !== undefined ? ` NME2D ${(100 * r.nme2d).toFixed(2)} % NME3D ${(100 * r.nme3d!).toFixed(2)} %` : ''}`),
    });
    await mkdir(outDir, { recursive: true });
    await writeFile(path.join(outDir, 'landmarks.json'), `${JSON.stringify({ ...extra, ...results }, null, 2)}\n`);
    const md = landmarkMarkdown(results);
    await writeFile(path.join(outDir, 'landmarks.md'), md);
    console.log(`\n${md}\nwritten to ${outDir}`);
    return;
  }

  const results = await evaluateSet({
    setDir,
    mode: values.mode,
    yaws: parseYaws(values.yaws),
    seed,
    ...(maxCases !== undefined ? { maxCases } : {}),
    onRun: async (r, evalCase) => {
      if (!values['no-heatmaps']) await writeHeatmap(outDir, evalCase, r);
      const f = r.run.face;
      console.log(`${r.run.caseName} yaw ${r.run.yawDeg}: ${r.run.status}${f ? ` face median ${f.median.toFixed(3)} mean ${f.mean.toFixed(3)} std ${f.std.toFixed(3)} mm` : ` (${r.run.message ?? ''})`}`);
    },
  });
  const files = await writeResults(outDir, results, extra);
  const o = results.overall;
  console.log(`\noverall: face median ${o.face.median.toFixed(3)} mean ${o.face.mean.toFixed(3)} std ${o.face.std.toFixed(3)} mm; failures ${JSON.stringify(o.failures)}`);
  console.log(`written: ${files.json}, ${files.markdown}${values['no-heatmaps'] ? '' : `, ${path.join(outDir, 'heatmaps')}/`}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof EvalError) {
    console.error(`eval: ${error.code}: ${error.message}`);
    process.exitCode = 1;
  } else {
    console.error(error);
    process.exitCode = 1;
  }
});
