/**
 * The poll loop behind JobQueue.work(): fetch one job per free slot, validate its payload, run the handler,
 * complete or fail it. The loop never dies: every error is tagged with the queue, the worker id and the job,
 * passed to `onError`, and followed by a back-off.
 *
 * Why not pg-boss's own work(): in pg-boss 10 it does not await complete()/fail() (a database hiccup there
 * becomes an unhandled rejection, which ends a Node process), gives the handler no AbortSignal at expiry and
 * cannot fail a malformed payload without spending its retries.
 */
import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import { parsePayload, type WorkQueueName } from './attorney.js';
import { JOB_QUEUE_ERROR_CODES, JobQueueError } from './errors.js';
import type { QueueName } from './jobs.js';
import * as sql from './sql.js';

export interface JobContext<T> {
  id: string;
  queue: WorkQueueName;
  data: T;
  /** 0 on the first run, then 1, 2, ... (pg-boss's retry_count). */
  attempt: number;
  retryLimit: number;
  /**
   * Aborted when the job's expiry passes (it is then presumed dead and will be retried elsewhere, so stop and
   * do not write results) or when stop() gives up waiting. Check it between stages.
   */
  signal: AbortSignal;
  /** On a dead-letter queue: what the original job's last attempt failed with. */
  output: unknown;
}

/** Resolve to complete the job (an object return value is stored as its output); throw to fail it. */
export type JobHandler<T> = (job: JobContext<T>) => Promise<void | object>;

/** An error from a worker loop or a job, tagged with where it happened. Never thrown: passed to onError. */
export class JobWorkerError extends Error {
  override readonly name = 'JobWorkerError';
  constructor(
    message: string,
    readonly queue: string,
    readonly workerId: string,
    readonly jobId: string | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(`${message} (queue: ${queue}, worker: ${workerId}${jobId ? `, job: ${jobId}` : ''})`, options);
  }
}

export const WORKER_POLICY = Object.freeze({
  /** Idle polling; pg-boss refuses less than 500 ms (attorney.js MIN_POLLING_INTERVAL_MS). */
  DEFAULT_POLLING_INTERVAL_MS: 2_000,
  /** After a loop error: first wait, doubled per consecutive error up to the maximum, so a database outage is not hammered. */
  ERROR_BACKOFF_MS: 500,
  MAX_ERROR_BACKOFF_MS: 15_000,
});

interface ActiveJob {
  id: string;
  controller: AbortController;
  released: boolean;
}

export interface WorkerOptions<T> {
  boss: PgBoss;
  schema: string;
  queue: WorkQueueName;
  payloadQueue: QueueName;
  handler: JobHandler<T>;
  concurrency: number;
  pollingIntervalMs: number;
  onError: (error: JobWorkerError) => void;
}

export class Worker<T> {
  readonly id = randomUUID();
  readonly #options: WorkerOptions<T>;
  readonly #active = new Map<string, ActiveJob>();
  #loops: Promise<void>[] = [];
  #stopping = false;
  #wake = new AbortController();

  constructor(options: WorkerOptions<T>) {
    this.#options = options;
  }

  get queue(): WorkQueueName {
    return this.#options.queue;
  }

  /** Jobs running right now. */
  get activeJobIds(): string[] {
    return [...this.#active.keys()];
  }

  start(): void {
    for (let slot = 0; slot < this.#options.concurrency; slot++) this.#loops.push(this.#loop());
  }

  /** Ends an idle wait so a job enqueued by this process is picked up at once. */
  notify(): void {
    this.#wake.abort();
  }

  /**
   * Stops fetching and waits up to `timeoutMs` for running jobs. Jobs still running then are released to the
   * queue without spending a retry and their handlers' signals are aborted.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    this.#wake.abort();
    const all = Promise.all(this.#loops);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!timedOut) return;
    const db = this.#options.boss.getDb();
    await Promise.all(
      [...this.#active.values()].map(async (job) => {
        job.released = true;
        job.controller.abort(new Error('worker is shutting down; the job was released to the queue'));
        try {
          await db.executeSql(sql.releaseJob(this.#options.schema), [this.#options.queue, job.id]);
        } catch (error) {
          this.#report('could not release a running job at shutdown; it is retried after its expiry', job.id, error);
        }
      }),
    );
  }

  #report(message: string, jobId: string | undefined, cause: unknown): void {
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    const error = new JobWorkerError(`${message}${detail}`, this.#options.queue, this.id, jobId, { cause });
    try {
      this.#options.onError(error);
    } catch {
      // An onError hook that throws must not end the loop either.
    }
  }

  async #loop(): Promise<void> {
    let errorBackoff = 0;
    while (!this.#stopping) {
      let worked = false;
      try {
        const jobs = await this.#options.boss.fetch<unknown>(this.#options.queue, { batchSize: 1, includeMetadata: true });
        const job = jobs?.[0];
        if (job) {
          worked = true;
          await this.#run(job);
        }
        errorBackoff = 0;
      } catch (error) {
        this.#report('worker loop error', undefined, error);
        errorBackoff = Math.min(errorBackoff ? errorBackoff * 2 : WORKER_POLICY.ERROR_BACKOFF_MS, WORKER_POLICY.MAX_ERROR_BACKOFF_MS);
        await this.#sleep(errorBackoff);
        continue;
      }
      if (!worked) await this.#sleep(this.#options.pollingIntervalMs);
    }
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#stopping) return;
    if (this.#wake.signal.aborted) this.#wake = new AbortController();
    const signal = this.#wake.signal;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }

  async #run(job: PgBoss.JobWithMetadata<unknown>): Promise<void> {
    const { boss, schema, queue, payloadQueue } = this.#options;
    let data: T;
    try {
      data = parsePayload(payloadQueue, job.data) as T;
    } catch (error) {
      const message = (error as Error).message;
      await boss.getDb().executeSql(sql.failPermanently(schema), [queue, job.id, JSON.stringify({ code: JOB_QUEUE_ERROR_CODES.INVALID_PAYLOAD, message })]);
      this.#report('job failed without retry', job.id, error);
      return;
    }

    const active: ActiveJob = { id: job.id, controller: new AbortController(), released: false };
    this.#active.set(job.id, active);
    let expired = false;
    const expiry = setTimeout(() => {
      expired = true;
      active.controller.abort(new JobQueueError(JOB_QUEUE_ERROR_CODES.EXPIRED, `job ${job.id} ran past expireInSeconds (${job.expireInSeconds}); it will be retried`));
    }, Number(job.expireInSeconds) * 1000);
    try {
      let result: void | object;
      try {
        result = await this.#options.handler({
          id: job.id,
          queue,
          data,
          attempt: job.retryCount,
          retryLimit: job.retryLimit,
          signal: active.controller.signal,
          output: job.output ?? null,
        });
      } catch (error) {
        if (active.released) return;
        if (expired) return this.#report('job handler failed after its expiry; pg-boss retries it', job.id, error);
        const err = error as Error;
        await boss.fail(queue, job.id, { name: err?.name, message: err?.message ?? String(error), code: (err as { code?: unknown })?.code ?? null });
        this.#report('job handler failed; pg-boss retries it or moves it to the dead-letter queue', job.id, error);
        return;
      }
      if (active.released) return;
      if (expired) return this.#report('job finished after its expiry; its result is not recorded and it will be retried', job.id, undefined);
      await boss.complete(queue, job.id, result && typeof result === 'object' ? result : undefined);
    } finally {
      clearTimeout(expiry);
      this.#active.delete(job.id);
    }
  }
}
