/** Why an asset could not be provided. Each code says what the operator can do about it. */
export const ASSET_ERROR_CODES = {
  UNKNOWN_ASSET: 'UNKNOWN_ASSET',
  ASSET_UNAVAILABLE: 'ASSET_UNAVAILABLE',
  ASSET_HASH_MISMATCH: 'ASSET_HASH_MISMATCH',
  MANIFEST_INVALID: 'MANIFEST_INVALID',
} as const;
export type AssetErrorCode = keyof typeof ASSET_ERROR_CODES;

export class AssetError extends Error {
  override readonly name = 'AssetError';
  constructor(
    readonly code: AssetErrorCode,
    readonly assetId: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
