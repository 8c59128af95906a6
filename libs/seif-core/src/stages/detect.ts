/**
 * Public API. detect: MediaPipe BlazeFace face detection (short range 128x128 and full range 192x192 ONNX) with
 * SSD anchors, box/keypoint decoding and weighted NMS, then the platform's policy: NO_FACE, MULTIPLE_FACES
 * ('error' | 'largest'), FACE_TOO_SMALL, FACE_TRUNCATED, and quality warnings (blur, dark, strong yaw).
 *
 * Coordinates are image pixels (pixel centres at +0.5). Keypoints follow MediaPipe's order and its
 * subject-centred names: the subject's right eye comes first and appears on the image's left.
 */
import type { RgbImage } from '../image/image.js';
import { type Affine2D, warpAffineToTensor } from '../image/image.js';
import { laplacianVariance, mean, tensorLuma } from '../image/quality.js';
import { SeifError } from '../pipeline/errors.js';
import { type Stage, type StageContext, type StageWarning, reportProgress } from '../pipeline/stage.js';
import { loadModel, type ModelName } from '../runtime/registry.js';
import type { SessionOptions } from '../runtime/session.js';
import { ort } from '../runtime/session.js';
import { type AnchorOptions, type RawDetection, decodeDetections, ssdAnchors, weightedNms } from './ssd.js';

export const FACE_KEYPOINTS = Object.freeze(['rightEye', 'leftEye', 'noseTip', 'mouthCenter', 'rightEarTragion', 'leftEarTragion'] as const);
export type FaceKeypointName = (typeof FACE_KEYPOINTS)[number];

export interface Point2 {
  x: number;
  y: number;
}

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface FaceDetection {
  score: number;
  box: FaceBox;
  /** In FACE_KEYPOINTS order. */
  keypoints: Point2[];
  /** Which network found it. */
  model: DetectorRange;
}

export type DetectorRange = 'short' | 'full';

interface DetectorSpec {
  model: ModelName;
  inputSize: number;
  inputName: string;
  anchors: AnchorOptions;
  /** MediaPipe's min_score_thresh for the model. */
  minScore: number;
}

/** The two BlazeFace variants, with the options of MediaPipe's face_detection_{short,full}_range.pbtxt. */
export const DETECTORS: Readonly<Record<DetectorRange, DetectorSpec>> = Object.freeze({
  short: {
    model: 'face-detection-short',
    inputSize: 128,
    inputName: 'input',
    anchors: { inputSize: 128, strides: [8, 16, 16, 16], minScale: 0.1484375, maxScale: 0.75, interpolatedScaleAspectRatio: 1, aspectRatios: [1] },
    minScore: 0.5,
  },
  full: {
    model: 'face-detection-full',
    inputSize: 192,
    inputName: 'input',
    anchors: { inputSize: 192, strides: [4], minScale: 0.1484375, maxScale: 0.75, interpolatedScaleAspectRatio: 0, aspectRatios: [1] },
    minScore: 0.6,
  },
});

export interface DetectOptions {
  /**
   * 'short' (faces filling much of the frame, selfies), 'full' (faces anywhere, down to ~1/20 of the frame), or
   * 'auto' (default): both, merged by weighted NMS, so close-up portraits and group photos both work.
   */
  range?: DetectorRange | 'auto';
  /** What to do with more than one face: 'error' (MULTIPLE_FACES) or 'largest'. */
  faces?: 'error' | 'largest';
  /**
   * Secondary faces smaller than this fraction of the largest face's width are ignored by the 'error' policy
   * (a bystander far behind the subject is not a second subject).
   */
  secondaryFaceRatio?: number;
  /** Overrides the models' own score thresholds. */
  minScore?: number;
  /** Smallest accepted face box side, pixels (FACE_TOO_SMALL below it). */
  minFaceSize?: number;
  /** Largest accepted fraction of the face box outside the image on any side (FACE_TRUNCATED above it). */
  maxTruncation?: number;
  /** Warning thresholds. */
  blurThreshold?: number;
  darkThreshold?: number;
  brightThreshold?: number;
  yawThresholdDegrees?: number;
  session?: SessionOptions;
}

export const DETECT_DEFAULTS = Object.freeze({
  range: 'auto',
  faces: 'error',
  secondaryFaceRatio: 0.5,
  // 40 px: the landmark network sees a 1.5x box crop at 192 px, so a 40 px face is upsampled ~3x, about the
  // most that still gives usable landmarks (the 115 px 'photo-bryan' portrait has a 44 px face box).
  minFaceSize: 40,
  maxTruncation: 0.15,
  // Contrast-normalised Laplacian variance of the face resampled to 128 px across the box: the sample
  // portraits give 68..380 (the 115 px 'photo-bryan' is the lowest), photo-neutral blurred with sigma 6 gives 16.
  blurThreshold: 40,
  darkThreshold: 0.22,
  brightThreshold: 0.9,
  yawThresholdDegrees: 35,
} satisfies Omit<Required<DetectOptions>, 'minScore' | 'session'>);

export interface FaceQuality {
  /** Laplacian variance of the face box resampled to 128 px (higher is sharper). */
  sharpness: number;
  /** Mean luma of the face box, [0,1]. */
  brightness: number;
  /** Rough yaw from the keypoints, degrees (positive: the subject turns toward the image's right). */
  yawDegrees: number;
  /** In-plane rotation of the eye line, degrees (positive: clockwise in the image). */
  rollDegrees: number;
}

export interface DetectResult {
  /** The chosen face. */
  face: FaceDetection;
  /** Every face found (after NMS), largest first. */
  faces: FaceDetection[];
  quality: FaceQuality;
  warnings: StageWarning[];
  imageWidth: number;
  imageHeight: number;
}

/** Runs one BlazeFace network on a letterboxed image; returns detections in image pixels. */
async function runDetector(range: DetectorRange, image: RgbImage, options: DetectOptions, anchorsCache: Map<DetectorRange, Float32Array>): Promise<FaceDetection[]> {
  const spec = DETECTORS[range];
  const session = await loadModel(spec.model, options.session);
  const size = spec.inputSize;
  // Letterbox: the image centred in a square of side max(w, h), zero padded (MediaPipe keep_aspect_ratio).
  const side = Math.max(image.width, image.height);
  const s = side / size;
  const ox = image.width / 2 - side / 2;
  const oy = image.height / 2 - side / 2;
  const toSource: Affine2D = [s, 0, ox, 0, s, oy];
  const tensor = warpAffineToTensor(image, toSource, size, size, undefined, { border: 'zero', scale: 2, offset: -1 });
  const feeds = { [spec.inputName]: new ort.Tensor('float32', tensor, [1, size, size, 3]) };
  const outputs = await session.run(feeds);
  const [regName, clsName] = session.outputNames.length === 2 ? pickOutputs(session.outputNames, outputs) : ['', ''];
  const regressors = outputs[regName]?.data as Float32Array;
  const logits = outputs[clsName]?.data as Float32Array;
  let anchors = anchorsCache.get(range);
  if (!anchors) {
    anchors = ssdAnchors(spec.anchors);
    anchorsCache.set(range, anchors);
  }
  if (regressors.length !== (anchors.length / 2) * 16 || logits.length !== anchors.length / 2) {
    throw new SeifError('INTERNAL', `detect(${range}): output sizes ${regressors.length}/${logits.length} do not match ${anchors.length / 2} anchors.`);
  }
  const raw = decodeDetections(regressors, logits, anchors, size, options.minScore ?? spec.minScore);
  return weightedNms(raw).map((d) => toImage(d, side, ox, oy, range));
}

/** The regressor output has 16 values per anchor, the classifier 1: tell them apart by size, not by name. */
function pickOutputs(names: readonly string[], outputs: Record<string, ort.Tensor>): [string, string] {
  const [a, b] = names as [string, string];
  return (outputs[a]?.data.length ?? 0) > (outputs[b]?.data.length ?? 0) ? [a, b] : [b, a];
}

function toImage(d: RawDetection, side: number, ox: number, oy: number, model: DetectorRange): FaceDetection {
  const [x0, y0, x1, y1] = d.box;
  const keypoints: Point2[] = [];
  for (let k = 0; k < d.keypoints.length; k += 2) keypoints.push({ x: (d.keypoints[k] as number) * side + ox, y: (d.keypoints[k + 1] as number) * side + oy });
  return { score: d.score, box: { x: x0 * side + ox, y: y0 * side + oy, width: (x1 - x0) * side, height: (y1 - y0) * side }, keypoints, model };
}

function mergeFaces(faces: FaceDetection[]): FaceDetection[] {
  // Weighted NMS across the two networks, in image pixels.
  const raw = faces.map((f) => ({
    score: f.score,
    box: [f.box.x, f.box.y, f.box.x + f.box.width, f.box.y + f.box.height] as [number, number, number, number],
    keypoints: f.keypoints.flatMap((p) => [p.x, p.y]),
    model: f.model,
  }));
  return weightedNms(raw).map((d) => {
    const source = raw.find((r) => r.score === d.score);
    return toImage(d, 1, 0, 0, source?.model ?? 'full');
  });
}

export function faceQuality(image: RgbImage, face: FaceDetection): FaceQuality {
  const [re, le, nose, , rear, lear] = face.keypoints as [Point2, Point2, Point2, Point2, Point2, Point2];
  const roll = Math.atan2(le.y - re.y, le.x - re.x);
  // Resample the box, roll-normalised, at 128 px: sharpness is then comparable across photo sizes.
  const n = 128;
  const size = Math.max(face.box.width, face.box.height);
  const cx = face.box.x + face.box.width / 2;
  const cy = face.box.y + face.box.height / 2;
  const k = size / n;
  const cos = Math.cos(roll) * k;
  const sin = Math.sin(roll) * k;
  const toSource: Affine2D = [cos, -sin, cx - (cos * n) / 2 + (sin * n) / 2, sin, cos, cy - (sin * n) / 2 - (cos * n) / 2];
  const crop = warpAffineToTensor(image, toSource, n, n, undefined, { border: 'replicate' });
  const gray = tensorLuma(crop);
  // Yaw from how far the nose tip sits from the ear-to-ear midline, relative to the ear distance along the eye
  // axis; atan(r / 1.3) with 1.3 ~ nose-tip depth over half head width, so 0 is frontal and ~90 a profile.
  const ax = Math.cos(roll);
  const ay = Math.sin(roll);
  const along = (p: Point2): number => p.x * ax + p.y * ay;
  const halfEars = Math.max(1e-6, (along(lear) - along(rear)) / 2);
  const mid = (along(lear) + along(rear)) / 2;
  const r = (along(nose) - mid) / halfEars;
  // Contrast-normalised: a dark or flat-lit face has a small Laplacian without being blurred, so the variance is
  // rescaled to a grey-level standard deviation of 0.2 (typical of a well exposed face crop).
  const brightness = mean(gray);
  let variance = 0;
  for (let i = 0; i < gray.length; i++) variance += (gray[i]! - brightness) ** 2;
  const std = Math.sqrt(variance / gray.length);
  return {
    sharpness: laplacianVariance(gray, n, n) * (0.2 / Math.max(std, 0.02)) ** 2,
    brightness,
    yawDegrees: (Math.atan(r / 1.3) * 180) / Math.PI,
    rollDegrees: (roll * 180) / Math.PI,
  };
}

export class DetectStage implements Stage<RgbImage, DetectResult> {
  readonly name = 'detect';
  readonly options: DetectOptions & typeof DETECT_DEFAULTS;
  readonly #anchors = new Map<DetectorRange, Float32Array>();

  constructor(options: DetectOptions = {}) {
    this.options = { ...DETECT_DEFAULTS, ...options } as DetectOptions & typeof DETECT_DEFAULTS;
    const { range, faces } = this.options;
    if (!['short', 'full', 'auto'].includes(range)) throw new SeifError('INVALID_ARGUMENT', `detect: range must be 'short', 'full' or 'auto', got '${range}'.`);
    if (!['error', 'largest'].includes(faces)) throw new SeifError('INVALID_ARGUMENT', `detect: faces must be 'error' or 'largest', got '${faces}'.`);
  }

  /** Loads the networks now (call at boot so the first job does not pay for it). */
  async warmUp(): Promise<void> {
    const ranges: DetectorRange[] = this.options.range === 'auto' ? ['full', 'short'] : [this.options.range];
    await Promise.all(ranges.map((range) => loadModel(DETECTORS[range].model, this.options.session)));
  }

  /** All faces, largest first, without the policy checks. */
  async detectAll(image: RgbImage): Promise<FaceDetection[]> {
    const { range } = this.options;
    let faces: FaceDetection[];
    if (range === 'auto') {
      const full = await runDetector('full', image, this.options, this.#anchors);
      const short = await runDetector('short', image, this.options, this.#anchors);
      faces = mergeFaces([...full, ...short]);
    } else {
      faces = await runDetector(range, image, this.options, this.#anchors);
    }
    return faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  }

  async run(image: RgbImage, context?: StageContext): Promise<DetectResult> {
    const o = this.options;
    const faces = await this.detectAll(image);
    reportProgress(context, { stage: this.name, fraction: 0.8 });
    const details = { faces: faces.length, imageWidth: image.width, imageHeight: image.height };
    if (faces.length === 0) throw new SeifError('NO_FACE', undefined, { details });
    const face = faces[0] as FaceDetection;
    if (o.faces === 'error') {
      const others = faces.slice(1).filter((f) => f.box.width >= o.secondaryFaceRatio * face.box.width);
      if (others.length > 0) {
        throw new SeifError('MULTIPLE_FACES', `${others.length + 1} faces were found; crop the photo to one person or use faces: 'largest'.`, {
          details: { ...details, boxes: faces.map((f) => f.box) },
        });
      }
    }
    const side = Math.min(face.box.width, face.box.height);
    if (side < o.minFaceSize) {
      throw new SeifError('FACE_TOO_SMALL', `The face is ${Math.round(side)} px across; at least ${o.minFaceSize} px is needed.`, {
        details: { ...details, box: face.box },
      });
    }
    const b = face.box;
    const outside = Math.max(-b.x / b.width, -b.y / b.height, (b.x + b.width - image.width) / b.width, (b.y + b.height - image.height) / b.height);
    if (outside > o.maxTruncation) {
      throw new SeifError('FACE_TRUNCATED', `${Math.round(outside * 100)} % of the face box lies outside the photo.`, {
        details: { ...details, box: face.box },
      });
    }
    const quality = faceQuality(image, face);
    const warnings: StageWarning[] = [];
    if (quality.sharpness < o.blurThreshold) warnings.push({ code: 'BLURRY', message: 'The face looks blurred or out of focus.', value: quality.sharpness });
    if (quality.brightness < o.darkThreshold) warnings.push({ code: 'DARK', message: 'The face is dark (under-exposed).', value: quality.brightness });
    if (quality.brightness > o.brightThreshold) warnings.push({ code: 'OVEREXPOSED', message: 'The face is over-exposed.', value: quality.brightness });
    if (Math.abs(quality.yawDegrees) > o.yawThresholdDegrees) {
      warnings.push({ code: 'STRONG_YAW', message: 'The head is turned strongly to the side; the hidden side will be guessed.', value: quality.yawDegrees });
    }
    return { face, faces, quality, warnings, imageWidth: image.width, imageHeight: image.height };
  }
}
