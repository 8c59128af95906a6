/**
 * Real PostgreSQL for tests: one throwaway embedded cluster per test run (vitest globalSetup), one fresh
 * database per test file. Set SEIF_TEST_DATABASE_URL (a server URL whose user may CREATE DATABASE) to run
 * against an external server instead.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dropDatabase, ensureDatabase, startEmbeddedPostgres } from '../db/embedded-postgres.js';
import { applyMigrations } from '../db/migrations.js';

/** A TCP port that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TestCluster {
  adminUrl: string;
  stop(): Promise<void>;
}

export async function startTestCluster(): Promise<TestCluster> {
  if (process.env.SEIF_TEST_DATABASE_URL) {
    return { adminUrl: process.env.SEIF_TEST_DATABASE_URL, stop: async () => {} };
  }
  // Under os.tmpdir(), which the `postgres` user can traverse when we run as root.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'seif-test-pg-'));
  // mkdtemp makes the directory 0700; the cluster runs as `postgres` when we are root and must enter it.
  await chmod(dir, 0o755);
  const cluster = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data'), port: await freePort(), database: 'postgres' });
  return {
    adminUrl: cluster.adminUrl,
    stop: async () => {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A new, migrated database on the test cluster. */
export async function createTestDatabase(adminUrl: string, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `seif_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await ensureDatabase(adminUrl, name);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  if (options.migrate ?? true) await applyMigrations(url.toString());
  return { url: url.toString(), name, drop: () => dropDatabase(adminUrl, name) };
}
