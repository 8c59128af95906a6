export { ASSET_ERROR_CODES, AssetError, type AssetErrorCode } from './errors.js';
export { AssetFetcher, assetPath, type FetcherOptions, fetcherOptionsFromEnv, sha256File } from './fetcher.js';
export { type AssetEntry, AssetManifest, MANIFEST_PATH, mirrorRelativePath, parseUpstream, upstreamUrl } from './manifest.js';
export { GROUP_PHOTOS, NO_FACE_PHOTOS, SINGLE_PORTRAITS } from './sample-photos.js';
export {
  DEFAULT_SEIF_WEIGHTS, type SeifNetSpec, SeifNetSpecSchema, type SeifWeights, WEIGHTS_DIR, WEIGHTS_MANIFEST_PATH, type WeightsEntry, loadSeifWeights,
  readSeifNetDir, readWeightsManifest, seifWeights,
} from './weights.js';
