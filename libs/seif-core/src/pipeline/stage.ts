/**
 * Public API. The Stage contract every pipeline step implements: typed input and output, a progress callback,
 * timing, and typed errors (SeifError). Stages are plain objects created once (they own their ONNX sessions via
 * the model registry) and run many times; `runStage` adds timing, progress and error normalisation around `run`.
 */
import { performance } from 'node:perf_hooks';
import { SeifError, toSeifError } from './errors.js';

export { SEIF_ERROR_CODES, SeifError, type SeifErrorCode, type SeifErrorOptions, isSeifError, toSeifError } from './errors.js';

export type StageName = 'decode' | 'detect' | 'landmarks' | 'segment' | 'normalise' | (string & {});

export interface StageProgress {
  stage: StageName;
  /** 0..1 within the stage. */
  fraction: number;
  message?: string;
}

/** A non-fatal observation about the input (blur, darkness, pose...), carried with results to the caller. */
export interface StageWarning {
  code: 'BLURRY' | 'DARK' | 'OVEREXPOSED' | 'STRONG_YAW' | 'STRONG_ROLL' | 'LOW_CONFIDENCE' | 'ANIMATED_IMAGE' | (string & {});
  message: string;
  value?: number;
}

export interface StageContext {
  onProgress?: (progress: StageProgress) => void;
  signal?: AbortSignal;
  /** Filled by runStage: stage name -> milliseconds (last run). */
  timings?: Record<string, number>;
}

export interface Stage<I, O> {
  readonly name: StageName;
  run(input: I, context?: StageContext): Promise<O>;
}

/** Reports progress without letting a faulty callback break the stage. */
export function reportProgress(context: StageContext | undefined, progress: StageProgress): void {
  if (!context?.onProgress) return;
  try {
    context.onProgress(progress);
  } catch {
    // A progress consumer's bug must not fail a reconstruction.
  }
}

export function throwIfAborted(context: StageContext | undefined, stage: StageName): void {
  if (context?.signal?.aborted) throw new SeifError('ABORTED', `${stage} aborted`, { stage, cause: context.signal.reason });
}

/** Runs one stage: progress 0 and 1, wall time into context.timings, anything thrown turned into a SeifError. */
export async function runStage<I, O>(stage: Stage<I, O>, input: I, context: StageContext = {}): Promise<{ output: O; ms: number }> {
  throwIfAborted(context, stage.name);
  reportProgress(context, { stage: stage.name, fraction: 0 });
  const start = performance.now();
  try {
    const output = await stage.run(input, context);
    const ms = performance.now() - start;
    if (context.timings) context.timings[stage.name] = ms;
    reportProgress(context, { stage: stage.name, fraction: 1 });
    return { output, ms };
  } catch (thrown) {
    throw toSeifError(thrown, stage.name);
  }
}

/** Times a synchronous or async function (for helpers that are not stages). */
export async function timed<T>(fn: () => T | Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}
