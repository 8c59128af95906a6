/**
 * A real back end for the gallery's browser test: a throwaway PostgreSQL cluster and migrated database
 * (@seif/platform/testing), then the API and the worker as child processes exactly as `npm start` runs them
 * (`node --import tsx apps/<app>/src/main.ts`). They are spawned by path, not imported: the web app must not
 * depend on another app in Nx's project graph (e2e/test/boundaries.test.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateApiKey } from '@seif/platform';
import { createDatabase } from '@seif/platform/db';
import { type TestCluster, type TestDatabase, createTestDatabase, startTestCluster } from '@seif/platform/testing';
import { REPO_ROOT, freePort } from './harness';

export interface Backend {
  apiUrl: string;
  /** A READ+WRITE key of tenant "Gallery test". */
  key: string;
  /** A key of another tenant, for the isolation check. */
  otherKey: string;
  stop(): Promise<void>;
}

function launch(name: string, script: string, env: NodeJS.ProcessEnv): { child: ChildProcess; log: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', (code, signal) => code && !signal && console.error(`${name} exited with ${code}:\n${log}`));
  return { child, log: () => log };
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

export async function startBackend(): Promise<Backend> {
  const cluster: TestCluster = await startTestCluster();
  const database: TestDatabase = await createTestDatabase(cluster.adminUrl);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'seif-web-e2e-'));
  const [apiPort, metricsPort] = [await freePort(), await freePort()];
  const env = {
    ...process.env,
    DATABASE_URL: database.url,
    SEIF_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    API_PORT: String(apiPort),
    WORKER_METRICS_PORT: String(metricsPort),
    LOG_LEVEL: 'warn',
  };
  const api = launch('api', 'apps/api/src/main.ts', env);
  const worker = launch('worker', 'apps/gpu-worker/src/main.ts', env);
  const apiUrl = `http://127.0.0.1:${apiPort}/graphql`;

  const db = createDatabase(database.url);
  const keys: string[] = [];
  for (const name of ['Gallery test', 'Other tenant']) {
    const generated = await generateApiKey();
    await db.tenant.create({ data: { name, apiKeys: { create: { name: 'e2e', prefix: generated.prefix, hash: generated.hash, scopes: ['READ', 'WRITE'] } } } });
    keys.push(generated.key);
  }
  await db.$disconnect();

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (api.child.exitCode !== null) throw new Error(`api exited:\n${api.log()}`);
    try {
      const response = await fetch(apiUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ health { status } }' }) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`api did not answer within 90 s:\n${api.log()}`);
    await new Promise((r) => setTimeout(r, 300));
  }

  return {
    apiUrl,
    key: keys[0]!,
    otherKey: keys[1]!,
    stop: async () => {
      await Promise.all([stopChild(worker.child), stopChild(api.child)]);
      await database.drop().catch(() => {});
      await cluster.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
