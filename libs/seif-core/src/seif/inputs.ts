/**
 * What the SeIF encoder reads for a photo, built exactly as the training generator built it for a render
 * (libs/seif-core/src/synth/sample.ts): the photo cropped into a SeIF frame at the network's size, the fitted
 * FLAME mesh rendered there as normals and depth (render/prior-maps.ts), and the person mask cropped alike.
 *
 * Framing: the generator frames each render with the normaliser's rule (seifFrameTransform) applied to the head's
 * own MediaPipe-478 landmarks, i.e. the model's landmark embedding on the mesh. The photo's crop (the fit's frame)
 * was framed from the landmark network's points instead, whose chin/forehead and relative depth differ enough to
 * change the scale by ~10 % (measured on held-out renders: IoU 0.55-0.60 with that frame against 0.70-0.77 with
 * the training one). So the network gets its own frame, framed by the same rule from the fitted mesh's embedded
 * landmarks: a similarity of the fit's frame (scale `scale`, offset in X/Y) that `toFit` undoes.
 *
 * Depth: an orthographic fit cannot see depth offsets; the generator centres the ground-truth head's Z range at 0,
 * so the prior's Z range is centred here too (`zShift`, in the network frame).
 */
import { sampleLandmarks } from '@seif/flame';
import { type Affine2D, type RgbImage, composeAffine, warpAffineToTensor } from '../image/image.js';
import { SeifError } from '../pipeline/errors.js';
import { renderPriorMaps } from '../render/prior-maps.js';
import type { FitOutput } from '../stages/fit.js';
import { cropToFrameAffine, seifFrameTransform } from '../stages/normalise.js';
import type { SeifInputMaps } from './network.js';
import { SILHOUETTE_EXTENSION, silhouetteBound } from './silhouette.js';

export interface SeifInputsRequest {
  /** The decoded photo. */
  image: RgbImage;
  /** 478 landmarks, photo pixels (LandmarksResult.points): they define the fit's frame. */
  landmarks: Float32Array;
  /** Person probability 0..255 at photo resolution (SegmentResult.person). */
  person: Uint8Array;
  fit: FitOutput;
  /** Network input size (the weights' image_size). */
  size: number;
}

export interface SeifInputs {
  maps: SeifInputMaps;
  /** The fitted FLAME mesh in the network frame (what the encoder saw; the semantic field uses it). */
  prior: Float32Array;
  /** Network frame = scale * fit frame + offset (X, Y), Z: scale * Z + zShift. */
  scale: number;
  offset: [number, number];
  zShift: number;
  /** Fit frame (X, Y) -> photo pixels. */
  fitFrameToImage: Affine2D;
  /** Network frame (X, Y) -> photo pixels. */
  frameToImage: Affine2D;
  /** size x size over the network crop: 1 where the person may be (silhouette.ts: the dilated, extended mask). */
  silhouette: Uint8Array;
}

/** Moves a mesh in Z so that its Z range is centred at 0; returns the shift. */
export function centreDepth(positions: Float32Array): number {
  let lo = Infinity, hi = -Infinity;
  for (let i = 2; i < positions.length; i += 3) {
    const z = positions[i]!;
    if (z < lo) lo = z;
    if (z > hi) hi = z;
  }
  const shift = -(lo + hi) / 2;
  for (let i = 2; i < positions.length; i += 3) positions[i] = positions[i]! + shift;
  return shift;
}

/** Network-frame positions back to the fit's frame, in place. */
export function toFitFrame(inputs: Pick<SeifInputs, 'scale' | 'offset' | 'zShift'>, positions: Float32Array): Float32Array {
  const { scale, offset, zShift } = inputs;
  for (let i = 0; i < positions.length; i += 3) {
    positions[i] = (positions[i]! - offset[0]) / scale;
    positions[i + 1] = (positions[i + 1]! - offset[1]) / scale;
    positions[i + 2] = (positions[i + 2]! - zShift) / scale;
  }
  return positions;
}

/**
 * The generator framed its renders from the ground-truth mesh's embedded landmarks; a fit follows the landmark
 * network, whose chin and forehead points sit systematically inside the embedding's, so the same rule frames the
 * fitted head ~9 % larger and slightly higher. Measured on 15 held-out renders (seed 70001, yaw -55..58; one
 * dropped by the front end): network frame = 1.089 (sd 0.060) x training frame + (0.0007, 0.0146) (sd 0.011,
 * 0.018). The mean is undone here; the spread is not. Data generated with the production framing (the fix) would
 * make this 1 and 0.
 */
export const FRAMING_CALIBRATION = Object.freeze({ scale: 1.089, offset: [0.0007, 0.0146] as const });

/**
 * The training frame for a fit: seifFrameTransform on the fitted mesh's embedded landmarks, expressed as a
 * similarity of the fit's frame. The landmarks are given to the rule as "pixels" (X, -Y, -Z): y down like an image.
 */
export function trainingFrame(fit: FitOutput, size: number): { scale: number; offset: [number, number] } {
  const embedding = fit.model.landmarks.mediapipe478;
  if (!embedding) throw new SeifError('MODEL_UNAVAILABLE', `seif: head model ${fit.model.name} has no mediapipe478 landmark embedding.`);
  const marks = sampleLandmarks(fit.model, fit.frameVertices, embedding);
  for (let i = 0; i < marks.length; i += 3) { marks[i + 1] = -marks[i + 1]!; marks[i + 2] = -marks[i + 2]!; }
  // The rule works in any pixel unit; a frame unit is tiny for its 1-pixel sanity bound, so scale up first.
  const UNIT = 1000;
  for (let i = 0; i < marks.length; i++) marks[i] = marks[i]! * UNIT;
  const m = seifFrameTransform(marks, { size }).transform.imageToFrame;
  // X' = m0 * (UNIT X) + m2;  Y' = m4 * (UNIT * -Y) + m5  (roll 'keep': no rotation terms); then the calibration.
  const c = FRAMING_CALIBRATION;
  return { scale: (m[0] * UNIT) / c.scale, offset: [(m[2] - c.offset[0]) / c.scale, (m[5] - c.offset[1]) / c.scale] };
}

export async function prepareSeifInputs(request: SeifInputsRequest): Promise<SeifInputs> {
  const { image, landmarks, person, fit, size } = request;
  const fitFrameToImage = seifFrameTransform(landmarks, { size }).transform.frameToImage;
  const { scale, offset } = trainingFrame(fit, size);
  // Network frame -> fit frame -> photo; the crop samples the photo through it.
  const networkToFit: Affine2D = [1 / scale, 0, -offset[0] / scale, 0, 1 / scale, -offset[1] / scale];
  const frameToImage = composeAffine(fitFrameToImage, networkToFit);
  const cropToImage = composeAffine(frameToImage, cropToFrameAffine(size));
  const floats = warpAffineToTensor(image, cropToImage, size, size, undefined, { border: 'zero', scale: 255 });
  const rgb = Uint8Array.from(floats, (x) => Math.max(0, Math.min(255, Math.round(x))));
  // Binary, like the renders' mask (nearest photo pixel); the training augmentation softens and shifts edges.
  // The silhouette bound's mask is the same, but continues past the photo's edge (clamped: silhouette.ts).
  const mask = new Uint8Array(size * size);
  const extended = new Uint8Array(size * size);
  const photoPixelsPerCropPixel = Math.sqrt(Math.abs(cropToImage[0] * cropToImage[4] - cropToImage[1] * cropToImage[3]));
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const x = Math.floor(cropToImage[0] * (u + 0.5) + cropToImage[1] * (v + 0.5) + cropToImage[2]);
      const y = Math.floor(cropToImage[3] * (u + 0.5) + cropToImage[4] * (v + 0.5) + cropToImage[5]);
      const cx = Math.min(image.width - 1, Math.max(0, x)), cy = Math.min(image.height - 1, Math.max(0, y));
      const inPhoto = cx === x && cy === y;
      // Beyond SILHOUETTE_EXTENSION crop pixels past the edge nothing is allowed (the surface is capped there).
      if (!inPhoto && Math.hypot(cx - x, cy - y) > SILHOUETTE_EXTENSION * photoPixelsPerCropPixel) continue;
      if (person[cy * image.width + cx]! < 128) continue;
      extended[v * size + u] = 255;
      if (inPhoto) mask[v * size + u] = 255;
    }
  }
  const prior = new Float32Array(fit.frameVertices.length);
  for (let i = 0; i < prior.length; i += 3) {
    prior[i] = scale * fit.frameVertices[i]! + offset[0];
    prior[i + 1] = scale * fit.frameVertices[i + 1]! + offset[1];
    prior[i + 2] = scale * fit.frameVertices[i + 2]!;
  }
  const zShift = centreDepth(prior);
  const maps = renderPriorMaps(prior, fit.model.faces, size);
  return {
    maps: { rgb, flameNormal: maps.normal, flameDepth: maps.depth, mask }, prior, scale, offset, zShift, fitFrameToImage, frameToImage,
    silhouette: silhouetteBound(extended, size),
  };
}
