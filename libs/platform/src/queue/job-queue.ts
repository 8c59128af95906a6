/**
 * Public API. The job queue shared by the API (producer) and the GPU worker (consumer): pg-boss 10 in the same
 * PostgreSQL as the data, in its own schema (`pgboss`, created by start()).
 *
 * pg-boss 10.x and not 11+: pg-boss 11 requires Node 22, and this project runs on Node 20.
 *
 * What it adds to pg-boss: payload validation against src/queue/jobs.ts on both sides, enqueue inside the
 * caller's transaction, idempotency keys, one dead-letter queue per job queue, per-queue retry and expiry
 * policies, a worker loop that never dies (src/queue/worker.ts), cancel by job id and queue position.
 */
import { createHash } from 'node:crypto';
import PgBoss from 'pg-boss';
import type { z } from 'zod';
import {
  assertJobId,
  assertQueue,
  assertSchemaName,
  assertWorkQueue,
  checkConcurrency,
  checkEnqueueOptions,
  deadLetterQueue,
  type EnqueueOptions,
  parsePayload,
  type WorkQueueName,
} from './attorney.js';
import { JOB_QUEUE_ERROR_CODES, JobQueueError, rethrowDatabaseError } from './errors.js';
import { JOB_PAYLOADS, QUEUES, type QueueName } from './jobs.js';
import * as sql from './sql.js';
import { type JobHandler, type JobWorkerError, Worker, WORKER_POLICY } from './worker.js';

export type JobPayload<Q extends WorkQueueName> = z.infer<(typeof JOB_PAYLOADS)[Q extends `${infer B extends QueueName}.dlq` ? B : Q & QueueName]>;

export interface QueuePolicy {
  retryLimit: number;
  retryDelay: number;
  retryBackoff: boolean;
  expireInSeconds: number;
}

/**
 * Defaults per queue; enqueue() options override them per job.
 * - expireInSeconds is how long a job may stay active before its worker is presumed dead (pg-boss 10 has no
 *   heartbeat): longer than the slowest honest run (a `full` reconstruction on 2 CPU cores takes minutes),
 *   short enough that a SIGKILLed worker's job is retried the same hour.
 * - Two retries with exponential back-off from 10 s: a crash caused by the input itself fails three times and
 *   lands in the dead-letter queue within about a minute, while a worker restart is ridden out.
 */
export const QUEUE_POLICIES: Readonly<Record<QueueName, Readonly<QueuePolicy>>> = Object.freeze({
  [QUEUES.RECONSTRUCT]: Object.freeze({ retryLimit: 2, retryDelay: 10, retryBackoff: true, expireInSeconds: 30 * 60 }),
  [QUEUES.ANIMATE]: Object.freeze({ retryLimit: 2, retryDelay: 10, retryBackoff: true, expireInSeconds: 10 * 60 }),
});

/** Dead-letter consumers only mark the row FAILED: quick, so a short expiry; retried a few times for outages. */
export const DEAD_LETTER_POLICY: Readonly<QueuePolicy> = Object.freeze({ retryLimit: 5, retryDelay: 5, retryBackoff: true, expireInSeconds: 60 });

export const JOB_QUEUE_DEFAULTS = Object.freeze({
  SCHEMA: 'pgboss',
  /** Connections for pg-boss's pool: one fetch per worker slot plus maintenance; the API needs few. */
  MAX_CONNECTIONS: 4,
  /**
   * How often expired jobs are retried (pg-boss maintenance). Added to expireInSeconds, this bounds how late a
   * dead worker's job restarts. One instance runs it per interval (pg-boss takes a lock).
   */
  MAINTENANCE_INTERVAL_SECONDS: 30,
  STOP_TIMEOUT_MS: 30_000,
});

export interface JobQueueOptions {
  connectionString: string;
  /** PostgreSQL schema for pg-boss's tables; default `pgboss`. */
  schema?: string;
  maxConnections?: number;
  maintenanceIntervalSeconds?: number;
  /** Idle polling of workers; at least 500 ms. */
  pollingIntervalMs?: number;
  /** Overrides of QUEUE_POLICIES (tests use short expiries). */
  policies?: Partial<Record<QueueName, Partial<QueuePolicy>>>;
  /** Run pg-boss maintenance (expiry, archive) in this process; default true. Any one process suffices. */
  supervise?: boolean;
  /** Errors from worker loops, jobs and pg-boss itself. Default: console.error. Never rethrown. */
  onError?: (error: Error) => void;
}

export interface WorkOptions {
  /** Jobs run at once by this worker (each slot polls on its own); default 1. */
  concurrency?: number;
  pollingIntervalMs?: number;
  /** Errors of this worker; default the queue's onError. */
  onError?: (error: JobWorkerError) => void;
}

export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

export interface JobInfo {
  id: string;
  queue: string;
  state: JobState;
  data: unknown;
  /** pg-boss's retry_count: 0 until the job is started again after a failure or expiry. */
  retryCount: number;
  retryLimit: number;
  /** The handler's return value when completed; `{ message, code }` when failed. */
  output: unknown;
  createdOn: Date;
  startedOn: Date | null;
  completedOn: Date | null;
}

/** Fixed namespace for idempotency-key job ids (a random uuid chosen once; changing it breaks dedupe). */
const IDEMPOTENCY_NAMESPACE = '5b0e4d0e-7c43-4d8e-9a55-2d7f3c1f9b61';

/** The job id that `enqueue(queue, payload, { idempotencyKey })` uses: a UUID v5 of queue and key. */
export function jobIdFor(queue: QueueName, idempotencyKey: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(IDEMPOTENCY_NAMESPACE.replaceAll('-', ''), 'hex'))
    .update(`${queue}\n${idempotencyKey}`)
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class JobQueue {
  readonly schema: string;
  readonly #options: JobQueueOptions;
  readonly #policies: Record<QueueName, QueuePolicy>;
  readonly #workers = new Map<string, Worker<unknown>>();
  #boss: PgBoss | undefined;
  #starting: Promise<void> | undefined;

  constructor(options: JobQueueOptions) {
    if (!options?.connectionString) {
      throw new JobQueueError(JOB_QUEUE_ERROR_CODES.INVALID_ARGUMENT, 'JobQueue needs { connectionString }: pass the same DATABASE_URL as Prisma');
    }
    this.#options = options;
    this.schema = assertSchemaName(options.schema ?? JOB_QUEUE_DEFAULTS.SCHEMA);
    this.#policies = Object.fromEntries(
      Object.values(QUEUES).map((queue) => [queue, { ...QUEUE_POLICIES[queue], ...options.policies?.[queue] }]),
    ) as Record<QueueName, QueuePolicy>;
  }

  #onError = (error: Error): void => {
    try {
      (this.#options.onError ?? ((e: Error) => console.error(e)))(error);
    } catch {
      // Hooks never take the queue down.
    }
  };

  /** Creates the pg-boss schema (if missing), every queue and its dead-letter queue. Safe to call again. */
  start(): Promise<void> {
    this.#starting ??= this.#start().catch((error) => {
      this.#starting = undefined;
      throw error;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    // The API and the workers start their queues at once; on a fresh database their createQueue / updateQueue
    // transactions can deadlock, and PostgreSQL aborts one of them (40P01, seen in CI). That one tries again.
    for (let attempt = 1; ; attempt++) {
      try {
        this.#boss = await this.#startOnce();
        return;
      } catch (error) {
        if (attempt >= 3 || (error as { code?: unknown }).code !== '40P01') rethrowDatabaseError('Starting the job queue', error);
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt + Math.random() * 100));
      }
    }
  }

  async #startOnce(): Promise<PgBoss> {
    const boss = new PgBoss({
      connectionString: this.#options.connectionString,
      schema: this.schema,
      max: this.#options.maxConnections ?? JOB_QUEUE_DEFAULTS.MAX_CONNECTIONS,
      application_name: 'seif-queue',
      supervise: this.#options.supervise ?? true,
      maintenanceIntervalSeconds: this.#options.maintenanceIntervalSeconds ?? JOB_QUEUE_DEFAULTS.MAINTENANCE_INTERVAL_SECONDS,
      // No cron: nothing here is scheduled, and the clock-skew monitor would cost a query a minute.
      schedule: false,
    });
    // An EventEmitter 'error' without a listener throws; pg-boss emits maintenance and pool errors here.
    boss.on('error', (error) => this.#onError(error instanceof Error ? error : new Error(String((error as { message?: unknown }).message ?? error))));
    try {
      await boss.start();
      for (const queue of Object.values(QUEUES)) {
        const dlq = deadLetterQueue(queue);
        // The dead-letter queue first: the job table references it (pg-boss dlq_fkey).
        await boss.createQueue(dlq, { name: dlq, ...DEAD_LETTER_POLICY });
        await boss.updateQueue(dlq, { name: dlq, ...DEAD_LETTER_POLICY });
        const policy = { name: queue, ...this.#policies[queue], deadLetter: dlq };
        await boss.createQueue(queue, policy);
        // createQueue leaves an existing queue alone; this applies changed policies.
        await boss.updateQueue(queue, policy);
      }
    } catch (error) {
      await boss.stop({ graceful: false }).catch(() => {});
      throw error;
    }
    return boss;
  }

  #started(): PgBoss {
    if (!this.#boss) throw new JobQueueError(JOB_QUEUE_ERROR_CODES.NOT_STARTED, 'The job queue is not started: await jobQueue.start() first');
    return this.#boss;
  }

  /**
   * Adds a job; returns its id. With `db` the INSERT runs in the caller's transaction (rolled back -> no job).
   * With `idempotencyKey` the id is `jobIdFor(queue, key)` and a repeat returns it without a second job.
   */
  async enqueue<Q extends QueueName>(queue: Q, payload: JobPayload<Q>, options: EnqueueOptions = {}): Promise<string> {
    assertQueue(queue);
    checkEnqueueOptions(options);
    const data = parsePayload(queue, payload);
    const boss = this.#started();
    const id = options.idempotencyKey === undefined ? undefined : jobIdFor(queue, options.idempotencyKey);
    const sendOptions: PgBoss.SendOptions = {
      ...(id ? { id } : {}),
      ...(options.db ? { db: options.db as PgBoss.Db } : {}),
      ...(options.retryLimit !== undefined ? { retryLimit: options.retryLimit } : {}),
      ...(options.retryDelay !== undefined ? { retryDelay: options.retryDelay } : {}),
      ...(options.retryBackoff !== undefined ? { retryBackoff: options.retryBackoff } : {}),
      ...(options.expireInSeconds !== undefined ? { expireInSeconds: options.expireInSeconds } : {}),
      ...(options.priority !== undefined ? { priority: options.priority } : {}),
    };
    let created: string | null;
    try {
      created = await boss.send(queue, data, sendOptions);
    } catch (error) {
      rethrowDatabaseError(`Enqueueing a job on ${queue}`, error);
    }
    if (!options.db) for (const worker of this.#workers.values()) if (worker.queue === queue) worker.notify();
    if (created) return created;
    // ON CONFLICT DO NOTHING: a job with this idempotency key exists already.
    if (id) return id;
    throw new JobQueueError(JOB_QUEUE_ERROR_CODES.DATABASE, `Enqueueing a job on ${queue} inserted nothing; check that JobQueue.start() created the queue`);
  }

  /**
   * Consumes a queue (or its dead-letter queue, `deadLetterQueue(queue)`): payloads are validated first (a
   * mismatch fails the job at once, without retries), then the handler runs; a throw fails the job, which
   * pg-boss retries with back-off and, once retries are spent, moves to the dead-letter queue. Returns the
   * worker id for offWork().
   */
  async work<Q extends WorkQueueName>(queue: Q, handler: JobHandler<JobPayload<Q>>, options: WorkOptions = {}): Promise<string> {
    const payloadQueue = assertWorkQueue(queue);
    if (typeof handler !== 'function') {
      throw new JobQueueError(JOB_QUEUE_ERROR_CODES.INVALID_ARGUMENT, 'work(queue, handler, options) needs a handler: async (job) => { ... }');
    }
    const concurrency = checkConcurrency(options.concurrency);
    const pollingIntervalMs = options.pollingIntervalMs ?? this.#options.pollingIntervalMs ?? WORKER_POLICY.DEFAULT_POLLING_INTERVAL_MS;
    if (!(pollingIntervalMs >= 500)) {
      throw new JobQueueError(JOB_QUEUE_ERROR_CODES.INVALID_ARGUMENT, `pollingIntervalMs must be at least 500 (pg-boss's minimum), got ${pollingIntervalMs}`);
    }
    const worker = new Worker<JobPayload<Q>>({
      boss: this.#started(),
      schema: this.schema,
      queue,
      payloadQueue,
      handler,
      concurrency,
      pollingIntervalMs,
      onError: options.onError ?? this.#onError,
    });
    this.#workers.set(worker.id, worker as Worker<unknown>);
    worker.start();
    return worker.id;
  }

  /** Stops one worker: no new jobs; running ones get `timeoutMs` to finish, then are released to the queue. */
  async offWork(workerId: string, options: { timeoutMs?: number } = {}): Promise<void> {
    const worker = this.#workers.get(workerId);
    if (!worker) return;
    this.#workers.delete(workerId);
    await worker.stop(options.timeoutMs ?? JOB_QUEUE_DEFAULTS.STOP_TIMEOUT_MS);
  }

  /**
   * Cancels a job that has not finished; returns false when it already ended or does not exist. A running
   * handler is not interrupted: the worker should also see the cancellation on the row (the row is the truth).
   */
  async cancel(jobId: string): Promise<boolean> {
    assertJobId(jobId);
    const boss = this.#started();
    try {
      const { rows } = await boss.getDb().executeSql(sql.findJobQueue(this.schema), [jobId]);
      const name = rows[0]?.name as string | undefined;
      if (!name) return false;
      const result = (await boss.cancel(name, jobId)) as unknown as { affected?: number };
      return Number(result?.affected ?? 0) > 0;
    } catch (error) {
      rethrowDatabaseError(`Cancelling job ${jobId}`, error);
    }
  }

  /** Jobs that will be fetched before this one (0: next); null when the job is not waiting (running, ended, unknown). */
  async queuePosition(queue: QueueName, jobId: string): Promise<number | null> {
    assertQueue(queue);
    assertJobId(jobId);
    try {
      const { rows } = await this.#started().getDb().executeSql(sql.queuePosition(this.schema), [queue, jobId]);
      return rows.length ? Number(rows[0].ahead) : null;
    } catch (error) {
      rethrowDatabaseError(`Reading the queue position of job ${jobId}`, error);
    }
  }

  /** A job's state and output, or null (unknown, or archived by pg-boss after its retention). */
  async getJob(queue: WorkQueueName, jobId: string): Promise<JobInfo | null> {
    assertWorkQueue(queue);
    assertJobId(jobId);
    let job: PgBoss.JobWithMetadata<unknown> | null;
    try {
      job = await this.#started().getJobById<unknown>(queue, jobId);
    } catch (error) {
      rethrowDatabaseError(`Reading job ${jobId}`, error);
    }
    if (!job) return null;
    return {
      id: job.id,
      queue: job.name,
      state: job.state,
      data: job.data,
      retryCount: job.retryCount,
      retryLimit: job.retryLimit,
      output: job.output ?? null,
      createdOn: job.createdOn,
      startedOn: job.startedOn ?? null,
      completedOn: job.completedOn ?? null,
    };
  }

  /** Stops every worker (running jobs get `timeoutMs`, then are released) and closes pg-boss's pool. */
  async stop(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? JOB_QUEUE_DEFAULTS.STOP_TIMEOUT_MS;
    await Promise.all([...this.#workers.keys()].map((id) => this.offWork(id, { timeoutMs })));
    const boss = this.#boss;
    this.#boss = undefined;
    this.#starting = undefined;
    if (boss) await boss.stop({ graceful: false, wait: true });
  }
}
