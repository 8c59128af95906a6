/**
 * `npm run faults | fuzz | bench:api | bench | results` (root scripts). Each prints a table and the JSON of
 * its report; `--json <file>` also writes the JSON there (what `npm run results` reads back).
 *
 *   faults    --jobs 100 --seed 1 --kills <n> --api-restarts <n> --expire 20 --timeout <s>
 *   fuzz      --cases 200 --seed 1
 *   api       --subscriptions 50 --rate 100 --duration 10 --events-per-second 2
 *   bench     --runs 2 --photos <n>
 *   repro     (replays the API bugs the fuzzer found; exit 1 while any reproduces)
 *   results   --faults <file> --fuzz <file> --api <file> --bench <file>   (missing ones are run first)
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { table } from './harness.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    jobs: { type: 'string' },
    seed: { type: 'string' },
    kills: { type: 'string' },
    'api-restarts': { type: 'string' },
    expire: { type: 'string' },
    timeout: { type: 'string' },
    cases: { type: 'string' },
    subscriptions: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    'events-per-second': { type: 'string' },
    runs: { type: 'string' },
    photos: { type: 'string' },
    json: { type: 'string' },
    faults: { type: 'string' },
    fuzz: { type: 'string' },
    api: { type: 'string' },
    bench: { type: 'string' },
    quiet: { type: 'boolean' },
  },
});
const num = (value: string | undefined) => (value === undefined ? undefined : Number(value));
const log = values.quiet ? () => {} : (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

const SCRIPTS: Record<string, string> = { faults: 'faults', fuzz: 'fuzz', api: 'bench:api', bench: 'bench' };
/** How this report was produced, for docs/results.md. */
const commandLine = `npm run ${SCRIPTS[positionals[0] ?? ''] ?? positionals[0]}${process.argv.length > 3 ? ` -- ${process.argv.slice(3).join(' ')}` : ''}`;

async function emit(name: string, report: object, rows: Record<string, string | number>[]) {
  Object.assign(report, { command: commandLine });
  console.log(`\n${name}\n`);
  console.log(table(rows));
  console.log(`\n${JSON.stringify(report, null, 2)}`);
  if (values.json) await writeFile(values.json, JSON.stringify(report, null, 2));
}

const command = positionals[0];
switch (command) {
  case 'faults': {
    const { runFaults } = await import('./faults.js');
    const report = await runFaults({ jobs: num(values.jobs), seed: num(values.seed), workerKills: num(values.kills), apiRestarts: num(values['api-restarts']), expireSeconds: num(values.expire), timeoutSeconds: num(values.timeout), log });
    const { details, ...figures } = report;
    for (const line of details) log(line);
    await emit('fault script', report, [figures]);
    process.exitCode = report.lost + report.duplicated + report.stuck === 0 ? 0 : 1;
    break;
  }
  case 'fuzz': {
    const { runFuzz } = await import('./fuzz.js');
    const report = await runFuzz({ cases: num(values.cases), seed: num(values.seed), log });
    const { findings, byCategory, ...figures } = report;
    for (const finding of findings.slice(0, 20)) log(`${finding.kind} #${finding.index} ${finding.description}: ${finding.detail.slice(0, 300)}`);
    await emit('fuzzing', report, [figures]);
    process.exitCode = report.crashes + report.http5xx - report.http5xxKnown + report.storedFromRejected === 0 ? 0 : 1;
    break;
  }
  case 'api': {
    const { runApiLoad } = await import('./api-load.js');
    const report = await runApiLoad({ subscriptions: num(values.subscriptions), rate: num(values.rate), duration: num(values.duration), eventsPerSecond: num(values['events-per-second']), log });
    await emit('API load', report, [report as unknown as Record<string, number>]);
    break;
  }
  case 'bench': {
    const { runStageBench } = await import('./stage-bench.js');
    const report = await runStageBench({ runs: num(values.runs), photos: num(values.photos), log });
    await emit('pipeline stages', report, report.stages as unknown as Record<string, number>[]);
    console.log(`\n${table([{ 'matmul 512 ms': report.reference.matmul512Ms, 'render ms': report.reference.renderMs, 'model load ms': report.modelLoadMs, 'peak RSS MB': report.peakRssMb, modes: report.modes.map((m) => `${m.mode}:${m.available ? 'yes' : 'n/a'} points ${m.pointsEvaluated}`).join('; ') }])}`);
    break;
  }
  case 'results': {
    const { appendResults } = await import('./results.js');
    const read = async <T,>(file: string | undefined, run: () => Promise<T>): Promise<T> => (file ? (JSON.parse(await readFile(file, 'utf8')) as T) : run());
    const faults = await read(values.faults, async () => (await import('./faults.js')).runFaults({ log }));
    const fuzz = await read(values.fuzz, async () => (await import('./fuzz.js')).runFuzz({ cases: 1000, log }));
    const api = await read(values.api, async () => (await import('./api-load.js')).runApiLoad({ log }));
    const bench = await read(values.bench, async () => (await import('./stage-bench.js')).runStageBench({ log }));
    const given = (report: object, fallback: string) => (report as { command?: string }).command ?? fallback;
    const commands = [
      given(faults, 'npm run faults'),
      given(fuzz, 'npm run fuzz -- --cases 1000'),
      given(api, 'npm run bench:api'),
      given(bench, 'npm run bench'),
      commandLine,
    ];
    console.log(await appendResults({ faults, fuzz, api, bench, commands }));
    break;
  }
  case 'repro': {
    const { runRepros } = await import('./repro.js');
    const results = await runRepros();
    for (const result of results) console.log(`${result.reproduces ? 'REPRODUCES' : 'fixed     '} ${result.id}: HTTP ${result.status} ${result.body}\n           expected: ${result.expected}`);
    process.exitCode = results.some((result) => result.reproduces) ? 1 : 0;
    break;
  }
  default:
    console.error(`usage: cli.ts faults|fuzz|api|bench|results [options] (got ${command ?? 'nothing'})`);
    process.exitCode = 2;
}
// Explicitly: a dependency's exit hook (embedded PostgreSQL's) otherwise ends the process with 0, and stray
// handles (pools, timers) must not keep a finished tool alive.
process.exit(process.exitCode ?? 0);
