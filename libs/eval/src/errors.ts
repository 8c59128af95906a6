/** Public API. One error class for the evaluator, with a code and the original error as `cause`. */

export const EVAL_ERROR_CODES = Object.freeze({
  BAD_SET: 'The set folder or a case in it is not in the expected format.',
  BAD_ARGUMENT: 'A command-line argument or option is invalid.',
  MODE_NOT_AVAILABLE: 'The reconstruction mode is registered but not available yet.',
  UNKNOWN_MODE: 'No reconstruction mode has that name.',
  BAD_RECONSTRUCTION: 'A reconstruction returned malformed output.',
  ALIGNMENT_FAILED: 'The reconstruction could not be aligned to the ground truth.',
} as const);

export type EvalErrorCode = keyof typeof EVAL_ERROR_CODES;

export class EvalError extends Error {
  override readonly name = 'EvalError';
  constructor(
    readonly code: EvalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
