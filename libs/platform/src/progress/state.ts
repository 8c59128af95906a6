/**
 * What a progress subscriber receives, how it travels in a NOTIFY payload, and how the current state is read
 * from the row (the truth: a late subscriber's first value).
 */
import type { Database } from '../db/client.js';
import { JobStatus } from '../db/generated/enums.ts';

export type ProgressKind = 'reconstruction' | 'animation';

export interface ProgressUpdate {
  kind: ProgressKind;
  id: string;
  tenantId: string;
  status: JobStatus;
  /** Pipeline stage running or last run (decode, detect, ..., export). */
  stage: string | null;
  /** Overall progress in [0, 1]. */
  progress: number;
  /** Human-readable; for FAILED the reason (NOTIFY carries at most MESSAGE_MAX_CHARS; the row has it all). */
  message: string | null;
  errorCode: string | null;
  /**
   * Id of the ProgressEvent this state belongs to (decimal string; it grows per job), or null before the first
   * event. Subscribers use it to drop a notification older than the state they already have.
   */
  eventId: string | null;
  /** When the state was written (ISO 8601). */
  at: string;
}

/** Statuses after which a subscription completes. */
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = Object.freeze(new Set<JobStatus>([JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED]));

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export const PROGRESS_LIMITS = Object.freeze({
  /**
   * PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. Ids and small fields only: 1000 characters of
   * message (4000 bytes at worst in UTF-8) plus ids and numbers stay far below it.
   */
  MESSAGE_MAX_CHARS: 1000,
  STAGE_MAX_CHARS: 100,
  ERROR_CODE_MAX_CHARS: 100,
  NOTIFY_MAX_BYTES: 7999,
});

/** The NOTIFY payload: short keys, because every API instance parses every event. */
interface WireUpdate {
  k: 'r' | 'a';
  id: string;
  t: string;
  s: JobStatus;
  st: string | null;
  p: number;
  m: string | null;
  e: string | null;
  ev: string | null;
  at: string;
}

const truncate = (value: string | null, max: number): string | null => (value !== null && value.length > max ? `${value.slice(0, max - 1)}…` : value);

export function encodeUpdate(update: ProgressUpdate): string {
  const wire: WireUpdate = {
    k: update.kind === 'reconstruction' ? 'r' : 'a',
    id: update.id,
    t: update.tenantId,
    s: update.status,
    st: truncate(update.stage, PROGRESS_LIMITS.STAGE_MAX_CHARS),
    p: update.progress,
    m: truncate(update.message, PROGRESS_LIMITS.MESSAGE_MAX_CHARS),
    e: truncate(update.errorCode, PROGRESS_LIMITS.ERROR_CODE_MAX_CHARS),
    ev: update.eventId,
    at: update.at,
  };
  let text = JSON.stringify(wire);
  if (Buffer.byteLength(text) > PROGRESS_LIMITS.NOTIFY_MAX_BYTES) text = JSON.stringify({ ...wire, m: null });
  return text;
}

const STATUSES: ReadonlySet<string> = new Set(Object.values(JobStatus));

/** Parses a NOTIFY payload; throws on anything that is not one (another producer on the channel, a bug). */
export function decodeUpdate(payload: string): ProgressUpdate {
  const wire = JSON.parse(payload) as Partial<WireUpdate>;
  if ((wire.k !== 'r' && wire.k !== 'a') || typeof wire.id !== 'string' || typeof wire.t !== 'string' || !STATUSES.has(wire.s as string)) {
    throw new Error(`Not a progress notification: ${payload.slice(0, 200)}`);
  }
  return {
    kind: wire.k === 'r' ? 'reconstruction' : 'animation',
    id: wire.id,
    tenantId: wire.t,
    status: wire.s as JobStatus,
    stage: wire.st ?? null,
    progress: Number(wire.p ?? 0),
    message: wire.m ?? null,
    errorCode: wire.e ?? null,
    eventId: wire.ev ?? null,
    at: wire.at ?? new Date().toISOString(),
  };
}

export class ProgressNotFoundError extends Error {
  override readonly name = 'ProgressNotFoundError';
  constructor(
    readonly kind: ProgressKind,
    readonly id: string,
  ) {
    super(`No ${kind} ${id} (or it belongs to another tenant)`);
  }
}

/**
 * The persisted state: the row plus its latest ProgressEvent, read in one REPEATABLE READ snapshot so the
 * event id matches the row (the publisher writes both in one transaction). Undefined when there is no such row
 * for this tenant.
 */
export async function readProgressState(db: Database, kind: ProgressKind, id: string, tenantId?: string): Promise<ProgressUpdate | undefined> {
  const where = { id, ...(tenantId ? { tenantId } : {}) };
  const select = { id: true, tenantId: true, status: true, stage: true, progress: true, errorCode: true, errorMessage: true, updatedAt: true } as const;
  const eventQuery = {
    where: kind === 'reconstruction' ? { reconstructionId: id } : { animationId: id },
    orderBy: { id: 'desc' as const },
    select: { id: true, message: true },
  };
  const [row, event] = await db.$transaction(
    [kind === 'reconstruction' ? db.reconstruction.findFirst({ where, select }) : db.animation.findFirst({ where, select }), db.progressEvent.findFirst(eventQuery)],
    { isolationLevel: 'RepeatableRead' },
  );
  if (!row) return undefined;
  return {
    kind,
    id: row.id,
    tenantId: row.tenantId,
    status: row.status,
    stage: row.stage,
    progress: row.progress,
    message: row.errorMessage ?? event?.message ?? null,
    errorCode: row.errorCode,
    eventId: event ? event.id.toString() : null,
    at: row.updatedAt.toISOString(),
  };
}
