/**
 * The animation job: the reconstruction's GLB -> posed to the requested frame (libs/seif-core animateGlb with
 * the head model the reconstruction was made with) -> stored as the animation's GLB artefact.
 */
import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { animateGlb, isSeifError } from '@seif/core';
import { type AnimationFrame, type HeadModel, preset, type PresetName } from '@seif/flame';
import type { AnimateJob, JobContext, Logger, ObjectStorage, ProgressPublisher } from '@seif/platform';
import type { Database } from '@seif/platform/db';
import type { WorkerMetrics } from '../metrics.js';

export interface AnimateServices {
  db: Database;
  storage: ObjectStorage;
  publisher: ProgressPublisher;
  model: () => Promise<HeadModel>;
  logger: Logger;
  metrics: WorkerMetrics;
}

interface StoredAnimationParams {
  preset?: string;
  weights?: Record<string, number>;
  joints?: Record<string, [number, number, number]>;
}

function frameOf(params: StoredAnimationParams): AnimationFrame {
  if (params.preset) return preset(params.preset as PresetName);
  return { ...(params.weights ? { weights: params.weights } : {}), ...(params.joints ? { joints: params.joints } : {}) };
}

export function animateHandler(services: AnimateServices) {
  return async (job: JobContext<AnimateJob>) => {
    const { db, storage, publisher, logger, metrics } = services;
    const { tenantId, animationId } = job.data;
    const row = await db.animation.findFirst({ where: { id: animationId, tenantId } });
    if (!row || row.status === 'CANCELLED' || row.status === 'SUCCEEDED') return { skipped: row?.status ?? 'deleted' };
    const started = await publisher.report({ tenantId, animationId, status: 'RUNNING', stage: 'load', progress: 0.1 });
    if (started !== 'published' && started !== 'coalesced') return { skipped: started };
    const glbArtifact = await db.artifact.findFirst({ where: { reconstructionId: row.reconstructionId, tenantId, kind: 'GLB' } });
    if (!glbArtifact) {
      await publisher.report({ tenantId, animationId, status: 'FAILED', errorCode: 'INVALID_ARGUMENT', message: 'The reconstruction has no GLB to animate; reconstruct with the GLB format' });
      return { failed: 'no GLB' };
    }
    metrics.jobsStarted++;
    try {
      const source = await buffer(await storage.get(glbArtifact.storageKey));
      await publisher.report({ tenantId, animationId, status: 'RUNNING', stage: 'pose', progress: 0.5 });
      const posed = await animateGlb(source, await services.model(), frameOf(row.params as StoredAnimationParams));
      const key = glbArtifact.storageKey.replace(/[^/]+$/, `animations/${animationId}/animated.glb`);
      await storage.put(key, posed, { contentType: 'model/gltf-binary' });
      await db.$transaction([
        db.artifact.deleteMany({ where: { animationId } }),
        db.artifact.create({
          data: { tenantId, animationId, kind: 'GLB', storageKey: key, bytes: posed.byteLength, contentType: 'model/gltf-binary', sha256: createHash('sha256').update(posed).digest('hex') },
        }),
      ]);
      await publisher.report({ tenantId, animationId, status: 'SUCCEEDED', stage: 'done', progress: 1 });
      metrics.jobsSucceeded++;
      return { bytes: posed.byteLength };
    } catch (error) {
      if (isSeifError(error) && error.code === 'INVALID_ARGUMENT') {
        await publisher.report({ tenantId, animationId, status: 'FAILED', errorCode: error.code, message: error.message });
        metrics.jobsFailed++;
        return { failed: error.code };
      }
      logger.error({ err: error, animationId }, 'animation attempt failed; the queue will retry');
      throw error;
    }
  };
}

export function animateDeadLetterHandler(services: Pick<AnimateServices, 'publisher' | 'metrics'>) {
  return async (job: JobContext<AnimateJob>) => {
    const output = (job.output ?? {}) as { message?: string };
    const outcome = await services.publisher.report({
      tenantId: job.data.tenantId,
      animationId: job.data.animationId,
      status: 'FAILED',
      errorCode: 'INTERNAL',
      message: `The animation failed repeatedly on our side${output.message ? ` (${output.message.slice(0, 300)})` : ''}`,
    });
    if (outcome === 'published') services.metrics.jobsFailed++;
  };
}
