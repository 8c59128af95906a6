/**
 * The animation job: the reconstruction's GLB -> posed to the requested frame (a preset, weights, joint
 * rotations, or the fitted expression of a driving photo; libs/seif-core animateGlb with the worker's head model)
 * -> stored as the animation's GLB artefact.
 */
import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { animateGlb, isSeifError, type ReconstructionPipeline, runStage, SEIF_ERROR_CODES, SeifError } from '@seif/core';
import { type AnimationFrame, preset, type PresetName } from '@seif/flame';
import type { AnimateJob, JobContext, Logger, ObjectStorage, ProgressPublisher } from '@seif/platform';
import type { Database } from '@seif/platform/db';
import type { WorkerMetrics } from '../metrics.js';

export interface AnimateServices {
  db: Database;
  storage: ObjectStorage;
  publisher: ProgressPublisher;
  pipeline: ReconstructionPipeline;
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

/** Joints a driving photo moves: not `global` (the head's place in the photo), the rest are expression. */
const DRIVEN_JOINTS = ['neck', 'jaw', 'eye_l', 'eye_r'] as const;

/**
 * The frame of a driving photo: the production front end and FLAME fit on it, its ARKit weights and joint
 * rotations. jawOpen's weight is left out because the fitted jaw rotation already opens the jaw (the default
 * model would otherwise add the rotation that jawOpen implies a second time).
 */
async function frameOfPhoto(pipeline: ReconstructionPipeline, photo: Uint8Array): Promise<AnimationFrame> {
  const context = { timings: {} };
  const image = (await runStage(pipeline.decode, photo, context)).output;
  const { face } = (await runStage(pipeline.detect.largest, image, context)).output;
  const { points } = (await runStage(pipeline.landmarks, { image, face }, context)).output;
  const { landmarks } = (await runStage(pipeline.normalise, { image, landmarks: points }, context)).output;
  const fit = (await runStage(pipeline.fit, { landmarks }, context)).output;
  const names = fit.model.expression.names;
  const weights: Record<string, number> = {};
  names.forEach((name, k) => {
    const weight = fit.params.expression[k] ?? 0;
    if (weight > 1e-3 && !/^jawOpen$/.test(name)) weights[name] = Math.min(1, weight);
  });
  const joints: Record<string, [number, number, number]> = {};
  for (const joint of DRIVEN_JOINTS) {
    const j = fit.model.joints.names.indexOf(joint);
    if (j >= 0) joints[joint] = [fit.params.pose[3 * j] ?? 0, fit.params.pose[3 * j + 1] ?? 0, fit.params.pose[3 * j + 2] ?? 0];
  }
  return { weights, joints };
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
      let frame: AnimationFrame;
      if (row.kind === 'DRIVING_PHOTO') {
        const photo = row.drivingPhotoId ? await db.photo.findFirst({ where: { id: row.drivingPhotoId, tenantId } }) : null;
        if (!photo) throw new SeifError('INVALID_ARGUMENT', 'The driving photo of this animation is gone');
        await publisher.report({ tenantId, animationId, status: 'RUNNING', stage: 'fit', progress: 0.2 });
        frame = await frameOfPhoto(services.pipeline, await buffer(await storage.get(photo.storageKey)));
      } else {
        frame = frameOf(row.params as StoredAnimationParams);
      }
      await publisher.report({ tenantId, animationId, status: 'RUNNING', stage: 'pose', progress: 0.6 });
      const posed = await animateGlb(source, await services.pipeline.fit.model(), frame);
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
      if (isSeifError(error) && (error.code === 'INVALID_ARGUMENT' || SEIF_ERROR_CODES[error.code].photo)) {
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
