/**
 * Animations through the API: validate the requested frame here (so a bad name is a typed error now, not a
 * failed job later), then create the row and its job in one transaction; the worker poses the GLB.
 */
import { randomUUID } from 'node:crypto';
import { ARKIT_BLENDSHAPES, FLAME_JOINT_NAMES, PRESET_NAMES } from '@seif/flame';
import { jobIdFor, prismaTransactionExecutor, QUEUES } from '@seif/platform';
import type { ApiContext } from '../context.js';
import { requireScope } from '../context.js';
import { type UserError, userError } from '../errors.js';
import { fromGlobalId, toGlobalId } from '../relay.js';
import { photoKey } from '../storage-keys.js';
import { type CheckedPhoto, checkPhoto, collectUpload, type UploadedFile } from '../uploads.js';
import { etaSeconds } from './progress.js';

interface CreateAnimationInput {
  reconstructionId: string;
  preset?: string | null;
  arkitWeights?: unknown;
  flameParams?: unknown;
  drivingPhoto?: Promise<UploadedFile> | null;
}

/** What the worker reads back from Animation.params: an AnimationFrame of libs/flame. */
export interface AnimationParams {
  preset?: string;
  weights?: Record<string, number>;
  joints?: Record<string, [number, number, number]>;
}

const ARKIT = new Set<string>(ARKIT_BLENDSHAPES);
const JOINTS = new Set<string>(FLAME_JOINT_NAMES);
/** ICT's spelling (eyeBlink_L) is accepted too; the model stores both. */
const arkitName = (name: string) => name.replace(/_L$/, 'Left').replace(/_R$/, 'Right');

function checkWeights(value: unknown, field: string[]): Record<string, number> | UserError {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return userError('INVALID_ARGUMENT', 'ARKit weights must be an object of name: number', field);
  const weights: Record<string, number> = {};
  for (const [name, weight] of Object.entries(value)) {
    if (!ARKIT.has(arkitName(name))) return userError('INVALID_ARGUMENT', `Unknown ARKit blendshape "${name}"`, [...field, name]);
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 1) {
      return userError('INVALID_ARGUMENT', `Weight of "${name}" must be a number in [0, 1]`, [...field, name]);
    }
    weights[arkitName(name)] = weight;
  }
  return weights;
}

function checkJoints(value: unknown, field: string[]): Record<string, [number, number, number]> | UserError {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return userError('INVALID_ARGUMENT', 'pose must be an object of joint: [x, y, z]', field);
  const joints: Record<string, [number, number, number]> = {};
  for (const [name, rotation] of Object.entries(value)) {
    if (!JOINTS.has(name)) return userError('INVALID_ARGUMENT', `Unknown joint "${name}"; joints: ${FLAME_JOINT_NAMES.join(', ')}`, [...field, name]);
    const ok = Array.isArray(rotation) && rotation.length === 3 && rotation.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!ok || Math.hypot(...(rotation as number[])) > Math.PI) {
      return userError('INVALID_ARGUMENT', `Rotation of "${name}" must be an axis-angle [x, y, z] of at most pi radians`, [...field, name]);
    }
    joints[name] = rotation as [number, number, number];
  }
  return joints;
}

function checkFrame(input: CreateAnimationInput): { kind: 'PRESET' | 'ARKIT_WEIGHTS' | 'FLAME_PARAMS' | 'DRIVING_PHOTO'; params: AnimationParams } | UserError {
  const given = [input.preset != null, input.arkitWeights != null, input.flameParams != null, input.drivingPhoto != null].filter(Boolean).length;
  if (given !== 1) return userError('INVALID_ARGUMENT', 'Give exactly one of preset, arkitWeights, flameParams or drivingPhoto', ['input']);
  // The photo's frame is found by the worker (it needs the networks); the upload is checked by the caller.
  if (input.drivingPhoto != null) return { kind: 'DRIVING_PHOTO', params: {} };
  if (input.preset != null) {
    if (!(PRESET_NAMES as readonly string[]).includes(input.preset)) {
      return userError('INVALID_ARGUMENT', `Unknown preset "${input.preset}"; presets: ${PRESET_NAMES.join(', ')}`, ['input', 'preset']);
    }
    return { kind: 'PRESET', params: { preset: input.preset } };
  }
  if (input.arkitWeights != null) {
    const weights = checkWeights(input.arkitWeights, ['input', 'arkitWeights']);
    return 'code' in weights ? (weights as UserError) : { kind: 'ARKIT_WEIGHTS', params: { weights } };
  }
  const flame = input.flameParams as { pose?: unknown; expression?: unknown } | null;
  if (typeof flame !== 'object' || flame === null || Array.isArray(flame)) return userError('INVALID_ARGUMENT', 'flameParams must be an object {pose, expression}', ['input', 'flameParams']);
  const unknown = Object.keys(flame).filter((key) => key !== 'pose' && key !== 'expression');
  if (unknown.length) return userError('INVALID_ARGUMENT', `Unknown flameParams field "${unknown[0]}"; use pose and expression`, ['input', 'flameParams', unknown[0] as string]);
  const params: AnimationParams = {};
  if (flame.pose !== undefined) {
    const joints = checkJoints(flame.pose, ['input', 'flameParams', 'pose']);
    if ('code' in joints) return joints as UserError;
    params.joints = joints;
  }
  if (flame.expression !== undefined) {
    const weights = checkWeights(flame.expression, ['input', 'flameParams', 'expression']);
    if ('code' in weights) return weights as UserError;
    params.weights = weights;
  }
  return { kind: 'FLAME_PARAMS', params };
}

async function createAnimation(_parent: unknown, { input }: { input: CreateAnimationInput }, context: ApiContext) {
  const viewer = requireScope(context, 'WRITE');
  const fail = (error: UserError) => ({ animation: null, errors: [error] });
  // Read any upload first, whatever happens next: an unread request body resets the client's connection.
  const uploaded = input.drivingPhoto != null ? await collectUpload(input.drivingPhoto, ['input', 'drivingPhoto']) : undefined;
  const parsed = fromGlobalId(input.reconstructionId, 'Reconstruction');
  const reconstruction = parsed && (await context.db.reconstruction.findFirst({ where: { id: parsed.id, tenantId: viewer.tenantId } }));
  if (!reconstruction) return fail(userError('NOT_FOUND', 'No reconstruction with this id', ['input', 'reconstructionId']));
  if (reconstruction.status !== 'SUCCEEDED') {
    return fail(userError('INVALID_ARGUMENT', `The reconstruction is ${reconstruction.status.toLowerCase()}; only a succeeded one can be animated`, ['input', 'reconstructionId']));
  }
  const frame = checkFrame(input);
  if ('code' in frame) return fail(frame);
  let driving: { id: string; key: string; photo: CheckedPhoto } | undefined;
  if (uploaded) {
    if ('code' in uploaded) return fail(uploaded);
    const photo = await checkPhoto(uploaded, ['input', 'drivingPhoto']);
    if ('code' in photo) return fail(photo);
    const id = randomUUID();
    driving = { id, key: photoKey(viewer.tenantId, reconstruction.subjectId, id, photo.extension), photo };
    await context.storage.put(driving.key, photo.bytes, { contentType: photo.mime });
  }
  const animation = await context.db.$transaction(async (tx) => {
    if (driving) {
      const { photo } = driving;
      await tx.photo.create({
        data: { id: driving.id, tenantId: viewer.tenantId, subjectId: reconstruction.subjectId, storageKey: driving.key, sha256: photo.sha256, bytes: photo.bytes.length, width: photo.width, height: photo.height, mime: photo.mime },
      });
    }
    const created = await tx.animation.create({
      data: { tenantId: viewer.tenantId, reconstructionId: reconstruction.id, kind: frame.kind, params: { ...frame.params }, drivingPhotoId: driving?.id ?? null },
    });
    const key = `${created.id}:0`;
    await context.queue.enqueue(QUEUES.ANIMATE, { tenantId: viewer.tenantId, animationId: created.id }, { db: prismaTransactionExecutor(tx), idempotencyKey: key });
    await tx.progressEvent.create({ data: { tenantId: viewer.tenantId, animationId: created.id, status: 'QUEUED', progress: 0, message: 'queued' } });
    return tx.animation.update({ where: { id: created.id }, data: { jobId: jobIdFor(QUEUES.ANIMATE, key) } });
  }).catch(async (error: unknown) => {
    if (driving) await context.storage.delete(driving.key).catch(() => {});
    throw error;
  });
  return { animation, errors: [] };
}

async function* animationProgress(context: ApiContext, id: string) {
  const viewer = requireScope(context, 'READ');
  const parsed = fromGlobalId(id, 'Animation');
  const row = parsed && (await context.db.animation.findFirst({ where: { id: parsed.id, tenantId: viewer.tenantId } }));
  if (!row) throw Object.assign(new Error('No animation with this id'), { extensions: { code: 'NOT_FOUND' } });
  for await (const update of context.progress.subscribe('animation', row.id, { tenantId: viewer.tenantId })) {
    const position = update.status === 'QUEUED' && row.jobId ? await context.queue.queuePosition(QUEUES.ANIMATE, row.jobId) : null;
    yield {
      animationProgress: {
        id: toGlobalId('Animation', row.id),
        status: update.status,
        stage: update.stage,
        progress: update.progress,
        queuePosition: position,
        message: update.message,
        etaSeconds: etaSeconds(update, row.createdAt),
        error: update.errorCode ? { code: update.errorCode, message: update.message ?? update.errorCode } : null,
      },
    };
  }
}

export const animationResolvers = {
  Mutation: { createAnimation },
  Subscription: {
    animationProgress: { subscribe: (_parent: unknown, { id }: { id: string }, context: ApiContext) => animationProgress(context, id) },
  },
};
