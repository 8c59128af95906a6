/**
 * Public API (worker side, and the API for QUEUED/CANCELLED). Writes a job's progress: the row (Reconstruction
 * or Animation) gets the latest state, ProgressEvent the history, and `pg_notify('seif_progress', ...)` tells
 * every API instance, all in one transaction, so a notification never announces a state that was rolled back.
 *
 * Throttled per job: at most one intermediate event per `intervalMs` (250 ms). Newer intermediate reports
 * replace a pending one, which is written when the interval ends, so the last one is never lost. Reports that
 * change the status or the stage, and final ones, are never dropped and are written in order.
 */
import type { Database } from '../db/client.js';
import { JobStatus } from '../db/generated/enums.ts';
import { PROGRESS_CHANNEL } from '../queue/jobs.js';
import * as sql from './sql.js';
import { encodeUpdate, isTerminal, type ProgressKind, type ProgressUpdate } from './state.js';

export interface ProgressReport {
  tenantId: string;
  /** Exactly one of reconstructionId and animationId. */
  reconstructionId?: string;
  animationId?: string;
  status: JobStatus;
  /** Omitted: the row keeps its stage. */
  stage?: string | null;
  /** In [0, 1]. Omitted: the row keeps its progress. */
  progress?: number;
  /** Stored on the event; for FAILED also the row's errorMessage. */
  message?: string | null;
  errorCode?: string | null;
  /**
   * Write even though the row has ended (SUCCEEDED, FAILED, CANCELLED): the API's retry moving it back to
   * QUEUED. Without it a finished row is left alone, so a late worker cannot undo a cancellation.
   */
  reopen?: boolean;
}

/**
 * - published: written and notified.
 * - coalesced: an intermediate report held back by the throttle; it is written later or superseded by a newer one.
 * - job-finished: the row has already ended (e.g. the user cancelled); the worker should stop.
 * - not-found: no such row for this tenant (deleted); the worker should stop.
 */
export type ReportOutcome = 'published' | 'coalesced' | 'job-finished' | 'not-found';

export const PROGRESS_THROTTLE = Object.freeze({
  /** Four updates a second look live in a progress bar and keep the row and the channel quiet. */
  INTERVAL_MS: 250,
});

export interface ProgressPublisherOptions {
  intervalMs?: number;
  /** Errors of writes that happen after report() returned (held-back reports). Default: console.error. */
  onError?: (error: Error) => void;
}

interface JobThrottle {
  kind: ProgressKind;
  id: string;
  lastStatus?: JobStatus;
  lastStage?: string | null;
  lastWriteAt: number;
  pending?: ProgressReport;
  timer?: NodeJS.Timeout;
  chain: Promise<unknown>;
  finished?: 'job-finished' | 'not-found';
}

function target(report: ProgressReport): { kind: ProgressKind; id: string } {
  const hasReconstruction = typeof report.reconstructionId === 'string';
  const hasAnimation = typeof report.animationId === 'string';
  if (hasReconstruction === hasAnimation) {
    throw new TypeError('report() needs exactly one of reconstructionId and animationId');
  }
  return hasReconstruction ? { kind: 'reconstruction', id: report.reconstructionId! } : { kind: 'animation', id: report.animationId! };
}

function checkReport(report: ProgressReport): void {
  if (!report || typeof report.tenantId !== 'string') throw new TypeError('report() needs tenantId (the job row’s tenant)');
  if (!Object.values(JobStatus).includes(report.status)) {
    throw new TypeError(`Unknown status ${JSON.stringify(report.status)}: use JobStatus (${Object.values(JobStatus).join(', ')})`);
  }
  if (report.progress !== undefined && !(report.progress >= 0 && report.progress <= 1)) {
    throw new RangeError(`progress must be in [0, 1], got ${report.progress}`);
  }
}

export class ProgressPublisher {
  readonly #db: Database;
  readonly #intervalMs: number;
  readonly #onError: (error: Error) => void;
  readonly #jobs = new Map<string, JobThrottle>();

  constructor(db: Database, options: ProgressPublisherOptions = {}) {
    this.#db = db;
    this.#intervalMs = options.intervalMs ?? PROGRESS_THROTTLE.INTERVAL_MS;
    this.#onError = options.onError ?? ((error) => console.error(error));
  }

  /** See ReportOutcome. Throws on bad arguments and on database errors of writes it performs itself. */
  async report(report: ProgressReport): Promise<ReportOutcome> {
    checkReport(report);
    const { kind, id } = target(report);
    const key = `${kind}:${id}`;
    let job = this.#jobs.get(key);
    if (!job) {
      job = { kind, id, lastWriteAt: 0, chain: Promise.resolve() };
      this.#jobs.set(key, job);
    }
    if (job.finished && !report.reopen) return job.finished;

    const important =
      report.reopen === true ||
      isTerminal(report.status) ||
      report.status !== job.lastStatus ||
      (report.stage !== undefined && report.stage !== job.lastStage);
    const now = Date.now();
    if (!important && (job.pending || now - job.lastWriteAt < this.#intervalMs)) {
      job.pending = report;
      job.timer ??= setTimeout(() => this.#flushPending(key), Math.max(0, job.lastWriteAt + this.#intervalMs - now));
      return 'coalesced';
    }
    // An important report supersedes an intermediate one still waiting.
    this.#dropPending(job);
    return this.#enqueue(key, job, report);
  }

  /** Writes every held-back report now (call before the worker exits). */
  async flush(): Promise<void> {
    for (const key of [...this.#jobs.keys()]) this.#flushPending(key);
    await Promise.all([...this.#jobs.values()].map((job) => job.chain.catch(() => {})));
  }

  /** flush(), then forget every job. */
  async close(): Promise<void> {
    await this.flush();
    this.#jobs.clear();
  }

  #dropPending(job: JobThrottle): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = undefined;
    job.pending = undefined;
  }

  #flushPending(key: string): void {
    const job = this.#jobs.get(key);
    if (!job?.pending) return;
    const report = job.pending;
    this.#dropPending(job);
    this.#enqueue(key, job, report).catch((error: unknown) => this.#onError(error instanceof Error ? error : new Error(String(error))));
  }

  #enqueue(key: string, job: JobThrottle, report: ProgressReport): Promise<ReportOutcome> {
    job.lastWriteAt = Date.now();
    const previousStatus = job.lastStatus;
    job.lastStatus = report.status;
    if (report.stage !== undefined) job.lastStage = report.stage;
    const write = job.chain.then(() => this.#write(job.kind, job.id, report, previousStatus));
    job.chain = write.catch(() => {});
    return write.then((outcome) => {
      if (outcome === 'job-finished' || outcome === 'not-found') {
        job.finished = outcome;
        this.#dropPending(job);
      } else if (isTerminal(report.status) && !job.pending) {
        // Ended: forget the job so a long-lived worker does not accumulate state.
        if (this.#jobs.get(key) === job) this.#jobs.delete(key);
      }
      return outcome;
    });
  }

  async #write(kind: ProgressKind, id: string, report: ProgressReport, previousStatus: JobStatus | undefined): Promise<ReportOutcome> {
    const now = new Date();
    const terminal = isTerminal(report.status);
    const where = { id, tenantId: report.tenantId, ...(report.reopen ? {} : { status: { notIn: [...[JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED]] } }) };
    const common = {
      status: report.status,
      ...(report.stage !== undefined ? { stage: report.stage } : {}),
      ...(report.progress !== undefined ? { progress: report.progress } : {}),
      ...(report.errorCode !== undefined || report.reopen ? { errorCode: report.errorCode ?? null } : {}),
      ...(report.status === JobStatus.FAILED ? { errorMessage: report.message ?? null } : report.reopen ? { errorMessage: null } : {}),
      ...(terminal ? { finishedAt: now } : report.reopen ? { finishedAt: null } : {}),
    };
    const select = { id: true, tenantId: true, status: true, stage: true, progress: true, errorCode: true, updatedAt: true } as const;
    return this.#db.$transaction(async (tx) => {
      let row;
      if (kind === 'reconstruction') {
        const starting = report.status === JobStatus.RUNNING && previousStatus !== JobStatus.RUNNING;
        const data = { ...common, ...(starting ? { startedAt: now, attempts: { increment: 1 } } : {}) };
        row = await tx.reconstruction.updateManyAndReturn({ where, data, select });
      } else {
        row = await tx.animation.updateManyAndReturn({ where, data: common, select });
      }
      const updated = row[0];
      if (!updated) {
        const exists = kind === 'reconstruction' ? await tx.reconstruction.count({ where: { id, tenantId: report.tenantId } }) : await tx.animation.count({ where: { id, tenantId: report.tenantId } });
        return exists ? 'job-finished' : 'not-found';
      }
      const event = await tx.progressEvent.create({
        data: {
          tenantId: report.tenantId,
          ...(kind === 'reconstruction' ? { reconstructionId: id } : { animationId: id }),
          status: updated.status,
          stage: updated.stage,
          progress: updated.progress,
          message: report.message ?? null,
          errorCode: report.errorCode ?? null,
        },
        select: { id: true },
      });
      const update: ProgressUpdate = {
        kind,
        id,
        tenantId: updated.tenantId,
        status: updated.status,
        stage: updated.stage,
        progress: updated.progress,
        message: report.message ?? null,
        errorCode: updated.errorCode,
        eventId: event.id.toString(),
        at: updated.updatedAt.toISOString(),
      };
      await tx.$executeRawUnsafe(sql.notify(), PROGRESS_CHANNEL, encodeUpdate(update));
      return 'published' as const;
    });
  }
}
