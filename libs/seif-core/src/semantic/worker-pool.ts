/**
 * Internal to the semantic field (semantic-field.ts): spreads SemanticField.queryAsync batches over the cores.
 *
 * The calling thread and (cores - 1) worker threads each hold a replica of the field (the mesh is small: copying
 * it once per worker is cheaper than any sharing scheme) and pull fixed chunks of a batch from a shared atomic
 * counter, so a core that got cheap chunks (far from the face: code 0 at once) takes more of them. Points and codes
 * travel through SharedArrayBuffers: no copy per worker, no transfer. Chunks are contiguous runs of the batch,
 * so each thread still sees grid-ordered points and its voxel cache (candidate-grid.ts) stays warm.
 *
 * Workers start on the first parallel batch and join once their replica is built (a few hundred ms: the TypeScript
 * loader compiles the module graph); until then, and whenever a worker fails, the calling thread does the work
 * alone, so results depend on workers only by rounding at exact ties (semantic-field.ts queryAsync). Workers are
 * unref'd while idle (ref'd only while a batch waits for them): an idle pool does not keep the process alive.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SemanticFieldOptions, SemanticSurface } from './semantic-field.js';

/** Points per chunk: 8 occupancy bricks (8^3 samples each), enough to amortise a claim, small enough to balance. */
export const CHUNK_POINTS = 4096;

export type WorkerRequest =
  | { type: 'init'; id: number; surface: SemanticSurface; options: SemanticFieldOptions }
  | { type: 'drop'; id: number }
  | { type: 'run'; id: number; job: number; points: SharedArrayBuffer; codes: SharedArrayBuffer; counter: SharedArrayBuffer; count: number };

export type WorkerReply =
  | { type: 'ready'; id: number }
  | { type: 'done'; job: number; chunks: number }
  | { type: 'failed'; job: number; id: number; message: string };

/** What the pool needs from a field: its id, how to build a replica, how to run a chunk on this thread. */
export interface PooledField {
  readonly poolId: number;
  replica(): { surface: SemanticSurface; options: SemanticFieldOptions };
  query(points: ArrayLike<number>, out: Float32Array): Float32Array;
}

interface PoolWorker {
  worker: Worker;
  /** Fields whose replica this worker has built. */
  ready: Set<number>;
  /** Fields sent (init posted). */
  sent: Set<number>;
  /** The job this worker is running and how to settle it. */
  pending: { job: number; resolve: () => void; reject: (error: Error) => void } | undefined;
  alive: boolean;
}

/** The worker script: loads semantic-worker.ts through tsx when running from source, else the .js beside us. */
function workerSource(): string {
  const here = import.meta.url;
  const entry = here.replace(/worker-pool\.(ts|js)$/, 'semantic-worker.$1');
  if (!here.endsWith('.ts')) return `import(${JSON.stringify(entry)});`;
  // Workers do not inherit loaders registered in-process (bin/seif.js, vitest), and on Node 20 tsx's --import
  // entry registers itself on the main thread only: register tsx's ESM hooks in the worker through its API, then
  // load the entry. Resolved here, where tsx is a dependency (a worker resolves from the working directory), and
  // through its package.json: require.resolve would pick the CommonJS build, which cannot find its hooks from an
  // eval'd worker.
  const packageJson = createRequire(here).resolve('tsx/package.json');
  const api = (JSON.parse(readFileSync(packageJson, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api']!.import.default;
  const tsx = new URL(api, pathToFileURL(packageJson)).href;
  return `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
}

export class SemanticWorkerPool {
  private readonly workers: PoolWorker[] = [];
  private points = new SharedArrayBuffer(0);
  private codes = new SharedArrayBuffer(0);
  private readonly counter = new SharedArrayBuffer(4);
  private job = 0;
  /** Batches run one at a time (they share the buffers above). */
  private queue: Promise<unknown> = Promise.resolve();
  private broken = false;

  constructor(readonly size: number) {}

  /** Number of worker threads (the calling thread is one more). */
  get workerCount(): number {
    return this.workers.filter((w) => w.alive).length;
  }

  /** Workers holding a ready replica of field `id` (tests, benchmarks). */
  readyWorkers(id: number): number {
    return this.workers.filter((w) => w.alive && w.ready.has(id)).length;
  }

  /** Codes of `points` into `out` with every ready worker helping; the calling thread works too. */
  run(field: PooledField, points: ArrayLike<number>, out: Float32Array): Promise<Float32Array> {
    const result = this.queue.then(() => this.runNow(field, points, out));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Frees the workers' replicas of a field. */
  drop(id: number): void {
    for (const w of this.workers) {
      if (w.alive && w.sent.delete(id)) {
        w.ready.delete(id);
        w.worker.postMessage({ type: 'drop', id } satisfies WorkerRequest);
      }
    }
  }

  /** Ends the worker threads (tests, shutdown). Later batches start new ones. */
  async terminate(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((w) => {
      w.alive = false;
      w.pending?.reject(new Error('semantic field worker terminated'));
      w.pending = undefined;
      return w.worker.terminate();
    }));
  }

  private start(): void {
    if (this.broken) return;
    while (this.workers.length < this.size) {
      let worker: Worker;
      try {
        worker = new Worker(workerSource(), { eval: true });
      } catch (error) {
        this.broken = true;
        process.emitWarning(`semantic field workers unavailable, querying on one thread: ${error instanceof Error ? error.message : String(error)}`, 'SeifWarning');
        return;
      }
      const w: PoolWorker = { worker, ready: new Set(), sent: new Set(), pending: undefined, alive: true };
      worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') w.ready.add(reply.id);
        else if (w.pending && reply.job === w.pending.job) {
          const { resolve, reject } = w.pending;
          w.pending = undefined;
          worker.unref();
          if (reply.type === 'done') resolve();
          else reject(new Error(`semantic field worker failed: ${reply.message}`));
        }
      });
      const fail = (error: Error) => {
        if (!w.alive) return;
        w.alive = false;
        w.pending?.reject(error);
        w.pending = undefined;
        // A worker that cannot even start (no loader, no threads) will not start next time either. Say so once:
        // codes stay right (the calling thread does all the work), only the speed-up is lost.
        if (w.ready.size === 0 && !this.broken) {
          this.broken = true;
          process.emitWarning(`semantic field workers unavailable, querying on one thread: ${error.message}`, 'SeifWarning');
        }
        const i = this.workers.indexOf(w);
        if (i >= 0) this.workers.splice(i, 1);
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`semantic field worker exited with code ${code}`)));
      // After the listeners: adding a 'message' listener refs the worker again (Node 20), and a ref'd idle pool
      // kept every process that ever used queryAsync from exiting.
      worker.unref();
      this.workers.push(w);
    }
  }

  private async runNow(field: PooledField, points: ArrayLike<number>, out: Float32Array): Promise<Float32Array> {
    const count = points.length / 3;
    this.start();
    for (const w of this.workers) {
      if (w.alive && !w.sent.has(field.poolId)) {
        w.sent.add(field.poolId);
        const { surface, options } = field.replica();
        w.worker.postMessage({ type: 'init', id: field.poolId, surface, options } satisfies WorkerRequest);
      }
    }
    const helpers = this.workers.filter((w) => w.alive && w.ready.has(field.poolId));
    if (helpers.length === 0) return field.query(points, out);

    if (this.points.byteLength < 12 * count) {
      this.points = new SharedArrayBuffer(12 * count);
      this.codes = new SharedArrayBuffer(12 * count);
    }
    const sharedPoints = new Float32Array(this.points, 0, 3 * count);
    const sharedCodes = new Float32Array(this.codes, 0, 3 * count);
    sharedPoints.set(points);
    const counter = new Int32Array(this.counter);
    Atomics.store(counter, 0, 0);
    const job = ++this.job;
    const finished = helpers.map((w) => new Promise<void>((resolve, reject) => {
      w.pending = { job, resolve, reject };
      // Ref'd while it owes us chunks: otherwise a script whose only work left is this await would just exit.
      w.worker.ref();
      w.worker.postMessage({ type: 'run', id: field.poolId, job, points: this.points, codes: this.codes, counter: this.counter, count } satisfies WorkerRequest);
    }));
    runChunks(field, sharedPoints, sharedCodes, counter, count);
    // allSettled, not all: the buffers must be quiet before they are reused, even after a failure.
    const settled = await Promise.allSettled(finished);
    // A worker failed or died mid-batch: its chunks may be unwritten. Redo the batch here (same codes, slower).
    if (settled.some((r) => r.status === 'rejected')) field.query(sharedPoints, sharedCodes);
    out.set(sharedCodes);
    return out;
  }
}

/** Claims chunks of the batch until none are left; shared by the calling thread and the workers. */
export function runChunks(field: { query(points: Float32Array, out: Float32Array): Float32Array }, points: Float32Array, codes: Float32Array, counter: Int32Array, count: number): number {
  const chunks = Math.ceil(count / CHUNK_POINTS);
  let done = 0;
  for (;;) {
    const chunk = Atomics.add(counter, 0, 1);
    if (chunk >= chunks) return done;
    const start = chunk * CHUNK_POINTS, end = Math.min(count, start + CHUNK_POINTS);
    field.query(points.subarray(3 * start, 3 * end), codes.subarray(3 * start, 3 * end));
    done++;
  }
}

let shared: SemanticWorkerPool | undefined;

/** The process-wide pool: one worker per core beyond the calling thread's (none on a single core). */
export function semanticWorkerPool(): SemanticWorkerPool {
  shared ??= new SemanticWorkerPool(Math.max(0, availableParallelism() - 1));
  return shared;
}
