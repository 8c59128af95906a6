/**
 * The manifest's sample photos by what they show, for tests and benchmarks (ids of models/assets.json; licences
 * in each source folder's README). One list, so that a benchmark and a test never disagree on "the portraits".
 */
export const SINGLE_PORTRAITS = Object.freeze([
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
] as const);
export const GROUP_PHOTOS = Object.freeze(['photo-group', 'photo-classroom-in-tanzania', 'photo-laos'] as const);
export const NO_FACE_PHOTOS = Object.freeze(['photo-zebra-stripes'] as const);
