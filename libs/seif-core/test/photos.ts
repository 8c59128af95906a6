/** Sample photos through the asset fetcher (hash-checked, cached outside git), decoded once per test file. */
import { assetPath } from '@seif/models';
import { DecodeStage, type DecodedImage } from '../src/stages/decode.js';

export { GROUP_PHOTOS, NO_FACE_PHOTOS, SINGLE_PORTRAITS } from '@seif/models';

const decoder = new DecodeStage();
const cache = new Map<string, Promise<DecodedImage>>();

export function photo(id: string): Promise<DecodedImage> {
  let pending = cache.get(id);
  if (!pending) {
    pending = assetPath(id).then((file) => decoder.run(file));
    cache.set(id, pending);
  }
  return pending;
}
