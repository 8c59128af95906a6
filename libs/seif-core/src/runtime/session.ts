/**
 * An ONNX session wrapper: created once (at model load), validates feeds against the session's input names and
 * static dims before each run, and rethrows run failures with each input's type and dims (transformers.js
 * session.js `validateInputs` / `sessionRun`).
 */
import * as ort from 'onnxruntime-node';
import { SeifError } from '../pipeline/errors.js';
import { type Device, type ExecutionProviderOptions, executionProviders } from './device.js';

export interface SessionOptions extends ExecutionProviderOptions {
  device?: Device;
  /** At most 2 by default: the machines the platform runs on have 2 cores shared by several workers. */
  intraOpNumThreads?: number;
}

export const DEFAULT_INTRA_OP_THREADS = 2;

interface TensorMeta {
  name: string;
  type?: string;
  /** Static dims; strings or -1 for dynamic ones. */
  shape?: ReadonlyArray<number | string>;
}

function describeFeeds(feeds: Record<string, ort.Tensor>): string {
  return Object.entries(feeds)
    .map(([name, tensor]) => `${name}: ${tensor.type}[${tensor.dims.join(',')}]`)
    .join('; ');
}

export class OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputs: readonly TensorMeta[];
  readonly outputs: readonly TensorMeta[];
  #session: ort.InferenceSession | undefined;

  private constructor(
    readonly id: string,
    readonly device: Device,
    session: ort.InferenceSession,
  ) {
    this.#session = session;
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
    const meta = (list: readonly unknown[] | undefined, names: readonly string[]): TensorMeta[] =>
      names.map((name, index) => {
        const entry = list?.[index] as { name?: string; type?: string; shape?: Array<number | string>; isTensor?: boolean } | undefined;
        return { name, type: entry?.type, shape: entry?.shape };
      });
    const withMeta = session as unknown as { inputMetadata?: unknown[]; outputMetadata?: unknown[] };
    this.inputs = meta(withMeta.inputMetadata, this.inputNames);
    this.outputs = meta(withMeta.outputMetadata, this.outputNames);
  }

  static async create(id: string, modelPath: string, options: SessionOptions = {}): Promise<OnnxSession> {
    const choice = executionProviders(options.device ?? 'cpu', options);
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        executionProviders: choice.providers as ort.InferenceSession.SessionOptions['executionProviders'],
        intraOpNumThreads: Math.min(options.intraOpNumThreads ?? DEFAULT_INTRA_OP_THREADS, DEFAULT_INTRA_OP_THREADS),
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        // No spin-waiting: ORT's pool threads otherwise busy-wait after each run and take a core from the JS stages
        // that follow (fit, texture). On the 2-core bench the whole path's CPU p50 fell from 2.0 s to 1.46 s.
        extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
      });
      return new OnnxSession(id, choice.device, session);
    } catch (cause) {
      throw new SeifError('MODEL_UNAVAILABLE', `Could not load model '${id}' from ${modelPath}: ${(cause as Error).message}`, {
        cause,
        details: { model: id, path: modelPath },
      });
    }
  }

  /** Checks names (missing and unexpected) and static dims; throws INVALID_FEED listing what was given. */
  validate(feeds: Record<string, ort.Tensor>): void {
    const problems: string[] = [];
    for (const input of this.inputs) {
      const tensor = feeds[input.name];
      if (!tensor) {
        problems.push(`missing input '${input.name}'`);
        continue;
      }
      if (input.type && tensor.type !== input.type) problems.push(`'${input.name}' has type ${tensor.type}, expected ${input.type}`);
      if (input.shape) {
        const dims = tensor.dims;
        const matches =
          dims.length === input.shape.length &&
          input.shape.every((want, axis) => typeof want !== 'number' || want < 0 || want === dims[axis]);
        if (!matches) problems.push(`'${input.name}' has dims [${dims.join(',')}], expected [${input.shape.join(',')}]`);
      }
    }
    for (const name of Object.keys(feeds)) {
      if (!this.inputNames.includes(name)) problems.push(`unexpected input '${name}' (model inputs: ${this.inputNames.join(', ')})`);
    }
    if (problems.length > 0) {
      throw new SeifError('INVALID_FEED', `Model '${this.id}': ${problems.join('; ')}. Given: ${describeFeeds(feeds)}.`, {
        details: { model: this.id },
      });
    }
  }

  async run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    const session = this.#session;
    if (!session) throw new SeifError('MODEL_UNAVAILABLE', `Model '${this.id}' was disposed.`);
    this.validate(feeds);
    try {
      return (await session.run(feeds)) as Record<string, ort.Tensor>;
    } catch (cause) {
      throw new SeifError('INTERNAL', `Model '${this.id}' failed to run with ${describeFeeds(feeds)}: ${(cause as Error).message}`, {
        cause,
        details: { model: this.id },
      });
    }
  }

  async dispose(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    await session?.release();
  }
}

export { ort };
