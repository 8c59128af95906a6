/**
 * Job contracts shared by the API (producer) and the GPU worker (consumer): queue names and payload schemas.
 * Payloads carry ids only; the database row is the source of truth for everything else, so a retried job
 * always sees the latest state (including a cancellation).
 */
import { z } from 'zod';

export const QUEUES = Object.freeze({
  RECONSTRUCT: 'seif.reconstruct',
  ANIMATE: 'seif.animate',
} as const);
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const reconstructJobSchema = z.object({
  tenantId: z.uuid(),
  reconstructionId: z.uuid(),
});
export type ReconstructJob = z.infer<typeof reconstructJobSchema>;

export const animateJobSchema = z.object({
  tenantId: z.uuid(),
  animationId: z.uuid(),
});
export type AnimateJob = z.infer<typeof animateJobSchema>;

export const JOB_PAYLOADS = Object.freeze({
  [QUEUES.RECONSTRUCT]: reconstructJobSchema,
  [QUEUES.ANIMATE]: animateJobSchema,
});

/** PostgreSQL NOTIFY channel on which job progress is published to every API instance. */
export const PROGRESS_CHANNEL = 'seif_progress';
