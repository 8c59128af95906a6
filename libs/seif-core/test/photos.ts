/** Sample photos through the asset fetcher (hash-checked, cached outside git), decoded once per test file. */
import { assetPath } from '@seif/models';
import { DecodeStage, type DecodedImage } from '../src/stages/decode.js';

export const SINGLE_PORTRAITS = [
  'photo-city-portrait',
  'photo-model-face',
  'photo-woman-portrait',
  'photo-angry',
  'photo-neutral',
  'photo-surprised',
  'photo-happy-baby',
  'photo-sad-baby',
  'photo-bryan',
  'photo-luciano',
] as const;
export const GROUP_PHOTOS = ['photo-group', 'photo-classroom-in-tanzania', 'photo-laos'] as const;
export const NO_FACE_PHOTOS = ['photo-zebra-stripes'] as const;

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
