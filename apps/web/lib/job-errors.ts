/**
 * What each typed error means to a person, and what to do next. Codes come from the worker (JobError.code:
 * NO_FACE, MULTIPLE_FACES, IMAGE_TOO_LARGE, INVALID_IMAGE, INTERNAL, ...) or from the upload mutation's
 * UserError (NO_FACE_FOUND, ...); both spellings map to the same advice. Pure, so unit tests cover every code.
 */
export interface ErrorAdvice {
  title: string;
  /** What to do next, one sentence. */
  action: string;
  /** Whether uploading another photo is the way forward (the page then offers the upload button first). */
  tryAnotherPhoto: boolean;
}

const ADVICE: Record<string, ErrorAdvice> = {
  NO_FACE: {
    title: 'No face found in this photo',
    action: 'Upload a photo where one face is clearly visible, facing the camera, well lit and not covered (no sunglasses or masks).',
    tryAnotherPhoto: true,
  },
  MULTIPLE_FACES: {
    title: 'This photo shows more than one face',
    action: 'Crop the photo to the one person you want, or upload a portrait with a single face.',
    tryAnotherPhoto: true,
  },
  IMAGE_TOO_LARGE: {
    title: 'The photo is too large',
    action: 'Use a photo of at most 20 MB and 50 megapixels: export it at a smaller size (2000 px on the long side is plenty).',
    tryAnotherPhoto: true,
  },
  INVALID_IMAGE: {
    title: 'The file could not be read as a photo',
    action: 'Upload a JPEG, PNG, WebP, AVIF or TIFF image; the file may be damaged or in another format.',
    tryAnotherPhoto: true,
  },
  UNSUPPORTED_FORMAT: {
    title: 'This image format is not supported',
    action: 'Save the photo as JPEG, PNG, WebP, AVIF or TIFF and upload that.',
    tryAnotherPhoto: true,
  },
  FACE_TOO_SMALL: {
    title: 'The face is too small in this photo',
    action: 'Upload a closer portrait, or crop this one so the face fills at least a quarter of the picture.',
    tryAnotherPhoto: true,
  },
  FACE_TRUNCATED: {
    title: 'The face is cut off by the edge of the photo',
    action: 'Upload a photo that shows the whole face, from the hairline to the chin and both ears, with some margin.',
    tryAnotherPhoto: true,
  },
  LANDMARKS_FAILED: {
    title: 'The face could not be read reliably',
    action: 'Upload a sharper, evenly lit photo of the face from the front, without hands, hair or glasses covering it.',
    tryAnotherPhoto: true,
  },
  INVALID_ARGUMENT: {
    title: 'The request could not be processed',
    action: 'Retrying with the same settings fails again: upload the photo again, or contact support with the reconstruction id.',
    tryAnotherPhoto: false,
  },
  QUOTA_EXCEEDED: {
    title: 'Your organisation has reached its quota',
    action: 'Delete subjects you no longer need, or ask your administrator to raise the quota.',
    tryAnotherPhoto: false,
  },
  FORBIDDEN: {
    title: 'Your key may not do this',
    action: 'Uploading needs an API key with the WRITE scope: sign in with such a key.',
    tryAnotherPhoto: false,
  },
  CANCELLED: {
    title: 'The reconstruction was cancelled',
    action: 'Retry it to queue it again with the same photo.',
    tryAnotherPhoto: false,
  },
};

const ALIASES: Record<string, string> = { NO_FACE_FOUND: 'NO_FACE', CORRUPT_IMAGE: 'INVALID_IMAGE', TOO_MANY_FACES: 'MULTIPLE_FACES' };

const FALLBACK: ErrorAdvice = {
  title: 'The reconstruction failed',
  action: 'This is on our side, not your photo: retry it. If it fails again, contact support with the reconstruction id.',
  tryAnotherPhoto: false,
};

export function errorAdvice(code: string | null | undefined): ErrorAdvice {
  if (!code) return FALLBACK;
  return ADVICE[ALIASES[code] ?? code] ?? FALLBACK;
}

/** A job error as the API reports it: `photoProblem` and `retryable` come from the pipeline's code table. */
export interface JobErrorInfo {
  code: string;
  message: string;
  photoProblem?: boolean | null;
  retryable?: boolean | null;
}

/**
 * What a failed or cancelled job offers. A photo problem offers another upload and never "Retry" (the same photo
 * fails the same way); a cancelled job or a transient failure on our side offers "Retry"; an error that is
 * neither (e.g. an invalid request) offers neither and says whom to ask. The API's flags win over the local
 * table, which only covers them when an older API does not send them.
 */
export function nextSteps(status: 'FAILED' | 'CANCELLED', error: JobErrorInfo | null | undefined): { advice: ErrorAdvice; retry: boolean; uploadAnother: boolean } {
  if (status === 'CANCELLED') return { advice: errorAdvice('CANCELLED'), retry: true, uploadAnother: false };
  const advice = errorAdvice(error?.code);
  const photo = error?.photoProblem ?? advice.tryAnotherPhoto;
  const retryable = error?.retryable ?? advice === FALLBACK;
  const retry = !photo && retryable;
  // The fallback's advice is "retry it"; when the API says retrying cannot help, say so instead.
  return { advice: !retry && !photo && advice === FALLBACK ? NOT_RETRYABLE : advice, retry, uploadAnother: photo };
}

const NOT_RETRYABLE: ErrorAdvice = {
  title: 'The reconstruction failed',
  action: 'This is on our side, not your photo, and retrying will not help until it is fixed: contact support with the reconstruction id.',
  tryAnotherPhoto: false,
};

/** Client-side checks before an upload (the API checks again): type and size. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
export const ACCEPTED_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/avif', 'image/tiff'] as const;

export function checkPhoto(file: { type: string; size: number; name: string }): string | null {
  const type = file.type || guessType(file.name);
  if (!(ACCEPTED_TYPES as readonly string[]).includes(type)) return `“${file.name}” is not a JPEG, PNG, WebP, AVIF or TIFF image.`;
  if (file.size > MAX_UPLOAD_BYTES) return `“${file.name}” is ${(file.size / 1024 / 1024).toFixed(1)} MB; the limit is 20 MB. Export it at a smaller size.`;
  if (file.size === 0) return `“${file.name}” is empty.`;
  return null;
}

function guessType(name: string): string {
  const ext = name.toLowerCase().split('.').pop();
  return { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', avif: 'image/avif', tif: 'image/tiff', tiff: 'image/tiff' }[ext ?? ''] ?? '';
}

/** Words for the stage names the worker reports (unknown stages show their own name, capitalised). */
export const STAGE_LABELS: Readonly<Record<string, string>> = {
  queued: 'Starting',
  starting: 'Starting',
  load: 'Loading models',
  decode: 'Reading the photo',
  detect: 'Finding the face',
  landmarks: 'Placing landmarks',
  segment: 'Separating head and background',
  normalise: 'Cropping and normalising',
  fit: 'Fitting the head model',
  pose: 'Estimating pose',
  texture: 'Painting the texture',
  export: 'Writing the 3D files',
  thumbnail: 'Rendering a thumbnail',
  store: 'Storing the results',
  done: 'Done',
};

export function stageLabel(stage: string | null | undefined): string {
  if (!stage) return 'Waiting';
  return STAGE_LABELS[stage] ?? stage.charAt(0).toUpperCase() + stage.slice(1);
}
