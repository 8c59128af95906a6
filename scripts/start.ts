/**
 * `npm start`: the whole platform on one machine.
 *
 * 1. PostgreSQL: DATABASE_URL if set, else an embedded server with its data under .data/postgres (kept across
 *    restarts); migrations are applied either way.
 * 2. The API, the GPU worker and the web app as child processes with DATABASE_URL set (the web app is built
 *    first when it has no production build, or with --rebuild-web).
 * 3. Prints the URLs once everything answers. SIGINT/SIGTERM stops the children, then PostgreSQL, and exits 0.
 * A child that dies brings the rest down with a non-zero exit: a half-running platform helps nobody.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig, REPO_ROOT } from '@seif/platform';
import { applyMigrations, createDatabase, ensureLocalTenant, type RunningPostgres, startEmbeddedPostgres } from '@seif/platform/db';

const config = loadConfig();
const rebuildWeb = process.argv.includes('--rebuild-web');
const children = new Map<string, ChildProcess>();
let embedded: RunningPostgres | undefined;
let stopping = false;

// When npm dies of the same Ctrl+C first, our stdout pipe may be gone: a failed write must not abort the
// shutdown (PostgreSQL would be left running), so write errors on our own output are ignored.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

function say(message: string) {
  process.stdout.write(`[start] ${message}\n`);
}

/** Runs a child with its output prefixed by its name, so interleaved logs stay readable. */
function launch(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, cwd = REPO_ROOT): ChildProcess {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${name}] ${line}\n`));
  }
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      say(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything`);
      void shutdown(1);
    }
  });
  return child;
}

function runToCompletion(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${name}] ${line}\n`));
    }
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} failed with exit code ${code}`))));
  });
}

async function waitFor(url: string, init: RequestInit, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) throw new Error('stopping');
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not answer at ${url} within ${timeoutMs / 1000} s`);
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const exits = [...children.values()].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        // A child that ignores SIGTERM for 15 s is killed.
        setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      }),
  );
  await Promise.all(exits);
  if (embedded) {
    say('stopping embedded PostgreSQL');
    await embedded.stop().catch((error: unknown) => say(`PostgreSQL stop failed: ${String(error)}`));
  }
  say(code === 0 ? 'stopped' : 'stopped after an error');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

async function main() {
  let databaseUrl = config.databaseUrl;
  if (databaseUrl) {
    say('using DATABASE_URL');
  } else {
    say(`starting embedded PostgreSQL (data in ${path.join(config.dataDir, 'postgres')}, port ${config.embeddedPostgresPort})`);
    embedded = await startEmbeddedPostgres({ dataDir: path.join(config.dataDir, 'postgres'), port: config.embeddedPostgresPort, database: 'seif' });
    databaseUrl = embedded.url;
  }
  const applied = await applyMigrations(databaseUrl);
  say(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema up to date');
  const db = createDatabase(databaseUrl, { maxConnections: 1 });
  const localKey = await ensureLocalTenant(db, config.dataDir).finally(() => db.$disconnect());

  const apiUrl = `http://${config.host}:${config.apiPort}/graphql`;
  const webUrl = `http://${config.host}:${config.webPort}/`;
  const env = { ...process.env, DATABASE_URL: databaseUrl, SEIF_API_URL: apiUrl, NEXT_TELEMETRY_DISABLED: '1' };
  const node = process.execPath;

  const webDir = path.join(REPO_ROOT, 'apps/web');
  const nextBin = path.join(REPO_ROOT, 'node_modules/next/dist/bin/next');
  if (rebuildWeb || !existsSync(path.join(webDir, '.next/BUILD_ID'))) {
    say('building the web app (first start only; `npm start -- --rebuild-web` rebuilds)');
    await runToCompletion('web-build', node, [nextBin, 'build'], env, webDir);
  }

  launch('api', node, ['--import', 'tsx', 'apps/api/src/main.ts'], env);
  launch('worker', node, ['--import', 'tsx', 'apps/gpu-worker/src/main.ts'], env);
  launch('web', node, [nextBin, 'start', '--hostname', config.host, '--port', String(config.webPort)], env, webDir);

  await Promise.all([
    waitFor(apiUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ health { status } }"}' }, 'API'),
    waitFor(`http://${config.host}:${config.workerMetricsPort}/metrics`, {}, 'worker'),
    waitFor(webUrl, {}, 'web app'),
  ]);
  say(`  gallery   ${webUrl}`);
  say(`  GraphQL   ${apiUrl}`);
  say(`  metrics   http://${config.host}:${config.workerMetricsPort}/metrics`);
  if (localKey) say(`  API key   ${localKey}  (tenant "Local", admin; kept in ${path.join(config.dataDir, 'local-api-key')})`);
  // Last, so that whoever waits for this line has seen the URLs.
  say('ready (press Ctrl+C to stop)');
}

main().catch((error: unknown) => {
  if (stopping) return;
  say(`failed: ${error instanceof Error ? error.message : String(error)}`);
  void shutdown(1);
});
