/**
 * `npm run results`: appends a dated section to docs/results.md with the figures of the full runs (fault script,
 * fuzzing, API load, pipeline stages), the commit and the machine. Reports come from `--faults/--fuzz/--api/
 * --bench <json>` (written by the tools' `--json`); a missing one is run now with its full defaults. Nothing
 * already in the file is changed.
 */
import { execFileSync } from 'node:child_process';
import { appendFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@seif/platform';
import type { ApiLoadReport } from './api-load.js';
import type { FaultReport } from './faults.js';
import type { FuzzReport } from './fuzz.js';
import { formatNumber, table } from './harness.js';
import type { StageBenchReport } from './stage-bench.js';

export interface ResultInputs {
  faults: FaultReport;
  fuzz: FuzzReport;
  api: ApiLoadReport;
  bench: StageBenchReport;
  /** The command lines that produced them, quoted in the section. */
  commands: string[];
}

export function machine(): { date: string; commit: string; uname: string; cpu: string; cores: number; memoryGb: number; loadAverage: string } {
  const run = (file: string, args: string[]) => {
    try {
      return execFileSync(file, args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    commit: run('git', ['rev-parse', '--short', 'HEAD']),
    uname: run('uname', ['-a']),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((x) => x.toFixed(1)).join(' '),
  };
}

export function resultsSection(inputs: ResultInputs, host = machine()): string {
  const { faults, fuzz, api, bench } = inputs;
  const lines: string[] = [];
  lines.push(`## Speed, scale and reliability (${host.date.slice(0, 10)})`, '');
  lines.push(`Run ${host.date}, commit \`${host.commit}\` (plus uncommitted changes of the day), ${host.cores} cores (${host.cpu}), ${host.memoryGb} GB, load average ${host.loadAverage} when written.`);
  lines.push(`\`uname -a\`: ${host.uname}`, '');
  lines.push('```sh', ...inputs.commands, '```', '');
  lines.push('### Faults (tools/bench/src/faults.ts)', '');
  lines.push(table([{ jobs: faults.jobs, accepted: faults.accepted, succeeded: faults.succeeded, failed: faults.failed, lost: faults.lost, duplicated: faults.duplicated, stuck: faults.stuck, 'worker SIGKILLs': faults.workerKills, 'API kills': faults.apiKills, 'upload retries': faults.uploadRetries, 'jobs retried': faults.retriedJobs, 'orphan photo objects': faults.orphanPhotoObjects, seconds: faults.seconds }]), '');
  lines.push('### Fuzzing (tools/bench/src/fuzz.ts)', '');
  lines.push(table([{ cases: fuzz.cases, seed: fuzz.seed, crashes: fuzz.crashes, 'HTTP 5xx': fuzz.http5xx, 'of which known bugs': fuzz.http5xxKnown, 'stored from rejected': fuzz.storedFromRejected, 'masked internal errors': fuzz.internalErrors, 'no response': fuzz.noResponse, accepted: fuzz.accepted, rejected: fuzz.rejected, 'slowest case ms': fuzz.slowestCaseMs }]), '');
  const known = [...new Set(fuzz.findings.filter((f) => f.known).map((f) => f.known))];
  const internal = [...new Set(fuzz.findings.filter((f) => f.kind === 'internal-error').map((f) => f.description))];
  lines.push(
    [
      known.length > 0 ? `Known 5xx (reported against apps/api, replayed by \`node --import tsx tools/bench/src/cli.ts repro\`): ${known.join(', ')}.` : '',
      internal.length > 0 ? `Masked internal errors (HTTP 200, INTERNAL_SERVER_ERROR) on: ${internal.map((d) => d.replaceAll('|', '\\|')).join('; ')}.` : '',
      `Slowest case: ${fuzz.slowestCase} (${formatNumber(fuzz.slowestCaseMs)} ms).`,
    ].filter(Boolean).join(' '),
    '',
  );
  lines.push('### API load (tools/bench/src/api-load.ts)', '');
  lines.push(table([{ subscriptions: api.subscriptions, 'target req/s': api.targetRate, 'achieved req/s': api.achievedRate, seconds: api.durationSeconds, 'p50 ms': api.latencyP50Ms, 'p99 ms': api.latencyP99Ms, errors: api.errors + api.non2xx + api.graphqlErrors, 'events delivered / expected': `${api.eventsDelivered} / ${api.eventsExpected}`, 'event latency p50 / p99 ms': `${formatNumber(api.eventLatencyP50Ms)} / ${formatNumber(api.eventLatencyP99Ms)}`, 'API CPU cores': api.apiCpuCores, 'load average (1 min)': api.loadAverage1m ?? 'n/a' }]), '');
  lines.push('### Pipeline stages (tools/bench/src/stage-bench.ts)', '');
  lines.push(`${bench.photos} sample photos x ${bench.runs} runs; reference: 512x512 float32 matrix product ${formatNumber(bench.reference.matmul512Ms)} ms wall / ${formatNumber(bench.reference.matmul512CpuMs ?? Number.NaN)} ms CPU, rasterizer ${bench.reference.renderTriangles} triangles at 512² ${formatNumber(bench.reference.renderMs)} ms; models loaded in ${formatNumber(bench.modelLoadMs)} ms; peak RSS ${formatNumber(bench.peakRssMb)} MB.`, '');
  lines.push(table(bench.stages.map((s) => ({ mode: s.mode, stage: s.stage, n: s.n, 'p50 ms': s.p50Ms, 'p90 ms': s.p90Ms, 'p50 / matmul': s.p50PerMatmul }))), '');
  lines.push(table(bench.modes.map((m) => ({ mode: m.mode, available: m.available ? 'yes' : 'no', 'points evaluated': m.pointsEvaluated, failures: m.failures, note: m.note ?? '' }))), '');
  return `${lines.join('\n')}\n`;
}

export async function appendResults(inputs: ResultInputs, file = path.join(REPO_ROOT, 'docs/results.md')): Promise<string> {
  const section = resultsSection(inputs);
  const existing = await readFile(file, 'utf8').catch(() => '# Results\n');
  await appendFile(file, `${existing.endsWith('\n\n') ? '' : existing.endsWith('\n') ? '\n' : '\n\n'}${section}`);
  return section;
}
