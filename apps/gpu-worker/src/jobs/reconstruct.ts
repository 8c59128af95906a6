/**
 * The reconstruction job: photo from storage -> libs/seif-core pipeline -> artefacts to storage and rows,
 * with progress reported between stages. The database row is the truth: a job whose row is gone, finished or
 * cancelled stops at the next stage boundary without writing results.
 *
 * Failures: a problem with the photo (no face, several faces, unreadable) is final and is recorded as FAILED
 * with its code at once; anything else is thrown so that the queue retries it, and the dead-letter handler
 * records FAILED(INTERNAL) after the last attempt.
 */
import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { isSeifError, type ReconstructionPipeline, type ReconstructProgress, SEIF_ERROR_CODES, type SeifErrorCode } from '@seif/core';
import type { JobContext, Logger, ObjectStorage, ProgressPublisher, ReconstructJob, ReportOutcome } from '@seif/platform';
import type { Database } from '@seif/platform/db';
import type { WorkerMetrics } from '../metrics.js';

export interface ReconstructServices {
  db: Database;
  storage: ObjectStorage;
  publisher: ProgressPublisher;
  pipeline: ReconstructionPipeline;
  logger: Logger;
  metrics: WorkerMetrics;
}

interface StoredParams {
  resolution?: number;
  formats?: string[];
  textureSize?: number;
  faces?: 'error' | 'largest';
}

/** Thrown inside the pipeline when the row says stop (cancelled or deleted); not an error of the job. */
class StopRequested extends Error {
  constructor(readonly outcome: ReportOutcome) {
    super(`stopped: ${outcome}`);
  }
}

const isStop = (outcome: ReportOutcome) => outcome === 'job-finished' || outcome === 'not-found';

export function artifactKey(storagePrefix: string, name: string): string {
  return `${storagePrefix}${name}`;
}

export function reconstructHandler(services: ReconstructServices) {
  return async (job: JobContext<ReconstructJob>) => {
    const { db, storage, publisher, pipeline, logger, metrics } = services;
    const { tenantId, reconstructionId } = job.data;
    const log = logger.child({ reconstructionId, jobId: job.id, attempt: job.attempt });
    const row = await db.reconstruction.findFirst({ where: { id: reconstructionId, tenantId }, include: { photo: true } });
    if (!row) return { skipped: 'deleted' };
    if (row.status === 'CANCELLED' || row.status === 'SUCCEEDED') return { skipped: row.status };

    const started = await publisher.report({ tenantId, reconstructionId, status: 'RUNNING', stage: 'queued', progress: 0, message: job.attempt > 0 ? `attempt ${job.attempt + 1}` : 'started' });
    if (isStop(started)) return { skipped: started };
    metrics.jobsStarted++;
    metrics.busy++;
    try {
      const photo = await buffer(await storage.get(row.photo.storageKey));
      const params = (row.params ?? {}) as StoredParams;
      // The pipeline calls onProgress synchronously; reports are chained so they stay in order, and the first
      // one that finds the row ended aborts the pipeline at its next stage boundary.
      const stop = new AbortController();
      job.signal.addEventListener('abort', () => stop.abort(job.signal.reason), { once: true });
      let chain: Promise<void> = Promise.resolve();
      const onProgress = (progress: ReconstructProgress) => {
        chain = chain.then(async () => {
          const outcome = await publisher.report({ tenantId, reconstructionId, status: 'RUNNING', stage: progress.stage, progress: Math.min(0.99, progress.fraction), message: progress.message ?? null });
          if (isStop(outcome)) stop.abort(new StopRequested(outcome));
        });
      };
      const result = await pipeline.run(photo, {
        mode: row.mode === 'SEIF' ? 'seif' : 'flame',
        ...(params.resolution ? { resolution: params.resolution } : {}),
        formats: (params.formats ?? ['glb', 'obj', 'ply', 'stl']) as ('glb' | 'obj' | 'ply' | 'stl')[],
        textureSize: params.textureSize ?? 1024,
        faces: params.faces ?? 'error',
        onProgress,
        signal: stop.signal,
      });
      await chain;
      if (stop.signal.aborted) return { skipped: 'stopped' };

      // Store files, then record them and the result in one transaction. A retry after a crash overwrites the
      // same keys and replaces the artefact rows, so nothing is duplicated.
      const prefix = row.photo.storageKey.replace(/photos\/[^/]+$/, `reconstructions/${reconstructionId}/`);
      const stored = [];
      for (const file of result.files) {
        const key = artifactKey(prefix, file.name);
        await storage.put(key, file.data, { contentType: file.contentType });
        stored.push({ kind: file.kind, key, bytes: file.bytes, contentType: file.contentType, sha256: createHash('sha256').update(file.data).digest('hex') });
      }
      const finishing = await publisher.report({ tenantId, reconstructionId, status: 'RUNNING', stage: 'store', progress: 0.99 });
      if (isStop(finishing)) return { skipped: finishing };
      await db.$transaction([
        db.artifact.deleteMany({ where: { reconstructionId } }),
        db.artifact.createMany({
          data: stored.map((file) => ({ tenantId, reconstructionId, kind: file.kind, storageKey: file.key, bytes: file.bytes, sha256: file.sha256, contentType: file.contentType })),
        }),
        db.reconstruction.update({
          where: { id: reconstructionId },
          data: {
            // What was produced: a SEIF request that fell back (no weights, a failed step) is a FLAME result.
            mode: result.params.mode === 'seif' ? 'SEIF' : 'FLAME',
            headModelName: result.params.headModel.name,
            headModelVersion: result.params.headModel.version,
            timings: result.timings,
            metrics: {
              fit: result.params.fit,
              ...(result.params.texture ? { textureCoverage: result.params.texture.coverage } : {}),
              ...(result.params.seif ? { seif: { weights: result.params.seif.weights, grid: result.params.seif.grid, uniformize: result.params.seif.uniformize, hair: result.params.seif.hair } } : {}),
            },
            warnings: result.warnings.map((warning) => warning.code),
          },
        }),
      ]);
      await publisher.report({ tenantId, reconstructionId, status: 'SUCCEEDED', stage: 'done', progress: 1, message: `${stored.length} files` });
      metrics.jobsSucceeded++;
      log.info({ ms: Math.round(result.timings.total ?? 0), files: stored.length }, 'reconstruction succeeded');
      return { files: stored.length };
    } catch (error) {
      if (error instanceof StopRequested || (isSeifError(error) && error.code === 'ABORTED')) return { skipped: 'stopped' };
      if (isSeifError(error) && isFinalForPhoto(error.code)) {
        await publisher.report({ tenantId, reconstructionId, status: 'FAILED', errorCode: error.code, message: error.message });
        metrics.jobsFailed++;
        log.info({ code: error.code }, 'reconstruction failed: photo');
        return { failed: error.code };
      }
      log.error({ err: error }, 'reconstruction attempt failed; the queue will retry');
      throw error;
    } finally {
      metrics.busy--;
    }
  };
}

/** Codes that describe the photo or the request: retrying cannot help. */
function isFinalForPhoto(code: SeifErrorCode): boolean {
  const entry = SEIF_ERROR_CODES[code] as { photo?: boolean; retryable?: boolean } | undefined;
  return Boolean(entry?.photo) || entry?.retryable === false;
}

/** Dead-letter handler: the last attempt failed for a reason that was not the photo's. */
export function reconstructDeadLetterHandler(services: Pick<ReconstructServices, 'publisher' | 'metrics' | 'logger'>) {
  return async (job: JobContext<ReconstructJob>) => {
    const output = (job.output ?? {}) as { message?: string };
    services.logger.error({ reconstructionId: job.data.reconstructionId, output }, 'reconstruction dead-lettered');
    const outcome = await services.publisher.report({
      tenantId: job.data.tenantId,
      reconstructionId: job.data.reconstructionId,
      status: 'FAILED',
      errorCode: 'INTERNAL',
      message: `The reconstruction failed repeatedly on our side${output.message ? ` (${output.message.slice(0, 300)})` : ''}; retry later or contact support`,
    });
    if (outcome === 'published') services.metrics.jobsFailed++;
  };
}
