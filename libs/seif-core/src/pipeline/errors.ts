/**
 * Public API. One error class for the whole pipeline, with a `code` from a frozen table and the original failure
 * as `cause` (the tRPC habit: callers switch on `code`, logs keep the cause).
 */

/**
 * Every code a stage may raise. `photo` codes describe the user's photo (show the message to the user, retrying
 * the same photo will fail again); `retryable` codes are transient (a worker may retry the job).
 */
export const SEIF_ERROR_CODES = Object.freeze({
  INVALID_ARGUMENT: { photo: false, retryable: false, message: 'An option or argument is invalid.' },
  INVALID_IMAGE: { photo: true, retryable: false, message: 'The file is not a readable image (corrupt or truncated).' },
  IMAGE_TOO_LARGE: { photo: true, retryable: false, message: 'The image exceeds the byte or pixel limit.' },
  UNSUPPORTED_FORMAT: { photo: true, retryable: false, message: 'The image format is not supported (use JPEG, PNG, WebP, AVIF or TIFF).' },
  NO_FACE: { photo: true, retryable: false, message: 'No face was found in the photo.' },
  MULTIPLE_FACES: { photo: true, retryable: false, message: 'More than one face was found; crop the photo to one person or choose the largest face.' },
  FACE_TOO_SMALL: { photo: true, retryable: false, message: 'The face is too small in the photo for a reliable reconstruction.' },
  FACE_TRUNCATED: { photo: true, retryable: false, message: 'The face is cut off by the photo border.' },
  LANDMARKS_FAILED: { photo: true, retryable: false, message: 'Facial landmarks could not be located reliably.' },
  MODEL_UNAVAILABLE: { photo: false, retryable: true, message: 'A model file could not be loaded.' },
  DEVICE_UNAVAILABLE: { photo: false, retryable: false, message: 'The requested compute device is not available.' },
  INVALID_FEED: { photo: false, retryable: false, message: 'A network was given inputs of the wrong name, type or shape.' },
  ABORTED: { photo: false, retryable: true, message: 'The operation was aborted.' },
  INTERNAL: { photo: false, retryable: true, message: 'An internal error occurred.' },
} as const);

export type SeifErrorCode = keyof typeof SEIF_ERROR_CODES;

export interface SeifErrorOptions {
  cause?: unknown;
  /** Stage that raised it (set by runStage when missing). */
  stage?: string;
  /** Structured facts for logs and API responses (counts, sizes); must be JSON-serialisable. */
  details?: Record<string, unknown>;
}

export class SeifError extends Error {
  override readonly name = 'SeifError';
  readonly code: SeifErrorCode;
  stage: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: SeifErrorCode, message?: string, options: SeifErrorOptions = {}) {
    super(message ?? SEIF_ERROR_CODES[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.stage = options.stage;
    this.details = options.details;
  }

  /** True when the message is about the user's photo rather than about the system. */
  get isPhotoProblem(): boolean {
    return SEIF_ERROR_CODES[this.code].photo;
  }

  get retryable(): boolean {
    return SEIF_ERROR_CODES[this.code].retryable;
  }

  toJSON(): { code: SeifErrorCode; message: string; stage?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.stage ? { stage: this.stage } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isSeifError(value: unknown): value is SeifError {
  return value instanceof SeifError;
}

/**
 * Turns anything thrown into a SeifError: SeifErrors pass through (stage filled in if missing), AbortErrors become
 * ABORTED, everything else INTERNAL with the original as `cause`.
 */
export function toSeifError(thrown: unknown, stage?: string): SeifError {
  if (thrown instanceof SeifError) {
    if (!thrown.stage && stage) thrown.stage = stage;
    return thrown;
  }
  if (thrown instanceof Error && (thrown.name === 'AbortError' || thrown.name === 'TimeoutError')) {
    return new SeifError('ABORTED', thrown.message, { cause: thrown, stage });
  }
  const text = thrown instanceof Error ? thrown.message : String(thrown);
  return new SeifError('INTERNAL', `${stage ? `${stage}: ` : ''}${text}`, { cause: thrown, stage });
}
