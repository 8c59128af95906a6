/** The queue's one error class: a stable `code` for callers to switch on, the original error as `cause`. */
export const JOB_QUEUE_ERROR_CODES = Object.freeze({
  /** An argument at the public boundary is wrong; the message says what to pass instead. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** The payload does not match the queue's zod schema (src/queue/jobs.ts). */
  INVALID_PAYLOAD: 'INVALID_PAYLOAD',
  /** start() was not called, or stop() already was. */
  NOT_STARTED: 'NOT_STARTED',
  /** A job ran past its expireInSeconds; pg-boss presumes its worker dead and retries it. */
  EXPIRED: 'EXPIRED',
  /** The database refused a queue operation; `cause` holds the driver's error. */
  DATABASE: 'DATABASE',
} as const);
export type JobQueueErrorCode = (typeof JOB_QUEUE_ERROR_CODES)[keyof typeof JOB_QUEUE_ERROR_CODES];

export class JobQueueError extends Error {
  override readonly name = 'JobQueueError';
  constructor(
    readonly code: JobQueueErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** Turns a driver error into a queue error with the operation in the message; keeps the original as `cause`. */
export function rethrowDatabaseError(operation: string, error: unknown): never {
  if (error instanceof JobQueueError) throw error;
  const pgCode = (error as { code?: unknown }).code;
  const hint =
    pgCode === '3F000' || pgCode === '42P01'
      ? ' (the pgboss schema is missing: call JobQueue.start() once before using the queue)'
      : pgCode === '23503'
        ? ' (the queue does not exist: JobQueue.start() creates every queue in QUEUES)'
        : '';
  throw new JobQueueError(JOB_QUEUE_ERROR_CODES.DATABASE, `${operation} failed: ${(error as Error).message}${hint}`, { cause: error });
}
