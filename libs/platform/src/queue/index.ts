export * from './jobs.js';
export { deadLetterQueue, type DeadLetterQueueName, type EnqueueOptions, type WorkQueueName } from './attorney.js';
export { JOB_QUEUE_ERROR_CODES, JobQueueError, type JobQueueErrorCode } from './errors.js';
export { prismaTransactionExecutor, type PrismaRawClient, type TransactionExecutor } from './executor.js';
export {
  DEAD_LETTER_POLICY,
  type JobInfo,
  type JobPayload,
  JOB_QUEUE_DEFAULTS,
  jobIdFor,
  JobQueue,
  type JobQueueOptions,
  type JobState,
  QUEUE_POLICIES,
  type QueuePolicy,
  type WorkOptions,
} from './job-queue.js';
export { type JobContext, type JobHandler, JobWorkerError, WORKER_POLICY } from './worker.js';
