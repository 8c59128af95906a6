/**
 * The README's `npm start`, run the way a newcomer runs it: a fresh data directory, nothing else started.
 * It must bring up PostgreSQL, the API, the worker and the web app, print the URLs, serve the health query and
 * the gallery page, and stop everything on Ctrl+C (SIGINT to the process group) with exit code 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@seif/platform';
import { freePort } from '@seif/platform/testing';

describe('npm start', () => {
  let child: ChildProcess | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    // Only if the test failed before Ctrl+C: the group may already be gone (npm dies of the SIGINT itself).
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already exited
      }
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts everything on an embedded PostgreSQL, answers, and stops cleanly', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'seif-start-'));
    await chmod(dataDir, 0o755);
    const ports = { EMBEDDED_PG_PORT: await freePort(), API_PORT: await freePort(), WEB_PORT: await freePort(), WORKER_METRICS_PORT: await freePort() };
    const env: NodeJS.ProcessEnv = { ...process.env, SEIF_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    for (const [key, value] of Object.entries(ports)) env[key] = String(value);

    const started = Date.now();
    child = spawn('npm', ['start'], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const ready = new Promise<void>((resolve, reject) => {
      for (const stream of [child!.stdout!, child!.stderr!]) {
        createInterface({ input: stream }).on('line', (line) => {
          output.push(line);
          if (line.includes('[start] ready')) resolve();
        });
      }
      child!.on('exit', (code) => reject(new Error(`npm start exited early with ${code}:\n${output.slice(-40).join('\n')}`)));
    });
    await ready;
    const startSeconds = (Date.now() - started) / 1000;

    const apiUrl = `http://127.0.0.1:${ports.API_PORT}/graphql`;
    const webUrl = `http://127.0.0.1:${ports.WEB_PORT}/`;
    // Give the URLs to the user.
    expect(output.join('\n')).toContain(`gallery   ${webUrl}`);
    expect(output.join('\n')).toContain(`GraphQL   ${apiUrl}`);

    const health = await fetch(apiUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ health { status database { reachable migration } } }' }),
    }).then((response) => response.json() as Promise<any>);
    expect(health.data.health).toMatchObject({ status: 'OK', database: { reachable: true } });

    const page = await fetch(webUrl).then((response) => response.text());
    expect(page).toContain('SeIF');
    expect(page).toContain('Back end ready');

    // First start on an empty database: a local tenant and its admin key, printed for the user, that work.
    const keyLine = output.find((line) => line.includes('API key'));
    const key = keyLine?.match(/seif_[a-z2-7]{12}_[A-Za-z0-9_-]{43}/)?.[0];
    expect(key, 'npm start prints the local admin API key').toBeDefined();
    const viewer = await fetch(apiUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ viewer { tenant { name } apiKey { scopes } } }' }),
    }).then((response) => response.json() as Promise<any>);
    expect(viewer.data.viewer).toEqual({ tenant: { name: 'Local' }, apiKey: { scopes: ['READ', 'WRITE', 'ADMIN'] } });

    const metrics = await fetch(`http://127.0.0.1:${ports.WORKER_METRICS_PORT}/metrics`).then((response) => response.text());
    expect(metrics).toMatch(/^seif_worker_database_up 1$/m);

    // The embedded cluster keeps its data in the data dir (so it survives restarts).
    expect(existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);

    // Ctrl+C: SIGINT to the whole process group, as a terminal does. npm itself dies of the signal and may
    // take the output pipe with it, so judge the shutdown by its effects: every server gone within 30 s.
    process.kill(-child.pid!, 'SIGINT');
    const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
    const deadline = Date.now() + 30_000;
    const anyUp = async () =>
      existsSync(pidFile) ||
      (await Promise.all([apiUrl, webUrl].map((url) => fetch(url, { signal: AbortSignal.timeout(1_000) }).then(() => true, () => false)))).some(Boolean);
    while ((await anyUp()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(existsSync(pidFile), 'PostgreSQL still running after Ctrl+C').toBe(false);
    await expect(fetch(apiUrl, { method: 'POST', body: '{}' })).rejects.toThrow();
    await expect(fetch(webUrl)).rejects.toThrow();
    expect(output.join('\n')).not.toContain('stopped after an error');
    expect(output.join('\n')).not.toContain('exited unexpectedly');
    console.log(`npm start became ready in ${startSeconds.toFixed(1)} s`);
  });
});
