/**
 * Public API. The pluggable reconstruction step of the evaluator: an image in, a mesh with 68 landmarks out.
 * Modes are registered by name (`modes/registry.ts`); the evaluator never knows how a mode works.
 */

export interface EvalImage {
  /** width * height * 3 bytes, interleaved RGB, sRGB, row 0 at the top. */
  data: Uint8Array;
  width: number;
  height: number;
}

export interface ReconstructionContext {
  /** For logs and debugging output only: a reconstruction must use nothing but the image. */
  caseName: string;
  signal?: AbortSignal;
  /** Per-step timings (ms) a mode may fill; they are copied into results.json. */
  timings?: Record<string, number>;
}

export interface ReconstructedHead {
  /** n x 3 positions in `unit`. */
  vertices: Float32Array | Float64Array;
  /** m x 3 triangle indices. */
  faces: Uint32Array;
  /**
   * 68 x 3 iBUG landmarks in the same frame and unit. Only the 7 alignment points (36, 39, 42, 45, 33, 48, 54) must
   * be finite; others may be NaN (e.g. the jaw contour of a static embedding).
   */
  landmarks68: Float64Array;
  unit: 'mm' | 'm';
  /** True when the mesh is a whole head (scalp and neck): then the whole gt.obj is scored too. */
  fullHead: boolean;
  /** Anything worth keeping in results.json (model name, fit residuals...). */
  meta?: Record<string, unknown>;
}

export const RECONSTRUCTION_FAILURES = Object.freeze({
  NO_FACE: 'No face was found in the image.',
  FAILED: 'The reconstruction failed for another reason (see message).',
} as const);
export type ReconstructionFailureCode = keyof typeof RECONSTRUCTION_FAILURES;

export interface ReconstructionFailure {
  failure: { code: ReconstructionFailureCode; message: string };
}

export type ReconstructionOutput = ReconstructedHead | ReconstructionFailure;

export type ReconstructFn = (image: EvalImage, context: ReconstructionContext) => Promise<ReconstructionOutput>;

export interface ReconstructionMode {
  /** Called once per run; loads assets and models. */
  create(): Promise<ReconstructFn>;
  /** One line for --help and the report. */
  description: string;
  /** Releases sessions and other resources after the run (optional). */
  dispose?(): Promise<void>;
}

export function isFailure(output: ReconstructionOutput): output is ReconstructionFailure {
  return 'failure' in output;
}
