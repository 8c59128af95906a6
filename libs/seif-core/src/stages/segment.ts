/**
 * Public API. segment: person mask from MediaPipe selfie segmentation (landscape model, 144x256, the whole photo
 * stretched as MediaPipe does, keep_aspect_ratio false, input [0,1], output already a probability), upsampled
 * bilinearly to the photo; then a per-pixel split into background / face skin / hair / rest of the person:
 *   - face: the convex hull of the 468 mesh landmarks;
 *   - colour models: a Gaussian (RGB mean + covariance) of face skin (hull minus eyes, brows and mouth) and one
 *     of hair (person pixels outside the hull in a band above the forehead, up to the estimated skull top);
 *   - person pixels in the head zone are hair when closer to the hair model (and within its 99 % ellipsoid),
 *     skin (ears, neck, bald scalp) when within the skin model's, else 'body' (clothes, shoulders...).
 * A heuristic, documented as such: good on ordinary portraits, confused by hats, hair the colour of skin and
 * dark clothes touching dark hair.
 */
import { type RgbImage, warpAffineToTensor } from '../image/image.js';
import { SeifError } from '../pipeline/errors.js';
import { type Stage, type StageContext, type StageWarning, reportProgress } from '../pipeline/stage.js';
import { loadModel } from '../runtime/registry.js';
import { type SessionOptions, ort } from '../runtime/session.js';
import { HEAD_TO_FACE } from './normalise.js';

export const SEGMENT_LABELS = Object.freeze({ BACKGROUND: 0, SKIN: 1, HAIR: 2, BODY: 3 } as const);
export type SegmentLabel = (typeof SEGMENT_LABELS)[keyof typeof SEGMENT_LABELS];

const SEG_WIDTH = 256;
const SEG_HEIGHT = 144;
// Chi-square quantiles, 3 degrees of freedom: 99 % (hair) and 99.9 % (skin, lighting varies across a face).
/** Hair-model limit on colourDistance2, also used outside (seif/hair-in-photo.ts). */
export const HAIR_CHI2 = 11.34;
const SKIN_CHI2 = 16.27;

export interface SegmentOptions {
  /** Person probability above which a pixel is the person. */
  threshold?: number;
  session?: SessionOptions;
}

export interface SegmentInput {
  image: RgbImage;
  /** 468 or 478 landmarks, image pixels. */
  landmarks: Float32Array;
}

export interface SegmentResult {
  width: number;
  height: number;
  /** Person probability, 0..255, photo resolution. */
  person: Uint8Array;
  /** SEGMENT_LABELS per pixel, photo resolution. */
  labels: Uint8Array;
  /** Pixel count per label, indexed by label value. */
  counts: [number, number, number, number];
  /** Whether a hair colour model could be built (false for bald heads or hair hidden by a hat). */
  hairModel: boolean;
  /** The photo's face-skin colour model, when enough face pixels were seen (colourDistance2 reads it). */
  skinColour?: ColourModel;
  /** Its hair colour model (absent with hairModel false). */
  hairColour?: ColourModel;
  warnings: StageWarning[];
}

/** Mean and inverse covariance of RGB samples (regularised so a flat patch does not make it singular). */
export interface ColourModel {
  mean: [number, number, number];
  inv: number[];
  n: number;
}


function fitGaussian(samples: number[]): ColourModel | undefined {
  const n = samples.length / 3;
  if (n < 30) return undefined;
  const m = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) m[c]! += samples[3 * i + c]!;
  for (let c = 0; c < 3; c++) m[c]! /= n;
  const cov = new Array<number>(9).fill(0);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) cov[3 * a + b]! += (samples[3 * i + a]! - m[a]!) * (samples[3 * i + b]! - m[b]!);
  }
  // +16 (4 grey levels squared) on the diagonal: sensor noise floor and JPEG quantisation.
  for (let k = 0; k < 9; k++) cov[k] = cov[k]! / n + (k % 4 === 0 ? 16 : 0);
  const [a, b, c, d, e, f, g, h, i] = cov as [number, number, number, number, number, number, number, number, number];
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  if (!(det > 0)) return undefined;
  const inv = [e * i - f * h, c * h - b * i, b * f - c * e, f * g - d * i, a * i - c * g, c * d - a * f, d * h - e * g, b * g - a * h, a * e - b * d].map((x) => x / det);
  return { mean: m as [number, number, number], inv, n };
}

/** Trimmed fit: refit twice on the samples inside the current model's 95 % ellipsoid (drops shadows, nostrils,
 * stray background), so one broad Gaussian does not swallow every colour. */
function fitRobust(samples: number[]): ColourModel | undefined {
  let model = fitGaussian(samples);
  for (let round = 0; round < 2 && model; round++) {
    const kept: number[] = [];
    for (let i = 0; i < samples.length; i += 3) {
      if (colourDistance2(model, samples[i]!, samples[i + 1]!, samples[i + 2]!) < 7.81) kept.push(samples[i]!, samples[i + 1]!, samples[i + 2]!);
    }
    model = fitGaussian(kept) ?? model;
  }
  return model;
}

/** Squared Mahalanobis distance of an RGB colour (0..255) to a colour model: chi-square, 3 degrees of freedom. */
export function colourDistance2(g: ColourModel, r: number, gr: number, b: number): number {
  const x = r - g.mean[0];
  const y = gr - g.mean[1];
  const z = b - g.mean[2];
  const v = g.inv;
  return x * (v[0]! * x + v[1]! * y + v[2]! * z) + y * (v[3]! * x + v[4]! * y + v[5]! * z) + z * (v[6]! * x + v[7]! * y + v[8]! * z);
}

/** Convex hull (Andrew's monotone chain) of the first `count` 2D points of an (x, y, z) array. */
export function convexHull(points: Float32Array, count: number): Array<[number, number]> {
  const pts: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) pts.push([points[3 * i]!, points[3 * i + 1]!]);
  pts.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  const cross = (o: [number, number], a: [number, number], b: [number, number]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Array<[number, number]> = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Array<[number, number]> = [];
  for (let k = pts.length - 1; k >= 0; k--) {
    const p = pts[k]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** Fills a convex polygon into a width x height mask (pixel centres inside), value 1. */
export function fillConvexPolygon(polygon: Array<[number, number]>, width: number, height: number, out = new Uint8Array(width * height)): Uint8Array {
  let minY = Infinity;
  let maxY = -Infinity;
  for (const [, y] of polygon) {
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const y0 = Math.max(0, Math.ceil(minY - 0.5));
  const y1 = Math.min(height - 1, Math.floor(maxY - 0.5));
  for (let py = y0; py <= y1; py++) {
    const cy = py + 0.5;
    let left = Infinity;
    let right = -Infinity;
    for (let k = 0; k < polygon.length; k++) {
      const [ax, ay] = polygon[k]!;
      const [bx, by] = polygon[(k + 1) % polygon.length]!;
      if ((ay <= cy && by > cy) || (by <= cy && ay > cy)) {
        const x = ax + ((cy - ay) / (by - ay)) * (bx - ax);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
    const x0 = Math.max(0, Math.ceil(left - 0.5));
    const x1 = Math.min(width - 1, Math.floor(right - 0.5));
    for (let px = x0; px <= x1; px++) out[py * width + px] = 1;
  }
  return out;
}

export class SegmentStage implements Stage<SegmentInput, SegmentResult> {
  readonly name = 'segment';
  readonly options: SegmentOptions;
  readonly #input = new Float32Array(SEG_WIDTH * SEG_HEIGHT * 3);

  constructor(options: SegmentOptions = {}) {
    this.options = options;
  }

  async warmUp(): Promise<void> {
    await loadModel('selfie-segmentation', this.options.session);
  }

  /** Person probability at the network's resolution (144 x 256, row-major). */
  async personLowRes(image: RgbImage): Promise<Float32Array> {
    const session = await loadModel('selfie-segmentation', this.options.session);
    warpAffineToTensor(image, [image.width / SEG_WIDTH, 0, 0, 0, image.height / SEG_HEIGHT, 0], SEG_WIDTH, SEG_HEIGHT, this.#input, { border: 'replicate' });
    const inputName = session.inputNames[0]!;
    const outputs = await session.run({ [inputName]: new ort.Tensor('float32', this.#input, [1, SEG_HEIGHT, SEG_WIDTH, 3]) });
    const mask = outputs[session.outputNames[0]!]!.data as Float32Array;
    if (mask.length !== SEG_WIDTH * SEG_HEIGHT) throw new SeifError('INTERNAL', `selfie segmentation returned ${mask.length} values, expected ${SEG_WIDTH * SEG_HEIGHT}.`);
    return mask;
  }

  async run(input: SegmentInput, context?: StageContext): Promise<SegmentResult> {
    const { image, landmarks } = input;
    const { width, height, data } = image;
    const threshold = Math.round((this.options.threshold ?? 0.5) * 255);
    const low = await this.personLowRes(image);
    reportProgress(context, { stage: this.name, fraction: 0.4 });

    // Bilinear upsampling of the mask (pixel centres aligned).
    const person = new Uint8Array(width * height);
    const sx = SEG_WIDTH / width;
    const sy = SEG_HEIGHT / height;
    for (let y = 0; y < height; y++) {
      const fy = Math.min(SEG_HEIGHT - 1, Math.max(0, (y + 0.5) * sy - 0.5));
      const y0 = Math.floor(fy);
      const y1 = Math.min(y0 + 1, SEG_HEIGHT - 1);
      const ty = fy - y0;
      for (let x = 0; x < width; x++) {
        const fx = Math.min(SEG_WIDTH - 1, Math.max(0, (x + 0.5) * sx - 0.5));
        const x0 = Math.floor(fx);
        const x1 = Math.min(x0 + 1, SEG_WIDTH - 1);
        const tx = fx - x0;
        const top = low[y0 * SEG_WIDTH + x0]! * (1 - tx) + low[y0 * SEG_WIDTH + x1]! * tx;
        const bottom = low[y1 * SEG_WIDTH + x0]! * (1 - tx) + low[y1 * SEG_WIDTH + x1]! * tx;
        person[y * width + x] = Math.round(Math.min(1, Math.max(0, top * (1 - ty) + bottom * ty)) * 255);
      }
    }

    // Face hull and head geometry from the landmarks.
    const labels = fillConvexPolygon(convexHull(landmarks, 468), width, height);
    const P = (i: number) => [landmarks[3 * i]!, landmarks[3 * i + 1]!] as const;
    const chin = P(152);
    const forehead = P(10);
    let upX = forehead[0] - chin[0];
    let upY = forehead[1] - chin[1];
    const faceLen = Math.hypot(upX, upY) || 1;
    upX /= faceLen;
    upY /= faceLen;
    const headLen = HEAD_TO_FACE * faceLen;
    const iod = Math.hypot(landmarks[3 * 263]! - landmarks[3 * 33]!, landmarks[3 * 263 + 1]! - landmarks[3 * 33 + 1]!);
    // Features excluded from the skin model: eyes (with brows above them) and mouth, as discs.
    const discs: Array<[number, number, number]> = [];
    for (const [a, b] of [[33, 133], [362, 263]] as const) {
      const cx = (landmarks[3 * a]! + landmarks[3 * b]!) / 2;
      const cy = (landmarks[3 * a + 1]! + landmarks[3 * b + 1]!) / 2;
      discs.push([cx, cy, 0.35 * iod], [cx + 0.25 * iod * upX, cy + 0.25 * iod * upY, 0.3 * iod]);
    }
    discs.push([(landmarks[3 * 13]! + landmarks[3 * 14]!) / 2, (landmarks[3 * 13 + 1]! + landmarks[3 * 14 + 1]!) / 2, 0.45 * iod]);
    const inDisc = (x: number, y: number) => discs.some(([cx, cy, r]) => (x - cx) ** 2 + (y - cy) ** 2 < r * r);

    // Sample colours on a grid (about 20k samples at most per model).
    const step = Math.max(1, Math.floor(Math.sqrt((width * height) / 200_000)));
    const skin: number[] = [];
    const hair: number[] = [];
    for (let y = 0; y < height; y += step) {
      for (let x = 0; x < width; x += step) {
        const p = y * width + x;
        const cx = x + 0.5 - chin[0];
        const cy = y + 0.5 - chin[1];
        const along = cx * upX + cy * upY;
        const across = Math.abs(-cx * upY + cy * upX);
        if (labels[p] === 1) {
          if (!inDisc(x + 0.5, y + 0.5)) skin.push(data[3 * p]!, data[3 * p + 1]!, data[3 * p + 2]!);
        } else if (person[p]! >= threshold && along > 1.05 * faceLen && along < headLen && across < 0.45 * headLen) {
          hair.push(data[3 * p]!, data[3 * p + 1]!, data[3 * p + 2]!);
        }
      }
    }
    const skinModel = fitRobust(skin);
    let hairModel = fitRobust(hair);
    const warnings: StageWarning[] = [];
    if (hairModel && skinModel) {
      // Bald scalp: the "hair" band is skin-coloured, i.e. its mean lies within 2 sigma of the (trimmed) skin model.
      if (colourDistance2(skinModel, ...hairModel.mean) < 4) hairModel = undefined;
    }
    reportProgress(context, { stage: this.name, fraction: 0.7 });

    const counts: [number, number, number, number] = [0, 0, 0, 0];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const p = y * width + x;
        let label: number;
        if (labels[p] === 1) {
          label = SEGMENT_LABELS.SKIN;
        } else if (person[p]! < threshold) {
          label = SEGMENT_LABELS.BACKGROUND;
        } else {
          label = SEGMENT_LABELS.BODY;
          const cx = x + 0.5 - chin[0];
          const cy = y + 0.5 - chin[1];
          const along = cx * upX + cy * upY;
          const across = Math.abs(-cx * upY + cy * upX);
          // Head zone: from a quarter head below the chin (long hair, neck) to the skull top, 0.75 head wide.
          // Below the chin only at the sides (long hair), not the neck or a beard's shadow.
          const inHead = along > -0.25 * headLen && along < 1.1 * headLen && across < 0.75 * headLen && (along > 0 || across > 0.25 * headLen);
          if (inHead) {
            const r = data[3 * p]!;
            const g = data[3 * p + 1]!;
            const b = data[3 * p + 2]!;
            const dSkin = skinModel ? colourDistance2(skinModel, r, g, b) : Infinity;
            const dHair = hairModel ? colourDistance2(hairModel, r, g, b) : Infinity;
            if (dHair < HAIR_CHI2 && dHair < dSkin) label = SEGMENT_LABELS.HAIR;
            else if (dSkin < SKIN_CHI2) label = SEGMENT_LABELS.SKIN;
          }
        }
        labels[p] = label;
        counts[label as 0 | 1 | 2 | 3]++;
      }
    }
    if (!skinModel) warnings.push({ code: 'LOW_CONFIDENCE', message: 'Too few face pixels to model skin colour.' });
    return {
      width, height, person, labels, counts, hairModel: hairModel !== undefined,
      ...(skinModel ? { skinColour: skinModel } : {}), ...(hairModel ? { hairColour: hairModel } : {}), warnings,
    };
  }
}
