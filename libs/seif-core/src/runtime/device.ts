/**
 * Public API. Device -> onnxruntime execution providers, in one function (the transformers.js habit): the
 * CUDA-else-CPU policy of the whole platform lives here and nowhere else.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { listSupportedBackends } from 'onnxruntime-node';
import { SeifError } from '../pipeline/errors.js';

export const DEVICES = Object.freeze(['cpu', 'cuda'] as const);
export type Device = (typeof DEVICES)[number];

export interface ExecutionProviderOptions {
  /**
   * What to do when 'cuda' is requested but not available: 'error' (default) throws DEVICE_UNAVAILABLE, 'cpu'
   * silently falls back to the CPU provider (the caller can see it in the returned `device`).
   */
  fallback?: 'error' | 'cpu';
  /** CUDA device index. */
  deviceId?: number;
  /** For tests: override the availability probe. */
  cudaAvailable?: boolean;
}

export interface ExecutionProviderChoice {
  device: Device;
  providers: Array<string | { name: string; deviceId?: number }>;
}

let cudaProbe: boolean | undefined;

/**
 * Whether the CUDA provider can load: onnxruntime-node lists it, and its provider library is present next to the
 * binding (onnxruntime-node ships it only when installed with `--onnxruntime-node-install=cuda`).
 */
export function isCudaAvailable(): boolean {
  if (cudaProbe !== undefined) return cudaProbe;
  try {
    const backend = listSupportedBackends().find((entry) => entry.name === 'cuda');
    if (!backend) return (cudaProbe = false);
    if (backend.bundled) return (cudaProbe = true);
    const require = createRequire(import.meta.url);
    const root = path.dirname(require.resolve('onnxruntime-node/package.json'));
    const binDir = path.join(root, 'bin', `napi-v6`, process.platform, process.arch);
    const candidates = [binDir, path.join(root, 'bin', 'napi-v3', process.platform, process.arch)];
    cudaProbe = candidates.some((dir) => existsSync(path.join(dir, 'libonnxruntime_providers_cuda.so')));
  } catch {
    cudaProbe = false;
  }
  return cudaProbe;
}

/** Execution providers for a device. Throws INVALID_ARGUMENT for unknown devices (listing the valid ones). */
export function executionProviders(device: string, options: ExecutionProviderOptions = {}): ExecutionProviderChoice {
  switch (device) {
    case 'cpu':
      return { device: 'cpu', providers: ['cpu'] };
    case 'cuda': {
      const available = options.cudaAvailable ?? isCudaAvailable();
      if (available) return { device: 'cuda', providers: [{ name: 'cuda', deviceId: options.deviceId ?? 0 }, 'cpu'] };
      if (options.fallback === 'cpu') return { device: 'cpu', providers: ['cpu'] };
      throw new SeifError(
        'DEVICE_UNAVAILABLE',
        "Device 'cuda' was requested but onnxruntime-node has no CUDA provider here (install onnxruntime-node with " +
          "--onnxruntime-node-install=cuda on a machine with CUDA 12 and cuDNN 9), or pass fallback: 'cpu'.",
        { details: { device } },
      );
    }
    default:
      throw new SeifError('INVALID_ARGUMENT', `Unknown device '${device}'; valid devices: ${DEVICES.join(', ')}.`, {
        details: { device },
      });
  }
}
