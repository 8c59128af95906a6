/**
 * Public API. Plain image buffers shared by the stages: interleaved 8-bit RGB (row-major, top-left origin) and
 * single-channel float maps. Pixel centres sit at integer + 0.5 (pixel (0,0) covers [0,1) x [0,1)), the
 * convention every coordinate in seif-core uses.
 */

export interface RgbImage {
  /** width * height * 3 bytes, interleaved RGB, sRGB encoded. */
  data: Uint8Array;
  width: number;
  height: number;
}

export interface GrayImage {
  data: Float32Array;
  width: number;
  height: number;
}

/** Row-major 2x3 affine matrix [a, b, c, d, e, f]: x' = a x + b y + c, y' = d x + e y + f. */
export type Affine2D = [number, number, number, number, number, number];

export function invertAffine(m: Affine2D): Affine2D {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (Math.abs(det) < 1e-12) throw new RangeError('Affine transform is singular');
  const ia = e / det;
  const ib = -b / det;
  const id = -d / det;
  const ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}

/** m1 after m2 (apply m2 first). */
export function composeAffine(m1: Affine2D, m2: Affine2D): Affine2D {
  const [a, b, c, d, e, f] = m1;
  const [A, B, C, D, E, F] = m2;
  return [a * A + b * D, a * B + b * E, a * C + b * F + c, d * A + e * D, d * B + e * E, d * C + e * F + f];
}

export function applyAffine(m: Affine2D, x: number, y: number): [number, number] {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];
}

/** Uniform scale of an affine map (sqrt of |det|). */
export function affineScale(m: Affine2D): number {
  return Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3]));
}

export interface WarpOptions {
  /** Out-of-image samples: 'zero' (black) or 'replicate' (clamp to the border). */
  border?: 'zero' | 'replicate';
  /** Output value = pixel / 255 * scale + offset; e.g. [0,1]: scale 1, offset 0; [-1,1]: scale 2, offset -1. */
  scale?: number;
  offset?: number;
  /** Mirror the output horizontally. */
  flipX?: boolean;
}

/** Halves an image with a 2x2 box filter (odd last row/column averaged with replication). */
export function halveImage(image: RgbImage): RgbImage {
  const { data, width, height } = image;
  const w = Math.max(1, Math.floor(width / 2));
  const h = Math.max(1, Math.floor(height / 2));
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const r0 = Math.min(2 * y, height - 1) * width;
    const r1 = Math.min(2 * y + 1, height - 1) * width;
    for (let x = 0; x < w; x++) {
      const c0 = Math.min(2 * x, width - 1);
      const c1 = Math.min(2 * x + 1, width - 1);
      const a = (r0 + c0) * 3;
      const b = (r0 + c1) * 3;
      const c = (r1 + c0) * 3;
      const d = (r1 + c1) * 3;
      const o = (y * w + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        out[o + ch] = ((data[a + ch] as number) + (data[b + ch] as number) + (data[c + ch] as number) + (data[d + ch] as number) + 2) >> 2;
      }
    }
  }
  return { data: out, width: w, height: h };
}

// Box-filtered pyramids, built lazily and kept as long as the source pixels live: the detector, the quality
// check and the landmark crop all shrink the same photo.
const pyramids = new WeakMap<Uint8Array, RgbImage[]>();

/** Level `level` of the image's 2x pyramid (0 = the image itself). */
export function pyramidLevel(image: RgbImage, level: number): RgbImage {
  if (level <= 0) return image;
  let levels = pyramids.get(image.data);
  if (!levels) {
    levels = [image];
    pyramids.set(image.data, levels);
  }
  while (levels.length <= level) {
    const last = levels[levels.length - 1] as RgbImage;
    if (last.width <= 1 && last.height <= 1) break;
    levels.push(halveImage(last));
  }
  return levels[Math.min(level, levels.length - 1)] as RgbImage;
}

/**
 * Warps an RGB image into an NHWC float tensor: output pixel (u, v) samples the source at
 * `toSource * (u + 0.5, v + 0.5)` with bilinear filtering. When the map shrinks by s > 2, sampling starts from
 * the box-filtered pyramid level 2^L <= s/1 (so a 4000 px photo shrunk to 128 px averages instead of aliasing)
 * and each output pixel takes 2 x 2 bilinear samples from it.
 */
export function warpAffineToTensor(
  image: RgbImage,
  toSource: Affine2D,
  outWidth: number,
  outHeight: number,
  out: Float32Array = new Float32Array(outWidth * outHeight * 3),
  options: WarpOptions = {},
): Float32Array {
  const s = affineScale(toSource);
  const level = s >= 2 ? Math.floor(Math.log2(s)) : 0;
  const src = pyramidLevel(image, level);
  const f = src.width / image.width;
  const fy = src.height / image.height;
  const { data, width, height } = src;
  const zero = (options.border ?? 'replicate') === 'zero';
  const k = s / (1 / f) > 1.01 ? 2 : 1;
  const inv = 1 / (k * k);
  const scale = ((options.scale ?? 1) / 255) * inv;
  const offset = options.offset ?? 0;
  // Source coordinates in the pyramid level (pixel-centre convention kept: x_level = x * f).
  const a = toSource[0] * f;
  const b = toSource[1] * f;
  const c = toSource[2] * f;
  const d = toSource[3] * fy;
  const e = toSource[4] * fy;
  const g = toSource[5] * fy;
  const wMax = width - 1;
  const hMax = height - 1;
  for (let v = 0; v < outHeight; v++) {
    for (let u = 0; u < outWidth; u++) {
      let r = 0;
      let gr = 0;
      let bl = 0;
      for (let sj = 0; sj < k; sj++) {
        const y = v + (sj + 0.5) / k;
        for (let si = 0; si < k; si++) {
          const x = u + (si + 0.5) / k;
          let sx = a * x + b * y + c - 0.5;
          let sy = d * x + e * y + g - 0.5;
          if (zero) {
            if (sx <= -1 || sy <= -1 || sx >= width || sy >= height) continue;
          } else {
            sx = sx < 0 ? 0 : sx > wMax ? wMax : sx;
            sy = sy < 0 ? 0 : sy > hMax ? hMax : sy;
          }
          const x0 = Math.floor(sx);
          const y0 = Math.floor(sy);
          const tx = sx - x0;
          const ty = sy - y0;
          const x1 = x0 + 1;
          const y1 = y0 + 1;
          const in00 = x0 >= 0 && y0 >= 0;
          const in10 = x1 <= wMax && y0 >= 0;
          const in01 = x0 >= 0 && y1 <= hMax;
          const in11 = x1 <= wMax && y1 <= hMax;
          const w00 = (1 - tx) * (1 - ty);
          const w10 = tx * (1 - ty);
          const w01 = (1 - tx) * ty;
          const w11 = tx * ty;
          if (in00) {
            const p = (y0 * width + x0) * 3;
            r += w00 * (data[p] as number);
            gr += w00 * (data[p + 1] as number);
            bl += w00 * (data[p + 2] as number);
          }
          if (in10 && w10 > 0) {
            const p = (y0 * width + x1) * 3;
            r += w10 * (data[p] as number);
            gr += w10 * (data[p + 1] as number);
            bl += w10 * (data[p + 2] as number);
          }
          if (in01 && w01 > 0) {
            const p = (y1 * width + x0) * 3;
            r += w01 * (data[p] as number);
            gr += w01 * (data[p + 1] as number);
            bl += w01 * (data[p + 2] as number);
          }
          if (in11 && w11 > 0) {
            const p = (y1 * width + x1) * 3;
            r += w11 * (data[p] as number);
            gr += w11 * (data[p + 1] as number);
            bl += w11 * (data[p + 2] as number);
          }
        }
      }
      const o = (v * outWidth + (options.flipX ? outWidth - 1 - u : u)) * 3;
      out[o] = r * scale + offset;
      out[o + 1] = gr * scale + offset;
      out[o + 2] = bl * scale + offset;
    }
  }
  return out;
}

/** Rec. 601 luma of an RGB image as floats in [0, 1]. */
export function toGray(image: RgbImage): GrayImage {
  const n = image.width * image.height;
  const out = new Float32Array(n);
  const d = image.data;
  for (let i = 0; i < n; i++) out[i] = (0.299 * (d[3 * i] as number) + 0.587 * (d[3 * i + 1] as number) + 0.114 * (d[3 * i + 2] as number)) / 255;
  return { data: out, width: image.width, height: image.height };
}

/** Float NHWC tensor in [lo, hi] -> RgbImage (for debugging and tests). */
export function tensorToRgb(tensor: Float32Array, width: number, height: number, lo = 0, hi = 1): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round((((tensor[i] as number) - lo) / (hi - lo)) * 255)));
  return { data, width, height };
}
