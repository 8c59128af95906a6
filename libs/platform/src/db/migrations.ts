/**
 * Migrations in Prisma's layout (prisma/migrations/<timestamp>_<name>/migration.sql + migration_lock.toml),
 * generated, checked and applied through Prisma's schema engine (see schema-engine.ts for why not the CLI).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MigrationList } from '@prisma/schema-engine-wasm';
import pg from 'pg';
import { NO_FILTERS, type SchemaFile, withSchemaEngine } from './schema-engine.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const DEFAULT_SCHEMA_PATH = path.join(repoRoot, 'prisma/schema.prisma');
export const DEFAULT_MIGRATIONS_DIR = path.join(repoRoot, 'prisma/migrations');

export interface MigrationPaths {
  schemaPath?: string;
  migrationsDir?: string;
}

async function readSchema(schemaPath = DEFAULT_SCHEMA_PATH): Promise<SchemaFile[]> {
  return [{ path: schemaPath, content: await readFile(schemaPath, 'utf8') }];
}

export async function loadMigrationList(migrationsDir = DEFAULT_MIGRATIONS_DIR): Promise<MigrationList> {
  const entries = existsSync(migrationsDir) ? await readdir(migrationsDir, { withFileTypes: true }) : [];
  const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  const lockPath = path.join(migrationsDir, 'migration_lock.toml');
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? await readFile(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      names.map(async (name) => {
        const file = path.join(migrationsDir, name, 'migration.sql');
        const content = existsSync(file)
          ? { tag: 'ok' as const, value: await readFile(file, 'utf8') }
          : { tag: 'error' as const, value: `${file} is missing` };
        return { path: name, migrationFile: { path: 'migration.sql', content } };
      }),
    ),
  };
}

/** Applies every migration not yet recorded in `_prisma_migrations`; returns the names it applied. */
export async function applyMigrations(databaseUrl: string, paths: MigrationPaths = {}): Promise<string[]> {
  const migrationsList = await loadMigrationList(paths.migrationsDir);
  const result = await withSchemaEngine(databaseUrl, await readSchema(paths.schemaPath), (engine) =>
    engine.applyMigrations({ migrationsList, filters: NO_FILTERS }),
  );
  return result.appliedMigrationNames;
}

export interface SchemaDrift {
  inSync: boolean;
  /** SQL that would bring the migrations up to schema.prisma; empty when in sync. */
  script: string;
}

/**
 * Compares the migrations (replayed on a temporary shadow database on `databaseUrl`'s server) with
 * schema.prisma. The test suite fails when they disagree, so nobody edits one without the other.
 */
export async function diffSchemaAgainstMigrations(databaseUrl: string, paths: MigrationPaths = {}): Promise<SchemaDrift> {
  const schema = await readSchema(paths.schemaPath);
  const migrations = await loadMigrationList(paths.migrationsDir);
  const result = await withSchemaEngine(databaseUrl, schema, (engine) =>
    engine.diff({
      from: { tag: 'migrations', ...migrations },
      to: { tag: 'schemaDatamodel', files: schema },
      script: true,
      exitCode: true,
      filters: NO_FILTERS,
    }),
  );
  const inSync = result.exitCode === 0;
  return { inSync, script: inSync ? '' : (result.stdout ?? '').trim() };
}

/**
 * Writes prisma/migrations/<timestamp>_<name>/migration.sql with the SQL that takes the existing migrations
 * to schema.prisma. Returns undefined when there is nothing to migrate.
 */
export async function createMigration(
  databaseUrl: string,
  name: string,
  paths: MigrationPaths = {},
): Promise<string | undefined> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`Migration name must be snake_case ([a-z0-9_]+), got "${name}"`);
  const migrationsDir = paths.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  await ensureLockfile(migrationsDir);
  const drift = await diffSchemaAgainstMigrations(databaseUrl, paths);
  if (drift.inSync) return undefined;
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const directory = path.join(migrationsDir, `${stamp}_${name}`);
  await mkdir(directory, { recursive: true });
  const target = path.join(directory, 'migration.sql');
  await writeFile(`${target}.tmp`, `${drift.script}\n`);
  await rename(`${target}.tmp`, target);
  return directory;
}

/** Prisma's lockfile names the connector; the engine refuses to read a migrations folder without it. */
async function ensureLockfile(migrationsDir: string): Promise<void> {
  const lock = path.join(migrationsDir, 'migration_lock.toml');
  if (existsSync(lock)) return;
  await mkdir(migrationsDir, { recursive: true });
  await writeFile(lock, '# Written by Prisma\'s layout; keep it in version control.\nprovider = "postgresql"\n');
}

/** Name of the last migration recorded as finished, or undefined on an empty database. */
export async function latestAppliedMigration(client: pg.ClientBase | pg.Pool): Promise<string | undefined> {
  const table = await client.query(`SELECT to_regclass('public._prisma_migrations') AS name`);
  if (!table.rows[0]?.name) return undefined;
  const result = await client.query(
    `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL
     ORDER BY migration_name DESC LIMIT 1`,
  );
  return result.rows[0]?.migration_name;
}
