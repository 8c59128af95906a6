/**
 * Public API. The model registry: each network is loaded once per process (sessions are shared by every stage
 * instance that asks for it) and released by `disposeModels()` on shutdown. Loading goes through the asset
 * fetcher, so files are hash-checked before use.
 */
import { assetPath } from '@seif/models';
import { SeifError } from '../pipeline/errors.js';
import { OnnxSession, type SessionOptions } from './session.js';

/** The networks seif-core knows; asking for anything else throws listing these. */
export const MODEL_ASSETS = Object.freeze({
  'face-detection-short': 'mediapipe-face-detection-short-range',
  'face-detection-full': 'mediapipe-face-detection-full-range',
  'face-landmark': 'mediapipe-face-landmark',
  'iris-landmark': 'mediapipe-iris-landmark',
  'selfie-segmentation': 'mediapipe-selfie-segmentation-landscape',
} as const);

export type ModelName = keyof typeof MODEL_ASSETS;

const loaded = new Map<string, Promise<OnnxSession>>();

function key(name: string, options: SessionOptions): string {
  return `${name}@${options.device ?? 'cpu'}`;
}

/** Resolves an asset id through the fetcher, as MODEL_UNAVAILABLE when it cannot be had. */
export async function resolveAsset(assetId: string): Promise<string> {
  try {
    return await assetPath(assetId);
  } catch (cause) {
    throw new SeifError('MODEL_UNAVAILABLE', `Asset '${assetId}' is not available: ${(cause as Error).message}`, {
      cause,
      details: { asset: assetId },
    });
  }
}

/** The shared session for a model, loading it on first use. */
export function loadModel(name: ModelName, options: SessionOptions = {}): Promise<OnnxSession> {
  if (!(name in MODEL_ASSETS)) {
    return Promise.reject(
      new SeifError('INVALID_ARGUMENT', `Unknown model '${name}'; known models: ${Object.keys(MODEL_ASSETS).join(', ')}.`),
    );
  }
  const k = key(name, options);
  let pending = loaded.get(k);
  if (!pending) {
    pending = resolveAsset(MODEL_ASSETS[name]).then((file) => OnnxSession.create(name, file, options));
    // A failed load is not cached: the next call retries (the file may have been fetched meanwhile).
    pending.catch(() => loaded.delete(k));
    loaded.set(k, pending);
  }
  return pending;
}

/** Releases every loaded session (call on shutdown; later loads create new sessions). */
export async function disposeModels(): Promise<void> {
  const all = [...loaded.values()];
  loaded.clear();
  await Promise.all(all.map(async (pending) => (await pending.catch(() => undefined))?.dispose()));
}

export function loadedModels(): string[] {
  return [...loaded.keys()];
}
