import type { ProgressUpdate } from '@seif/platform';

/** ETA from elapsed time and progress; only once there is enough progress for the ratio to mean something. */
export function etaSeconds(update: ProgressUpdate, startedAt: Date | null): number | null {
  if (update.status !== 'RUNNING' || !startedAt || update.progress < 0.05) return null;
  const elapsed = (Date.now() - startedAt.getTime()) / 1000;
  return Math.max(0, (elapsed * (1 - update.progress)) / update.progress);
}

