/**
 * Which surface vertices the photo shows as hair: the evidence that keeps the face out of the hair mesh.
 *
 * Hair is the reconstructed surface that lies off the FLAME mesh (uniform/hair.ts). Where the network's face sits
 * more than the hair threshold (~2.7 mm) in front of the fit, say on a cheek or the lips, that patch of face would
 * become a "hair" shell over the textured FLAME face. Over the face, extractHair therefore keeps only what the photo
 * shows in the hair's colour: a vertex the camera sees (seenPhotoPixels: in front, facing, on the person) whose
 * pixel lies within the segmentation's hair colour model and nearer to it than to the skin model. A beard or a
 * fringe the colour of the hair stays; skin, lips, make-up and eyes do not. Without a hair colour model (bald, or
 * hair the colour of skin, as the segmentation decides) nothing is hair by colour, and a thin beard or fringe over
 * the face then shows as the FLAME face texture, which carries the photo's colours anyway; thicker than the
 * shell distance (extractHair's faceShellDistance, ~13 mm) it stays geometry.
 *
 * Looked at (render-seif.ts with SEIF_RENDER_HAIR_FLAT=1): on the sample portraits the skin-coloured shells on
 * cheeks, lips and temples leave the hair; before this, they were the "hair" rendered over the face.
 */
import type { Affine2D, RgbImage } from '../image/image.js';
import { type ColourModel, HAIR_CHI2, colourDistance2 } from '../stages/segment.js';
import { seenPhotoPixels } from './vertex-colors.js';

/** What the segmentation stage learnt of the photo's colours (SegmentResult's fields of the same names). */
export interface PhotoColourModels {
  skinColour?: ColourModel;
  hairColour?: ColourModel;
}

export interface HairInPhotoRequest extends PhotoColourModels {
  /** The reconstructed surface, SeIF frame; it is its own occluder. */
  surface: { positions: Float32Array; indices: Uint32Array };
  photo: RgbImage;
  /** Person probability 0..255 at photo resolution. */
  person: Uint8Array;
  /** SeIF frame (X, Y) -> photo pixels. */
  frameToImage: Affine2D;
}

/** 1 per surface vertex the photo shows in the hair's colour, else 0 (extractHair's `hairInPhoto`). */
export function hairShownInPhoto(request: HairInPhotoRequest): Uint8Array {
  const { surface, photo, person, skinColour, hairColour, frameToImage } = request;
  const hair = new Uint8Array(surface.positions.length / 3);
  if (!hairColour) return hair;
  const pixel = seenPhotoPixels({ positions: surface.positions, indices: surface.indices, occluder: surface, photo, person, frameToImage });
  for (let i = 0; i < hair.length; i++) {
    const p = pixel[i]!;
    if (p < 0) continue;
    const r = photo.data[3 * p]!, g = photo.data[3 * p + 1]!, b = photo.data[3 * p + 2]!;
    const dHair = colourDistance2(hairColour, r, g, b);
    if (dHair < HAIR_CHI2 && (!skinColour || dHair < colourDistance2(skinColour, r, g, b))) hair[i] = 1;
  }
  return hair;
}
