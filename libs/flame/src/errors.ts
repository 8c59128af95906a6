/**
 * Public API. One error class for the whole library: a stable `code` callers can switch on, a message that says
 * what is wrong and what to do, and the original error as `cause` when there is one.
 */
export const FLAME_ERROR_CODES = Object.freeze([
  /** A file is truncated, has a bad magic number or checksum, or its bytes do not parse. */
  'CORRUPT_FILE',
  /** A well-formed file uses a feature this reader does not implement (dtype, pickle opcode, class, version). */
  'UNSUPPORTED_FORMAT',
  /** An array has the wrong length or shape for the model it is used with. */
  'BAD_SHAPE',
  /** A parameter is NaN, infinite or outside its allowed range. */
  'BAD_VALUE',
  /** A preset, blendshape, joint, landmark set or mask name is not known. */
  'UNKNOWN_NAME',
  /** A required input file or module is missing. */
  'MISSING_INPUT',
] as const);

export type FlameErrorCode = (typeof FLAME_ERROR_CODES)[number];

export class FlameError extends Error {
  override readonly name = 'FlameError';
  constructor(
    readonly code: FlameErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Wraps anything thrown into a FlameError with `code`, keeping FlameErrors as they are. */
export function toFlameError(code: FlameErrorCode, context: string, cause: unknown): FlameError {
  if (cause instanceof FlameError) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new FlameError(code, `${context}: ${detail}`, { cause });
}
