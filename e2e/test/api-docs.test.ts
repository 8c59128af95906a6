/**
 * docs/api.md's examples, run as a partner would run them (bash + curl + jq, and the graphql-ws snippet under
 * Node) against a real API and worker. A doc example that stops working fails this test.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningApi, startApiServer } from '@seif/api/server';
import { type ApiServices, closeApiServices, createApiServices } from '@seif/api/services';
import { type RunningWorker, startWorker } from '@seif/gpu-worker/worker';
import { assetPath } from '@seif/models';
import { createLogger, generateApiKey, loadConfig, REPO_ROOT } from '@seif/platform';
import { createDatabase, type Database } from '@seif/platform/db';
import { createTestDatabase, freePort, type TestDatabase } from '@seif/platform/testing';

const run = promisify(execFile);

/** The fenced code blocks of a Markdown file, in order, with their language. */
function codeBlocks(markdown: string): { lang: string; code: string }[] {
  return [...markdown.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((match) => ({ lang: match[1] as string, code: match[2] as string }));
}

describe('docs/api.md examples', () => {
  let database: TestDatabase;
  let db: Database;
  let dir: string;
  let api: RunningApi;
  let services: ApiServices;
  let worker: RunningWorker;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    database = await createTestDatabase(inject('postgresAdminUrl'));
    dir = await mkdtemp(path.join(os.tmpdir(), 'seif-docs-'));
    db = createDatabase(database.url);
    const port = await freePort();
    const config = loadConfig({ DATABASE_URL: database.url, SEIF_DATA_DIR: dir, API_PORT: String(port) });
    services = await createApiServices(config, createLogger('api', 'silent'), createDatabase(database.url));
    api = await startApiServer(services, { host: '127.0.0.1', port });
    worker = await startWorker({ config, db: createDatabase(database.url), logger: createLogger('worker', 'silent') }, { metricsPort: 0, pollingIntervalMs: 500 });
    const generated = await generateApiKey();
    await db.tenant.create({ data: { name: 'Docs', apiKeys: { create: { name: 'docs', prefix: generated.prefix, hash: generated.hash, scopes: ['READ', 'WRITE', 'ADMIN'] } } } });
    env = { ...process.env, SEIF_API: api.url, SEIF_KEY: generated.key, PHOTO: await assetPath('photo-woman-portrait') };
  });

  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    if (services) await closeApiServices(services);
    await db?.$disconnect();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('authenticate, upload, follow, download and animate as written', async () => {
    const blocks = codeBlocks(await readFile(path.join(REPO_ROOT, 'docs/api.md'), 'utf8'));
    const shell = blocks.filter((block) => block.lang === 'sh').map((block) => block.code.replace(/^export SEIF_API=.*$/m, ''));
    const js = blocks.find((block) => block.lang === 'js');
    expect(shell).toHaveLength(4);
    expect(js).toBeDefined();
    const bash = (code: string, extra: NodeJS.ProcessEnv = {}) =>
      run('bash', ['-c', `set -euo pipefail\n${code}`], { cwd: dir, env: { ...env, ...extra }, maxBuffer: 16 * 1024 * 1024 });

    const viewer = JSON.parse((await bash(shell[0] as string)).stdout);
    expect(viewer.data.viewer).toEqual({ tenant: { name: 'Docs' }, apiKey: { scopes: ['READ', 'WRITE', 'ADMIN'] } });

    const reconstructionId = (await bash(shell[1] as string)).stdout.trim().split('\n').at(-1) as string;
    expect(Buffer.from(reconstructionId, 'base64url').toString()).toMatch(/^Reconstruction:/);

    // The graphql-ws snippet, as a module next to this test so that it resolves the workspace's packages.
    const script = path.join(REPO_ROOT, 'e2e/test', `.api-docs-${process.pid}.mjs`);
    await writeFile(script, js!.code);
    try {
      const { stdout } = await run(process.execPath, [script], { env: { ...env, RECONSTRUCTION_ID: reconstructionId }, timeout: 240_000 });
      const lines = stdout.trim().split('\n');
      expect(lines.length).toBeGreaterThan(2);
      expect(lines.at(-1)).toMatch(/^SUCCEEDED .*100%/);
    } finally {
      await rm(script, { force: true });
    }

    await bash(shell[2] as string, { RECONSTRUCTION_ID: reconstructionId });
    const glb = await readFile(path.join(dir, 'head.glb'));
    expect(glb.subarray(0, 4).toString()).toBe('glTF');
    const { validateBytes } = await import('gltf-validator');
    expect((await validateBytes(new Uint8Array(glb))).issues.numErrors).toBe(0);

    const animate = JSON.parse((await bash(shell[3] as string, { RECONSTRUCTION_ID: reconstructionId })).stdout);
    expect(animate.data.createAnimation).toMatchObject({ animation: { status: 'QUEUED' }, errors: [] });
    expect(existsSync(script)).toBe(false);
  });
});
