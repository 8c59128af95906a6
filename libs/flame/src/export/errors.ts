/**
 * Public API. The one error type the exporters throw. `code` says what is wrong; the message says which array
 * and what to do about it.
 */
export const EXPORT_ERROR_CODES = Object.freeze([
  /** An array's length is not a multiple of its item size or does not match the vertex count. */
  'INVALID_LENGTH',
  /** A NaN or infinite number in an input array. */
  'NOT_FINITE',
  /** A triangle index points past the vertex array. */
  'INDEX_OUT_OF_RANGE',
  /** A morph target's delta array does not have the positions' length. */
  'MORPH_LENGTH_MISMATCH',
  /** Skin data is inconsistent (joint count, parent order, weights). */
  'INVALID_SKIN',
  /** The requested file format is not one the exporters write. */
  'UNKNOWN_FORMAT',
  /** Texture bytes are neither PNG nor JPEG, or the mime type does not match them. */
  'INVALID_TEXTURE',
  /** Anything else about the input that cannot be written (e.g. empty mesh, duplicate names). */
  'INVALID_INPUT',
] as const);
export type ExportErrorCode = (typeof EXPORT_ERROR_CODES)[number];

export class ExportError extends Error {
  override readonly name = 'ExportError';
  constructor(
    readonly code: ExportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
