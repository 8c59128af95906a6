/**
 * Argument checks at the queue's public boundary. Each message says what to pass instead, because the callers
 * (the API and the worker) are usually fixed by reading the message alone.
 */
import { z } from 'zod';
import { JOB_QUEUE_ERROR_CODES, JobQueueError } from './errors.js';
import { JOB_PAYLOADS, QUEUES, type QueueName } from './jobs.js';
import type { TransactionExecutor } from './executor.js';

/** Suffix of each queue's dead-letter queue: `seif.reconstruct` -> `seif.reconstruct.dlq`. */
export const DEAD_LETTER_SUFFIX = '.dlq';
export type DeadLetterQueueName = `${QueueName}${typeof DEAD_LETTER_SUFFIX}`;
/** A queue a worker can consume: a job queue or its dead-letter queue (same payload). */
export type WorkQueueName = QueueName | DeadLetterQueueName;

/** Generic so that a handler for `deadLetterQueue(QUEUES.RECONSTRUCT)` is typed with that queue's payload. */
export function deadLetterQueue<Q extends QueueName>(queue: Q): `${Q}${typeof DEAD_LETTER_SUFFIX}` {
  return `${assertQueue(queue) as Q}${DEAD_LETTER_SUFFIX}`;
}

const QUEUE_NAMES: readonly string[] = Object.values(QUEUES);

function fail(message: string): never {
  throw new JobQueueError(JOB_QUEUE_ERROR_CODES.INVALID_ARGUMENT, message);
}

export function assertQueue(queue: unknown): QueueName {
  if (typeof queue !== 'string' || !QUEUE_NAMES.includes(queue)) {
    fail(`Unknown queue ${JSON.stringify(queue)}: use one of QUEUES (${QUEUE_NAMES.join(', ')}) from @seif/platform`);
  }
  return queue as QueueName;
}

/** A job queue or a dead-letter queue; returns the job queue whose payload schema applies. */
export function assertWorkQueue(queue: unknown): QueueName {
  if (typeof queue === 'string' && queue.endsWith(DEAD_LETTER_SUFFIX)) {
    const base = queue.slice(0, -DEAD_LETTER_SUFFIX.length);
    if (QUEUE_NAMES.includes(base)) return base as QueueName;
  }
  return assertQueue(queue);
}

export function assertSchemaName(schema: string): string {
  // pg-boss interpolates the schema into its SQL text, and so do we (src/queue/sql.ts).
  if (!/^[a-z_][a-z0-9_]{0,49}$/.test(schema)) fail(`Invalid queue schema "${schema}": use lower-case letters, digits and _ (at most 50)`);
  return schema;
}

export function assertJobId(jobId: unknown): string {
  if (typeof jobId !== 'string' || !z.uuid().safeParse(jobId).success) {
    fail(`Invalid job id ${JSON.stringify(jobId)}: pass the uuid that enqueue() returned`);
  }
  return jobId;
}

function assertInteger(name: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
}

export interface EnqueueOptions {
  /** Enqueue inside the caller's transaction (see prismaTransactionExecutor): the job exists iff it commits. */
  db?: TransactionExecutor;
  /**
   * The same key on the same queue yields the same job id, and a second enqueue returns that id without
   * inserting. Holds while pg-boss keeps the job in `pgboss.job` (until it is archived, 12 h after it ends by
   * default); the database row (e.g. Reconstruction's unique idempotency key) is the lasting guard.
   */
  idempotencyKey?: string;
  /** Attempts after the first; default per queue in QUEUE_POLICIES. */
  retryLimit?: number;
  /** Seconds before the first retry; with retryBackoff, doubled each time with jitter. */
  retryDelay?: number;
  retryBackoff?: boolean;
  /** A job still active this long after it started is presumed dead (its worker crashed) and is retried. */
  expireInSeconds?: number;
  /** Higher runs first. */
  priority?: number;
}

/** pg-boss refuses expirations of 24 h or more (attorney.js POLICY.MAX_EXPIRATION_HOURS). */
const MAX_EXPIRE_SECONDS = 24 * 60 * 60 - 1;

export function checkEnqueueOptions(options: EnqueueOptions): void {
  if (options === null || typeof options !== 'object') fail('enqueue options must be an object (or omitted)');
  assertInteger('retryLimit', options.retryLimit, 0, 100);
  assertInteger('retryDelay', options.retryDelay, 0, 24 * 60 * 60);
  assertInteger('expireInSeconds', options.expireInSeconds, 1, MAX_EXPIRE_SECONDS);
  assertInteger('priority', options.priority, -1000, 1000);
  if (options.retryBackoff !== undefined && typeof options.retryBackoff !== 'boolean') fail('retryBackoff must be true or false');
  if (options.idempotencyKey !== undefined && (typeof options.idempotencyKey !== 'string' || options.idempotencyKey.length === 0 || options.idempotencyKey.length > 255)) {
    fail('idempotencyKey must be a non-empty string of at most 255 characters');
  }
  if (options.db !== undefined && typeof options.db?.executeSql !== 'function') {
    fail('db must be a TransactionExecutor ({ executeSql(text, values) }); wrap a Prisma transaction with prismaTransactionExecutor(tx)');
  }
}

export function checkConcurrency(concurrency: unknown): number {
  assertInteger('concurrency', concurrency, 1, 64);
  return (concurrency as number | undefined) ?? 1;
}

/** Validates a payload against its queue's schema; the message lists each bad field. */
export function parsePayload<Q extends QueueName>(queue: Q, payload: unknown): z.infer<(typeof JOB_PAYLOADS)[Q]> {
  const result = JOB_PAYLOADS[queue].safeParse(payload);
  if (!result.success) {
    const fields = result.error.issues.map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`).join('; ');
    throw new JobQueueError(
      JOB_QUEUE_ERROR_CODES.INVALID_PAYLOAD,
      `Payload for queue ${queue} does not match its schema (${fields}); send ids only, as in src/queue/jobs.ts`,
    );
  }
  return result.data as z.infer<(typeof JOB_PAYLOADS)[Q]>;
}
