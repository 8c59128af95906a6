/**
 * Public API. normalise: crop and scale the photo into the SeIF frame (ARCHITECTURE.md): a size x size crop
 * (512 by default) spanning [-0.5, 0.5] in X and Y, image u = 2X, v = -2Y in normalised coordinates (pixel
 * u_px = (X + 0.5) * size, v_px = (0.5 - Y) * size), the head about 88 % of the crop height.
 *
 * Head extent from the landmarks: the chin (152) to upper-forehead (10) distance, measured in 3D with MediaPipe's
 * z (same pixel scale as x) so that pitch and yaw do not shrink it, times HEAD_TO_FACE: vertex-to-menton head
 * height over menton-to-upper-forehead height (~23 cm / ~17 cm for adults, anthropometric means; the canonical
 * MediaPipe mesh spans 17.7 cm from 152 to 10). The head spans from the chin upward along the face's up axis.
 * The similarity transform (scale, rotation, translation) and its inverse are kept, so any result in the frame
 * maps back to photo pixels.
 */
import { type Affine2D, type RgbImage, applyAffine, composeAffine, invertAffine, warpAffineToTensor } from '../image/image.js';
import { SeifError } from '../pipeline/errors.js';
import type { Stage, StageContext } from '../pipeline/stage.js';
import { LANDMARK_INDEX, NUM_LANDMARKS } from './landmarks.js';

/** Head height (top of skull to chin) over landmark 152 -> 10 distance. */
export const HEAD_TO_FACE = 1.35;
/** Fraction of the crop height the head fills (ARCHITECTURE.md). */
export const HEAD_FILL = 0.88;

export interface NormaliseOptions {
  size?: number;
  /** 'keep' (default): no rotation, the photo's roll stays in the crop (the head fit estimates it);
   * 'level': rotate so the face's up axis is vertical. */
  roll?: 'keep' | 'level';
  headFill?: number;
  /** Out-of-photo pixels: black ('zero', default) or edge pixels repeated ('replicate'); see `valid`. */
  border?: 'zero' | 'replicate';
}

export interface NormaliseInput {
  image: RgbImage;
  /** 478 (or 468) x 3 landmarks in image pixels. */
  landmarks: Float32Array;
  /** Optional per-pixel labels or mask in image space to crop alongside (e.g. the segmentation), 1 byte/pixel. */
  mask?: Uint8Array;
}

export interface SeifFrameTransform {
  size: number;
  /** Photo pixels -> crop pixels. */
  imageToCrop: Affine2D;
  /** Crop pixels -> photo pixels. */
  cropToImage: Affine2D;
  /** Photo pixels -> SeIF frame (X, Y). */
  imageToFrame: Affine2D;
  /** SeIF frame (X, Y) -> photo pixels. */
  frameToImage: Affine2D;
  /** Crop pixels per photo pixel (for scaling depths). */
  scale: number;
  /** Rotation applied (radians, photo -> crop). */
  rotation: number;
}

export interface NormalisedFace {
  /** size x size RGB crop. */
  image: RgbImage;
  /** 1 where the crop pixel comes from inside the photo, 0 where it was padded. */
  valid: Uint8Array;
  /** The input mask cropped (nearest neighbour), when one was given. */
  mask?: Uint8Array;
  /** Landmarks in the SeIF frame: X, Y in [-0.5, 0.5] for the crop, Z toward the camera in the same units. */
  landmarks: Float32Array;
  transform: SeifFrameTransform;
  /** Estimated head height in photo pixels. */
  headHeight: number;
}

/** Crop pixel (u, v) <-> frame (X, Y): X = u / size - 0.5, Y = 0.5 - v / size. */
export function cropToFrameAffine(size: number): Affine2D {
  return [1 / size, 0, -0.5, 0, -1 / size, 0.5];
}

/** The similarity transform for a head, from its landmarks. */
export function seifFrameTransform(landmarks: Float32Array, options: NormaliseOptions = {}): { transform: SeifFrameTransform; headHeight: number } {
  const size = options.size ?? 512;
  const fill = options.headFill ?? HEAD_FILL;
  const p = (i: number) => [landmarks[3 * i]!, landmarks[3 * i + 1]!, landmarks[3 * i + 2]!] as const;
  const chin = p(LANDMARK_INDEX.chin);
  const top = p(LANDMARK_INDEX.forehead);
  const face3d = Math.hypot(top[0] - chin[0], top[1] - chin[1], top[2] - chin[2]);
  if (!(face3d > 1)) throw new SeifError('LANDMARKS_FAILED', 'Chin and forehead landmarks coincide; cannot size the head.');
  const headHeight = HEAD_TO_FACE * face3d;
  // Up axis: perpendicular to the eye line (33 -> 263), pointing from the chin toward the forehead. More stable
  // than chin -> forehead itself under pitch.
  const eyeX = landmarks[3 * 263]! - landmarks[3 * 33]!;
  const eyeY = landmarks[3 * 263 + 1]! - landmarks[3 * 33 + 1]!;
  const eyeLen = Math.hypot(eyeX, eyeY) || 1;
  let upX = eyeY / eyeLen;
  let upY = -eyeX / eyeLen;
  if (upX * (top[0] - chin[0]) + upY * (top[1] - chin[1]) < 0) {
    upX = -upX;
    upY = -upY;
  }
  // Head centre: half a head above the chin along the up axis, horizontally at the chin-forehead midline.
  const midX = (chin[0] + top[0]) / 2;
  const midY = (chin[1] + top[1]) / 2;
  const along = (midX - chin[0]) * upX + (midY - chin[1]) * upY;
  const cx = midX + (headHeight / 2 - along) * upX;
  const cy = midY + (headHeight / 2 - along) * upY;
  const scale = (fill * size) / headHeight;
  // Rotation photo -> crop: 'level' turns the up axis to (0, -1) (v grows downward).
  const rotation = options.roll === 'level' ? -Math.PI / 2 - Math.atan2(upY, upX) : 0;
  const c = Math.cos(rotation) * scale;
  const s = Math.sin(rotation) * scale;
  // crop = R s (image - centre) + size / 2
  const imageToCrop: Affine2D = [c, -s, size / 2 - (c * cx - s * cy), s, c, size / 2 - (s * cx + c * cy)];
  const cropToImage = invertAffine(imageToCrop);
  const imageToFrame = composeAffine(cropToFrameAffine(size), imageToCrop);
  return {
    transform: { size, imageToCrop, cropToImage, imageToFrame, frameToImage: invertAffine(imageToFrame), scale, rotation },
    headHeight,
  };
}

export class NormaliseStage implements Stage<NormaliseInput, NormalisedFace> {
  readonly name = 'normalise';
  readonly options: NormaliseOptions;

  constructor(options: NormaliseOptions = {}) {
    this.options = options;
    const size = options.size ?? 512;
    if (!Number.isInteger(size) || size < 16 || size > 4096) throw new SeifError('INVALID_ARGUMENT', `normalise: size must be an integer in [16, 4096], got ${size}.`);
  }

  async run(input: NormaliseInput, _context?: StageContext): Promise<NormalisedFace> {
    const { image, landmarks, mask } = input;
    const count = landmarks.length / 3;
    if (count !== NUM_LANDMARKS && count !== 468) throw new SeifError('INVALID_ARGUMENT', `normalise: expected 478 or 468 landmarks, got ${count}.`);
    const { transform, headHeight } = seifFrameTransform(landmarks, this.options);
    const size = transform.size;
    const floats = warpAffineToTensor(image, transform.cropToImage, size, size, undefined, { border: this.options.border ?? 'zero', scale: 255 });
    const data = new Uint8Array(size * size * 3);
    for (let i = 0; i < data.length; i++) data[i] = Math.round(floats[i]!);
    const valid = new Uint8Array(size * size);
    const m = transform.cropToImage;
    let croppedMask: Uint8Array | undefined;
    if (mask) croppedMask = new Uint8Array(size * size);
    for (let v = 0; v < size; v++) {
      for (let u = 0; u < size; u++) {
        const x = m[0] * (u + 0.5) + m[1] * (v + 0.5) + m[2];
        const y = m[3] * (u + 0.5) + m[4] * (v + 0.5) + m[5];
        const inside = x >= 0 && y >= 0 && x < image.width && y < image.height;
        valid[v * size + u] = inside ? 1 : 0;
        if (croppedMask && inside) croppedMask[v * size + u] = mask![Math.floor(y) * image.width + Math.floor(x)]!;
      }
    }
    const frame = new Float32Array(landmarks.length);
    const zScale = transform.scale / size;
    for (let i = 0; i < count; i++) {
      const [X, Y] = applyAffine(transform.imageToFrame, landmarks[3 * i]!, landmarks[3 * i + 1]!);
      frame[3 * i] = X;
      frame[3 * i + 1] = Y;
      // MediaPipe z: smaller is closer; the SeIF frame's +Z points to the camera.
      frame[3 * i + 2] = -landmarks[3 * i + 2]! * zScale;
    }
    return {
      image: { data, width: size, height: size },
      valid,
      ...(croppedMask ? { mask: croppedMask } : {}),
      landmarks: frame,
      transform,
      headHeight,
    };
  }
}
