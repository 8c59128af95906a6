/**
 * What every tool here starts from: a throwaway migrated database (on the vitest cluster, or on an embedded
 * cluster of its own when run from the command line), a data directory, a tenant with a READ+WRITE key and a
 * subject; API instances and workers as child processes (so they can be SIGKILLed, and so their death is
 * observable); and the client side: GraphQL over HTTP, the multipart upload, graphql-ws subscriptions.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateApiKey } from '@seif/platform';
import { createDatabase, type Database } from '@seif/platform/db';
import { createTestDatabase, freePort, startTestCluster, type TestDatabase } from '@seif/platform/testing';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const FIXTURES = Object.freeze({ api: path.join(HERE, 'fixtures/api-process.ts'), worker: path.join(HERE, 'fixtures/worker-process.ts') });

export const CREATE_RECONSTRUCTION = `mutation($input: CreateReconstructionInput!) {
  createReconstruction(input: $input) { reconstruction { id status } errors { code message } }
}`;

export interface Environment {
  databaseUrl: string;
  dataDir: string;
  db: Database;
  key: string;
  tenantId: string;
  subjectId: string;
  /** Global id of the subject (what the API takes). */
  subjectGlobalId: string;
  close(): Promise<void>;
}

/** `adminUrl`: a cluster to create the database on (vitest's); without it an embedded cluster is started. */
export async function createEnvironment(adminUrl?: string): Promise<Environment> {
  const cluster = adminUrl ? undefined : await startTestCluster();
  let database: TestDatabase | undefined;
  try {
    database = await createTestDatabase(adminUrl ?? cluster!.adminUrl);
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'seif-bench-'));
    const db = createDatabase(database.url);
    const generated = await generateApiKey();
    const tenant = await db.tenant.create({ data: { name: 'Bench', apiKeys: { create: { name: 'bench', prefix: generated.prefix, hash: generated.hash, scopes: ['READ', 'WRITE'] } } } });
    const subject = await db.subject.create({ data: { tenantId: tenant.id, displayName: 'Bench subject' } });
    const drop = database.drop;
    return {
      databaseUrl: database.url,
      dataDir,
      db,
      key: generated.key,
      tenantId: tenant.id,
      subjectId: subject.id,
      subjectGlobalId: toGlobalId('Subject', subject.id),
      close: async () => {
        await db.$disconnect().catch(() => {});
        await drop().catch(() => {});
        await cluster?.stop().catch(() => {});
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await database?.drop().catch(() => {});
    await cluster?.stop().catch(() => {});
    throw error;
  }
}

/** The API's global ids: base64url of `Type:uuid` (apps/api/src/relay.ts). */
export function toGlobalId(type: string, id: string): string {
  return Buffer.from(`${type}:${id}`).toString('base64url');
}

export function fromGlobalId(globalId: string): string {
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

export interface ChildHandle {
  child: ChildProcess;
  /** The child's first "ready" line (after the word). */
  ready: Promise<string>;
  exited: Promise<number | null>;
  alive(): boolean;
}

/** Starts a fixture under tsx; `ready` resolves on its "ready" line and rejects if it exits first. */
export function startChild(fixture: string, env: Record<string, string>): ChildHandle {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve((exitCode = code ?? (signal ? -1 : null)))));
  const ready = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('ready')) resolve(line.slice(6));
    });
    void exited.then((code) => reject(new Error(`${path.basename(fixture)} exited before it was ready (${code}): ${stderr}`)));
  });
  ready.catch(() => {});
  return { child, ready, exited, alive: () => exitCode === undefined };
}

export async function stopChild(handle: ChildHandle | undefined, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (!handle || !handle.alive()) return;
  handle.child.kill(signal);
  const timer = setTimeout(() => handle.child.kill('SIGKILL'), graceMs);
  await handle.exited;
  clearTimeout(timer);
}

export interface ApiProcessOptions {
  port?: number;
  /** Short queue policies for the fault script (see fixtures/api-process.ts). */
  expireSeconds?: number;
  retryLimit?: number;
}

export async function startApiProcess(env: Environment, options: ApiProcessOptions = {}): Promise<{ handle: ChildHandle; url: string; port: number }> {
  const port = options.port ?? (await freePort());
  const handle = startChild(FIXTURES.api, {
    DATABASE_URL: env.databaseUrl,
    SEIF_DATA_DIR: env.dataDir,
    API_PORT: String(port),
    ...(options.expireSeconds ? { BENCH_EXPIRE_SECONDS: String(options.expireSeconds), BENCH_RETRY_LIMIT: String(options.retryLimit ?? 10) } : {}),
  });
  const url = await handle.ready;
  return { handle, url, port };
}

/** POSTs a GraphQL request; never throws for HTTP statuses (the caller judges them). */
export async function gqlRequest(url: string, key: string | undefined, body: unknown, timeoutMs = 30_000): Promise<{ status: number; json: any; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return readResponse(response);
}

export interface UploadOptions {
  subjectId: string;
  bytes: Uint8Array;
  mime?: string;
  filename?: string;
  idempotencyKey?: string;
  options?: Record<string, unknown>;
  timeoutMs?: number;
}

/** Status, body text and the body as JSON when it parses (undefined otherwise): what every check looks at. */
export async function readResponse(response: Response): Promise<{ status: number; json: any; text: string }> {
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

/** The GraphQL multipart request spec's createReconstruction (as e2e/test/reconstruction-flow.test.ts). */
export async function uploadPhoto(url: string, key: string, upload: UploadOptions): Promise<{ status: number; json: any; text: string }> {
  const form = new FormData();
  const input = { subjectId: upload.subjectId, photo: null, ...(upload.options ? { options: upload.options } : {}), ...(upload.idempotencyKey ? { idempotencyKey: upload.idempotencyKey } : {}) };
  form.set('operations', JSON.stringify({ query: CREATE_RECONSTRUCTION, variables: { input } }));
  form.set('map', JSON.stringify({ 0: ['variables.input.photo'] }));
  form.set('0', new Blob([upload.bytes as Uint8Array<ArrayBuffer>], { type: upload.mime ?? 'image/jpeg' }), upload.filename ?? 'photo.jpg');
  const response = await fetch(url, { method: 'POST', headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${key}` }, body: form, signal: AbortSignal.timeout(upload.timeoutMs ?? 60_000) });
  return readResponse(response);
}

/** Every file under `dir` (object storage of the local driver), relative paths. */
export async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A seeded PRNG (mulberry32) so a fault run can be replayed with --seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A plain Markdown/terminal table. */
export function table(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]!);
  const cells = [keys, ...rows.map((row) => keys.map((k) => (typeof row[k] === 'number' ? formatNumber(row[k] as number) : String(row[k] ?? ''))))];
  const widths = keys.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(cells[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toFixed(3);
}
