/**
 * Prisma's schema engine, run as WebAssembly over our own PostgreSQL connection.
 *
 * Why not `prisma migrate`: the Prisma 7 CLI downloads a native schema-engine binary on every migrate command,
 * and this project installs from the npm registry only. Prisma publishes the same engine compiled to wasm
 * (@prisma/schema-engine-wasm) that talks to the database through a driver adapter (@prisma/adapter-pg). We
 * drive it directly, so migrations are generated, diffed and applied by Prisma's own code and recorded in
 * `_prisma_migrations` exactly as `prisma migrate deploy` would on a connected machine.
 *
 * The package is built for bundlers (it imports a .wasm file as a module), so we instantiate the module
 * ourselves and hand it the JavaScript glue as its import object, which is what a bundler would do.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory, ColumnTypeEnum } from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { quoteIdentifier } from './embedded-postgres.js';

const require = createRequire(import.meta.url);

let engineClass: Promise<typeof SchemaEngine> | undefined;

/** The engine reports a Rust panic's message here before it aborts; we attach it to the thrown error. */
let lastPanicMessage: string | undefined;
(globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }).PRISMA_WASM_PANIC_REGISTRY ??= {
  set_message(message: string) {
    lastPanicMessage = message;
  },
};

export function takeSchemaEnginePanic(): string | undefined {
  const message = lastPanicMessage;
  lastPanicMessage = undefined;
  return message;
}

async function loadEngineClass(): Promise<typeof SchemaEngine> {
  const glue = await import('@prisma/schema-engine-wasm/schema_engine_bg');
  const wasmPath = require.resolve('@prisma/schema-engine-wasm').replace(/schema_engine\.js$/, 'schema_engine_bg.wasm');
  const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), { './schema_engine_bg.js': glue });
  const bindings = glue as unknown as { __wbg_set_wasm(exports: WebAssembly.Exports): void };
  bindings.__wbg_set_wasm(instance.exports);
  (instance.exports as { __wbindgen_start?: () => void }).__wbindgen_start?.();
  return (glue as unknown as { SchemaEngine: typeof SchemaEngine }).SchemaEngine;
}

/**
 * Explicit connection fields rather than a connection string: the adapter opens its shadow database by
 * spreading its config and overriding `database`, and node-postgres lets a connection string win over
 * `database`, which would point the shadow operations at the real database.
 */
export function poolConfigFromUrl(databaseUrl: string) {
  const url = new URL(databaseUrl);
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new Error(`DATABASE_URL must be a postgresql:// URL, got ${url.protocol}`);
  }
  const sslmode = url.searchParams.get('sslmode');
  return {
    host: decodeURIComponent(url.hostname) || 'localhost',
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
    ...(sslmode && sslmode !== 'disable' ? { ssl: { rejectUnauthorized: sslmode === 'verify-full' } } : {}),
  };
}

type PoolConfig = ReturnType<typeof poolConfigFromUrl>;

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;
const CHAR_COLUMNS = Symbol('charColumns');

interface PgQueryable {
  performIO(query: unknown): Promise<pg.QueryResult>;
  queryRaw(query: unknown): Promise<{ columnTypes: number[]; rows: unknown[] }>;
  startTransaction?(...args: unknown[]): Promise<PgQueryable>;
}

/**
 * PostgreSQL's catalogs use the internal one-byte type "char" (OID 18: pg_class.relkind,
 * pg_constraint.contype), which the pg adapter does not map, so the engine cannot read a schema ("Column type
 * 'char' could not be deserialized"). The engine wants those columns as Character. We relabel them as text
 * for the adapter's own mapping, remember their positions on the rows array (which the adapter passes
 * through), and set their type to Character afterwards. Only the schema engine's adapters are patched.
 */
function mapCharColumns<T extends object>(queryable: T): T {
  const target = queryable as unknown as PgQueryable;
  const performIO = target.performIO.bind(target);
  const queryRaw = target.queryRaw.bind(target);
  target.performIO = async (query) => {
    const result = await performIO(query);
    const charColumns: number[] = [];
    result.fields?.forEach((field, index) => {
      if (field.dataTypeID === PG_CHAR_OID) {
        field.dataTypeID = PG_TEXT_OID;
        charColumns.push(index);
      }
    });
    if (charColumns.length > 0) Object.defineProperty(result.rows, CHAR_COLUMNS, { value: charColumns });
    return result;
  };
  target.queryRaw = async (query) => {
    const result = await queryRaw(query);
    const charColumns = (result.rows as unknown as { [CHAR_COLUMNS]?: number[] })[CHAR_COLUMNS] ?? [];
    for (const index of charColumns) result.columnTypes[index] = ColumnTypeEnum.Character;
    return result;
  };
  if (target.startTransaction) {
    const startTransaction = target.startTransaction.bind(target);
    target.startTransaction = async (...args) => mapCharColumns(await startTransaction(...args));
  }
  return queryable;
}

/**
 * The pg adapter factory, with our own shadow database handling: the stock one leaves its shadow pool without
 * an error listener, so the engine terminating the shadow connections crashes the process, and it drops the
 * shadow database without FORCE. Shadow databases get a recognisable name so a leftover is easy to spot.
 */
class MigrationAdapterFactory {
  readonly provider = 'postgres' as const;
  readonly adapterName: string;
  readonly #main: PrismaPg;

  constructor(readonly config: PoolConfig) {
    this.#main = new PrismaPg(this.config, { onPoolError: () => {} });
    this.adapterName = this.#main.adapterName;
  }

  /** Adapters handed to the engine; the engine never disposes them, and an open session keeps Prisma's
   * migration advisory lock, which would make the next engine wait 10 s for it. */
  readonly #open: { dispose(): Promise<void> }[] = [];

  async connect() {
    const adapter = await this.#main.connect();
    this.#open.push(adapter);
    return mapCharColumns(adapter);
  }

  async dispose(): Promise<void> {
    await Promise.allSettled(this.#open.splice(0).map((adapter) => adapter.dispose()));
  }

  async connectToShadowDb() {
    const name = `seif_shadow_${randomUUID().replaceAll('-', '')}`;
    await runAdminStatement(this.config, `CREATE DATABASE ${quoteIdentifier(name)}`);
    const adapter = await new PrismaPg({ ...this.config, database: name }, { onPoolError: () => {} }).connect();
    const release = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await release();
      await runAdminStatement(this.config, `DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
    };
    return mapCharColumns(adapter);
  }
}

async function runAdminStatement(config: PoolConfig, sql: string): Promise<void> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface SchemaFile {
  path: string;
  content: string;
}

/**
 * Runs `work` with an engine on `databaseUrl` loaded with the given schema files, then frees the engine and
 * closes its connections. A Rust panic inside the engine is rethrown with its message.
 */
export async function withSchemaEngine<T>(
  databaseUrl: string,
  schema: SchemaFile[],
  work: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  engineClass ??= loadEngineClass();
  const Engine = await engineClass;
  const factory = new MigrationAdapterFactory(poolConfigFromUrl(databaseUrl));
  const engine = await Engine.new(
    { datamodels: schema.map((file) => [file.path, file.content] as [string, string]) },
    () => {},
    bindMigrationAwareSqlAdapterFactory(factory),
  );
  try {
    return await work(engine);
  } catch (error) {
    const panic = takeSchemaEnginePanic();
    throw panic ? new Error(`Prisma schema engine panicked: ${panic}`, { cause: error }) : error;
  } finally {
    engine.free();
    await factory.dispose();
  }
}

export const NO_FILTERS = { externalTables: [] as string[], externalEnums: [] as string[] };
