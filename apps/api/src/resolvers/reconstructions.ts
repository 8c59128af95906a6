/**
 * Reconstruction lifecycle through the API: create (upload + row + job in one transaction), cancel, retry,
 * queue position and live progress. The worker does the work; everything here is bookkeeping and checks.
 */
import { randomUUID } from 'node:crypto';
import { type JobQueue, jobIdFor, prismaTransactionExecutor, QUEUES } from '@seif/platform';
import type { ApiContext } from '../context.js';
import { requireScope } from '../context.js';
import { type UserError, userError } from '../errors.js';
import { fromGlobalId, toGlobalId } from '../relay.js';
import { photoKey } from '../storage-keys.js';
import { checkPhoto, collectUpload, type UploadedFile } from '../uploads.js';
import { etaSeconds } from './progress.js';

interface OptionsInput {
  mode?: 'FLAME' | 'SEIF' | null;
  resolution?: number | null;
  formats?: ('GLB' | 'OBJ' | 'PLY' | 'STL')[] | null;
  textureSize?: number | null;
  faces?: 'ERROR' | 'LARGEST' | null;
}

interface CreateInput {
  subjectId: string;
  photo: Promise<UploadedFile>;
  options?: OptionsInput | null;
  idempotencyKey?: string | null;
}

/** What the worker reads back from Reconstruction.params. */
export interface ReconstructionParams {
  resolution: number;
  formats: string[];
  textureSize: number;
  faces: 'error' | 'largest';
}

const TEXTURE_SIZES = new Set([256, 512, 1024, 2048, 4096]);
/** The SeIF grid doubles from its first level up to the finest, so the finest is a power of two. */
const RESOLUTIONS = new Set([64, 128, 256, 512]);

function checkOptions(options: OptionsInput | null | undefined): ReconstructionParams | UserError {
  const field = (name: string) => ['input', 'options', name];
  // 128 keeps SeIF near 10 s on a 2-core CPU worker (libs/seif-core SEIF_DEFAULT_RESOLUTION).
  const resolution = options?.resolution ?? 128;
  if (!RESOLUTIONS.has(resolution)) return userError('INVALID_ARGUMENT', 'resolution must be 64, 128, 256 or 512', field('resolution'));
  const textureSize = options?.textureSize ?? 1024;
  if (!TEXTURE_SIZES.has(textureSize)) return userError('INVALID_ARGUMENT', 'textureSize must be 256, 512, 1024, 2048 or 4096', field('textureSize'));
  const formats = [...new Set(options?.formats ?? ['GLB', 'OBJ', 'PLY', 'STL'])].map((format) => format.toLowerCase());
  if (formats.length === 0) return userError('INVALID_ARGUMENT', 'formats must name at least one format', field('formats'));
  return { resolution, formats, textureSize, faces: options?.faces === 'LARGEST' ? 'largest' : 'error' };
}

/** pg-boss job key of a reconstruction's nth attempt (n counts API retries, not worker retries). */
function jobKey(reconstructionId: string, round: number): string {
  return `${reconstructionId}:${round}`;
}

async function enqueueReconstruction(queue: JobQueue, tx: Parameters<typeof prismaTransactionExecutor>[0], tenantId: string, reconstructionId: string, round: number) {
  const key = jobKey(reconstructionId, round);
  await queue.enqueue(QUEUES.RECONSTRUCT, { tenantId, reconstructionId }, { db: prismaTransactionExecutor(tx), idempotencyKey: key });
  return jobIdFor(QUEUES.RECONSTRUCT, key);
}

async function createReconstruction(_parent: unknown, { input }: { input: CreateInput }, context: ApiContext) {
  const viewer = requireScope(context, 'WRITE');
  const { db, storage } = context;
  const fail = (error: UserError) => ({ reconstruction: null, errors: [error] });
  const uploaded = await collectUpload(input.photo, ['input', 'photo']);

  const idempotencyKey = input.idempotencyKey?.trim() || undefined;
  if (idempotencyKey && idempotencyKey.length > 200) return fail(userError('INVALID_ARGUMENT', 'idempotencyKey is longer than 200 characters', ['input', 'idempotencyKey']));
  const params = checkOptions(input.options);
  if ('code' in params) return fail(params);
  const parsed = fromGlobalId(input.subjectId, 'Subject');
  const subject = parsed && (await db.subject.findFirst({ where: { id: parsed.id, tenantId: viewer.tenantId } }));
  if (!subject) return fail(userError('NOT_FOUND', 'No subject with this id', ['input', 'subjectId']));

  if (idempotencyKey) {
    const existing = await db.reconstruction.findUnique({ where: { tenantId_idempotencyKey: { tenantId: viewer.tenantId, idempotencyKey } } });
    if (existing) return { reconstruction: existing, errors: [] };
  }

  if ('code' in uploaded) return fail(uploaded);
  const photo = await checkPhoto(uploaded, ['input', 'photo']);
  if ('code' in photo) return fail(photo);

  // The object first, then rows + job in one transaction; if the transaction fails the object is removed,
  // so nothing is left behind either way.
  const photoId = randomUUID();
  const reconstructionId = randomUUID();
  const key = photoKey(viewer.tenantId, subject.id, photoId, photo.extension);
  await storage.put(key, photo.bytes, { contentType: photo.mime });
  try {
    const reconstruction = await db.$transaction(async (tx) => {
      await tx.photo.create({
        data: { id: photoId, tenantId: viewer.tenantId, subjectId: subject.id, storageKey: key, sha256: photo.sha256, bytes: photo.bytes.length, width: photo.width, height: photo.height, mime: photo.mime },
      });
      const jobId = await enqueueReconstruction(context.queue, tx, viewer.tenantId, reconstructionId, 0);
      const created = await tx.reconstruction.create({
        data: {
          id: reconstructionId,
          tenantId: viewer.tenantId,
          subjectId: subject.id,
          photoId,
          // SEIF by default: the worker falls back to FLAME (warning SEIF_UNAVAILABLE) when it has no weights and
          // records the mode it actually produced.
          mode: input.options?.mode ?? 'SEIF',
          params: { ...params },
          idempotencyKey: idempotencyKey ?? null,
          jobId,
        },
      });
      await tx.progressEvent.create({ data: { tenantId: viewer.tenantId, reconstructionId, status: 'QUEUED', progress: 0, message: 'queued' } });
      return created;
    });
    return { reconstruction, errors: [] };
  } catch (error) {
    await storage.delete(key).catch(() => {});
    // Two requests with the same idempotency key raced: the other one won; answer with its reconstruction.
    if ((error as { code?: string }).code === 'P2002' && idempotencyKey) {
      const winner = await db.reconstruction.findUnique({ where: { tenantId_idempotencyKey: { tenantId: viewer.tenantId, idempotencyKey } } });
      if (winner) return { reconstruction: winner, errors: [] };
    }
    throw error;
  }
}

async function findOwnedReconstruction(context: ApiContext, id: string) {
  const viewer = requireScope(context, 'WRITE');
  const parsed = fromGlobalId(id, 'Reconstruction');
  return parsed ? context.db.reconstruction.findFirst({ where: { id: parsed.id, tenantId: viewer.tenantId } }) : null;
}

async function cancelReconstruction(_parent: unknown, { input }: { input: { id: string } }, context: ApiContext) {
  const row = await findOwnedReconstruction(context, input.id);
  if (!row) return { reconstruction: null, errors: [userError('NOT_FOUND', 'No reconstruction with this id', ['input', 'id'])] };
  if (row.status === 'QUEUED' || row.status === 'RUNNING') {
    await context.publisher.report({ tenantId: row.tenantId, reconstructionId: row.id, status: 'CANCELLED', message: 'cancelled by the client' });
    // A queued job is removed; a running one notices the CANCELLED row at its next stage boundary.
    if (row.jobId) await context.queue.cancel(row.jobId).catch(() => false);
  } else if (row.status !== 'CANCELLED') {
    return { reconstruction: row, errors: [userError('INVALID_ARGUMENT', `A ${row.status.toLowerCase()} reconstruction cannot be cancelled`, ['input', 'id'])] };
  }
  return { reconstruction: await context.db.reconstruction.findUniqueOrThrow({ where: { id: row.id } }), errors: [] };
}

async function retryReconstruction(_parent: unknown, { input }: { input: { id: string } }, context: ApiContext) {
  const row = await findOwnedReconstruction(context, input.id);
  if (!row) return { reconstruction: null, errors: [userError('NOT_FOUND', 'No reconstruction with this id', ['input', 'id'])] };
  if (row.status !== 'FAILED' && row.status !== 'CANCELLED') {
    return { reconstruction: row, errors: [userError('INVALID_ARGUMENT', `Only failed or cancelled reconstructions can be retried (this one is ${row.status.toLowerCase()})`, ['input', 'id'])] };
  }
  const rounds = await context.db.progressEvent.count({ where: { reconstructionId: row.id, status: 'QUEUED' } });
  await context.db.$transaction(async (tx) => {
    const jobId = await enqueueReconstruction(context.queue, tx, row.tenantId, row.id, rounds);
    await tx.reconstruction.update({ where: { id: row.id }, data: { jobId, errorCode: null, errorMessage: null } });
  });
  await context.publisher.report({ tenantId: row.tenantId, reconstructionId: row.id, status: 'QUEUED', stage: null, progress: 0, message: 'queued again', errorCode: null, reopen: true });
  return { reconstruction: await context.db.reconstruction.findUniqueOrThrow({ where: { id: row.id } }), errors: [] };
}

async function queuePosition(context: ApiContext, status: string, jobId: string | null): Promise<number | null> {
  if (status !== 'QUEUED' || !jobId) return null;
  return context.queue.queuePosition(QUEUES.RECONSTRUCT, jobId);
}

async function* reconstructionProgress(context: ApiContext, id: string) {
  const viewer = requireScope(context, 'READ');
  const parsed = fromGlobalId(id, 'Reconstruction');
  const row = parsed && (await context.db.reconstruction.findFirst({ where: { id: parsed.id, tenantId: viewer.tenantId } }));
  if (!row) throw Object.assign(new Error('No reconstruction with this id'), { extensions: { code: 'NOT_FOUND' } });
  for await (const update of context.progress.subscribe('reconstruction', row.id, { tenantId: viewer.tenantId })) {
    const current = update.status === 'QUEUED' || update.status === 'RUNNING' ? await context.db.reconstruction.findUnique({ where: { id: row.id }, select: { jobId: true, startedAt: true } }) : null;
    yield {
      reconstructionProgress: {
        id: toGlobalId('Reconstruction', row.id),
        status: update.status,
        stage: update.stage,
        progress: update.progress,
        queuePosition: await queuePosition(context, update.status, current?.jobId ?? null),
        message: update.message,
        etaSeconds: etaSeconds(update, current?.startedAt ?? null),
        error: update.errorCode ? { code: update.errorCode, message: update.message ?? update.errorCode } : null,
      },
    };
  }
}

export const reconstructionResolvers = {
  Mutation: { createReconstruction, cancelReconstruction, retryReconstruction },
  Reconstruction: {
    queuePosition: (row: { status: string; jobId: string | null }, _args: unknown, context: ApiContext) => queuePosition(context, row.status, row.jobId),
  },
  Subscription: {
    reconstructionProgress: {
      subscribe: (_parent: unknown, { id }: { id: string }, context: ApiContext) => reconstructionProgress(context, id),
    },
  },
};
