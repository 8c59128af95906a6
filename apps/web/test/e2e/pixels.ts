/** Pixel comparisons of canvas screenshots, with sharp. */
import sharp from 'sharp';

/** A box in fractions of the image (0..1), e.g. the face region of the framed head. */
export interface Region {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/**
 * The face in the viewer's default framing: the head is centred and fills ~85 % of the square canvas height,
 * so the brows-to-chin area sits in the middle ~44 % horizontally, from ~28 % to ~78 % vertically.
 */
export const FACE_REGION: Region = Object.freeze({ left: 0.28, top: 0.28, right: 0.72, bottom: 0.78 });
/** The whole canvas (hair, shoulders: changes outside the face). */
export const WHOLE: Region = Object.freeze({ left: 0, top: 0, right: 1, bottom: 1 });

async function rawRegion(png: Buffer, region: Region): Promise<{ data: Buffer; channels: number }> {
  const { width = 0, height = 0 } = await sharp(png).metadata();
  const left = Math.round(region.left * width);
  const top = Math.round(region.top * height);
  const box = { left, top, width: Math.round(region.right * width) - left, height: Math.round(region.bottom * height) - top };
  const { data, info } = await sharp(png).extract(box).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, channels: info.channels };
}

/** Mean absolute difference per RGB channel over `region`, in 0..255. Both images must have the same size. */
export async function meanAbsoluteDifference(a: Buffer, b: Buffer, region: Region = FACE_REGION): Promise<number> {
  const [ra, rb] = await Promise.all([rawRegion(a, region), rawRegion(b, region)]);
  if (ra.data.length !== rb.data.length) throw new Error(`images differ in size (${ra.data.length} vs ${rb.data.length} bytes)`);
  let sum = 0;
  for (let i = 0; i < ra.data.length; i++) sum += Math.abs(ra.data[i]! - rb.data[i]!);
  return sum / ra.data.length;
}

/** Standard deviation of the RGB values over `region`, in 0..255: a blank (single-colour) canvas gives ~0. */
export async function contrast(png: Buffer, region: Region = FACE_REGION): Promise<number> {
  const { data } = await rawRegion(png, region);
  let sum = 0;
  let squares = 0;
  for (const value of data) {
    sum += value;
    squares += value * value;
  }
  const mean = sum / data.length;
  return Math.sqrt(Math.max(0, squares / data.length - mean * mean));
}
