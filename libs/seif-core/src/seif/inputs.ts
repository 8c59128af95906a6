/**
 * What the SeIF encoder reads for a photo, built exactly as the training generator built it for a render
 * (libs/seif-core/src/synth/sample.ts): the photo cropped into the SeIF frame at the network's size, the fitted
 * FLAME mesh rendered there as normals and depth (render/prior-maps.ts), and the person mask cropped alike.
 *
 * Depth: an orthographic fit cannot see depth offsets, so the fit's frame Z is relative to the model origin. The
 * training frames put the head's depth extent around Z = 0 (the generator centres the ground-truth FLAME mesh's
 * Z range), so the prior is moved to centre its own Z range at 0 here; `zShift` says by how much, and the caller
 * moves the reconstruction back by -zShift to meet the fit again.
 */
import type { FitOutput } from '../stages/fit.js';
import type { RgbImage } from '../image/image.js';
import { NormaliseStage, type SeifFrameTransform } from '../stages/normalise.js';
import { renderPriorMaps } from '../render/prior-maps.js';
import type { SeifInputMaps } from './network.js';

export interface SeifInputsRequest {
  /** The decoded photo. */
  image: RgbImage;
  /** 478 landmarks, photo pixels (LandmarksResult.points). */
  landmarks: Float32Array;
  /** Person probability 0..255 at photo resolution (SegmentResult.person). */
  person: Uint8Array;
  fit: FitOutput;
  /** Network input size (the weights' image_size). */
  size: number;
}

export interface SeifInputs {
  maps: SeifInputMaps;
  /** The crop at the network size (same frame as the fit's, any size). */
  transform: SeifFrameTransform;
  /** The fitted FLAME mesh in the frame, moved by zShift in Z (what the encoder saw and the semantic field uses). */
  prior: Float32Array;
  zShift: number;
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

export async function prepareSeifInputs(request: SeifInputsRequest): Promise<SeifInputs> {
  const { image, landmarks, person, fit, size } = request;
  const normalised = await new NormaliseStage({ size }).run({ image, landmarks, mask: person });
  const mask = new Uint8Array(size * size);
  // Binary, like the renders' mask; the training augmentation softens and shifts edges to cover the difference.
  for (let p = 0; p < mask.length; p++) mask[p] = normalised.mask![p]! >= 128 && normalised.valid[p] ? 255 : 0;
  const prior = Float32Array.from(fit.frameVertices);
  const zShift = centreDepth(prior);
  const maps = renderPriorMaps(prior, fit.model.faces, size);
  return { maps: { rgb: normalised.image.data, flameNormal: maps.normal, flameDepth: maps.depth, mask }, transform: normalised.transform, prior, zShift };
}
