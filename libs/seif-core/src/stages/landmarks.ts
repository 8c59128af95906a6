/**
 * Public API. landmarks: MediaPipe Face Mesh (468 points) on a roll-normalised crop around the detection, plus the
 * iris network on both eyes, mapped back to image pixels: 478 points in MediaPipe's refined order.
 *
 * Order (MediaPipe face_mesh with refine_landmarks / iris_tracking graph):
 *   0..467   face mesh; 33/133 are the corners of the subject's RIGHT eye (image left in a frontal photo),
 *            362/263 of the subject's LEFT eye; 4 is the nose tip, 61/291 the mouth corners.
 *   468..472 iris of the subject's right eye (the 33/133 eye): centre, then 4 points on the iris contour.
 *   473..477 iris of the subject's left eye (the 362/263 eye): centre, then 4 contour points.
 * MediaPipe's iris graph calls the 33/133 eye "left" (image side); face_mesh_connections calls it RIGHT_EYE /
 * RIGHT_IRIS (subject side). We use the subject's side in names.
 *
 * Crops follow MediaPipe's graphs: face ROI = detection box centre, side 1.5 x the long side of the box, rotated so
 * the detector's eye keypoints are level (face_detection_front_detection_to_roi.pbtxt); optional second pass from
 * the first pass's landmarks (rotation from 33 -> 263, box of all points, 1.5x, face_landmark_landmarks_to_roi).
 * Eye ROI = midpoint of the two corners, side 2.3 x the corner distance, rotated along the corners; the subject's
 * left eye is mirrored before the iris network (iris_landmark_cpu.pbtxt, IS_RIGHT_EYE flip).
 * Deviation: MediaPipe sizes the eye ROI by the axis-aligned box of the two corners; we use their distance, which
 * is the same for a level face and does not shrink the crop when the head is rolled.
 */
import { type Affine2D, type RgbImage, applyAffine, warpAffineToTensor } from '../image/image.js';
import { SeifError } from '../pipeline/errors.js';
import { type Stage, type StageContext, type StageWarning, reportProgress } from '../pipeline/stage.js';
import { loadModel } from '../runtime/registry.js';
import { type SessionOptions, ort } from '../runtime/session.js';
import type { FaceDetection, Point2 } from './detect.js';

export const NUM_MESH_LANDMARKS = 468;
export const NUM_LANDMARKS = 478;
/** Named indices into the 478 points. */
export const LANDMARK_INDEX = Object.freeze({
  rightEyeOuter: 33,
  rightEyeInner: 133,
  leftEyeInner: 362,
  leftEyeOuter: 263,
  noseTip: 4,
  mouthRight: 61,
  mouthLeft: 291,
  chin: 152,
  forehead: 10,
  rightIrisCenter: 468,
  leftIrisCenter: 473,
});

const MESH_SIZE = 192;
const IRIS_SIZE = 64;

/** A square, rotated crop: centre, side (pixels) and rotation (radians, the crop's x axis in the image). */
export interface CropRect {
  cx: number;
  cy: number;
  size: number;
  rotation: number;
}

/** Affine map from crop pixels ([0, n] x [0, n]) to image pixels. */
export function cropToImage(rect: CropRect, n: number): Affine2D {
  const k = rect.size / n;
  const c = Math.cos(rect.rotation) * k;
  const s = Math.sin(rect.rotation) * k;
  const h = n / 2;
  return [c, -s, rect.cx - c * h + s * h, s, c, rect.cy - s * h - c * h];
}

export interface LandmarksOptions {
  /** Run the mesh a second time on the ROI from the first pass's landmarks (MediaPipe's tracking ROI). */
  refine?: boolean;
  /** Also run the iris network (points 468..477); otherwise they are filled from the eye-contour centroids. */
  iris?: boolean;
  /** Minimum face-presence probability of the mesh network (LANDMARKS_FAILED below it). */
  minPresence?: number;
  session?: SessionOptions;
}

export const LANDMARKS_DEFAULTS = Object.freeze({ refine: true, iris: true, minPresence: 0.5 } satisfies Omit<Required<LandmarksOptions>, 'session'>);

export interface LandmarksInput {
  image: RgbImage;
  face: FaceDetection;
}

export interface LandmarksResult {
  /** 478 x (x, y, z) image pixels; z is depth relative to the face centre in the same pixel units (smaller is
   * closer to the camera, MediaPipe's convention). Iris z is relative to its eye crop. */
  points: Float32Array;
  /** Face-presence probability from the mesh network. */
  presence: number;
  /** The crop the final mesh pass saw. */
  roi: CropRect;
  eyeRois: { right: CropRect; left: CropRect } | undefined;
  warnings: StageWarning[];
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function roiFromDetection(face: FaceDetection): CropRect {
  const [re, le] = face.keypoints as [Point2, Point2];
  return {
    cx: face.box.x + face.box.width / 2,
    cy: face.box.y + face.box.height / 2,
    size: 1.5 * Math.max(face.box.width, face.box.height),
    rotation: Math.atan2(le.y - re.y, le.x - re.x),
  };
}

/** MediaPipe's tracking ROI: axis of 33 -> 263, the bounding box of all points in that rotated frame, 1.5x. */
export function roiFromLandmarks(points: Float32Array, count = NUM_MESH_LANDMARKS): CropRect {
  const ax = points[3 * 263]! - points[3 * 33]!;
  const ay = points[3 * 263 + 1]! - points[3 * 33 + 1]!;
  const rotation = Math.atan2(ay, ax);
  const c = Math.cos(rotation);
  const s = Math.sin(rotation);
  let minU = Infinity;
  let maxU = -Infinity;
  let minV = Infinity;
  let maxV = -Infinity;
  for (let i = 0; i < count; i++) {
    const x = points[3 * i]!;
    const y = points[3 * i + 1]!;
    const u = c * x + s * y;
    const v = -s * x + c * y;
    minU = Math.min(minU, u);
    maxU = Math.max(maxU, u);
    minV = Math.min(minV, v);
    maxV = Math.max(maxV, v);
  }
  const mu = (minU + maxU) / 2;
  const mv = (minV + maxV) / 2;
  return { cx: c * mu - s * mv, cy: s * mu + c * mv, size: 1.5 * Math.max(maxU - minU, maxV - minV), rotation };
}

export function eyeRoi(points: Float32Array, a: number, b: number): CropRect {
  const ax = points[3 * a]!;
  const ay = points[3 * a + 1]!;
  const bx = points[3 * b]!;
  const by = points[3 * b + 1]!;
  return { cx: (ax + bx) / 2, cy: (ay + by) / 2, size: 2.3 * Math.hypot(bx - ax, by - ay), rotation: Math.atan2(by - ay, bx - ax) };
}

export class LandmarksStage implements Stage<LandmarksInput, LandmarksResult> {
  readonly name = 'landmarks';
  readonly options: LandmarksOptions & typeof LANDMARKS_DEFAULTS;
  readonly #meshInput = new Float32Array(MESH_SIZE * MESH_SIZE * 3);
  readonly #irisInput = new Float32Array(IRIS_SIZE * IRIS_SIZE * 3);

  constructor(options: LandmarksOptions = {}) {
    this.options = { ...LANDMARKS_DEFAULTS, ...options } as LandmarksOptions & typeof LANDMARKS_DEFAULTS;
  }

  async warmUp(): Promise<void> {
    await Promise.all([loadModel('face-landmark', this.options.session), ...(this.options.iris ? [loadModel('iris-landmark', this.options.session)] : [])]);
  }

  /** One pass of the mesh network on `roi`; writes 468 points (image pixels) into `out`. */
  async mesh(image: RgbImage, roi: CropRect, out: Float32Array): Promise<number> {
    const session = await loadModel('face-landmark', this.options.session);
    const toImage = cropToImage(roi, MESH_SIZE);
    warpAffineToTensor(image, toImage, MESH_SIZE, MESH_SIZE, this.#meshInput, { border: 'replicate' });
    const outputs = await session.run({ input_1: new ort.Tensor('float32', this.#meshInput, [1, MESH_SIZE, MESH_SIZE, 3]) });
    const [pointsName, presenceName] = (outputs[session.outputNames[0]!]?.data.length ?? 0) > 1 ? session.outputNames : [...session.outputNames].reverse();
    const raw = outputs[pointsName!]!.data as Float32Array;
    const presence = sigmoid((outputs[presenceName!]!.data as Float32Array)[0]!);
    if (raw.length !== NUM_MESH_LANDMARKS * 3) throw new SeifError('INTERNAL', `face landmark network returned ${raw.length} values, expected 1404.`);
    const zScale = roi.size / MESH_SIZE;
    for (let i = 0; i < NUM_MESH_LANDMARKS; i++) {
      const [x, y] = applyAffine(toImage, raw[3 * i]!, raw[3 * i + 1]!);
      out[3 * i] = x;
      out[3 * i + 1] = y;
      out[3 * i + 2] = raw[3 * i + 2]! * zScale;
    }
    return presence;
  }

  /** Iris network on one eye ROI; writes 5 points (centre + 4 contour) at `out[offset..]`. */
  async iris(image: RgbImage, roi: CropRect, mirrored: boolean, out: Float32Array, offset: number): Promise<void> {
    const session = await loadModel('iris-landmark', this.options.session);
    const toImage = cropToImage(roi, IRIS_SIZE);
    warpAffineToTensor(image, toImage, IRIS_SIZE, IRIS_SIZE, this.#irisInput, { border: 'replicate', flipX: mirrored });
    const outputs = await session.run({ input_1: new ort.Tensor('float32', this.#irisInput, [1, IRIS_SIZE, IRIS_SIZE, 3]) });
    const irisName = session.outputNames.find((name) => outputs[name]?.data.length === 15);
    if (!irisName) throw new SeifError('INTERNAL', `iris network outputs ${session.outputNames.join(', ')} have no 15-value tensor.`);
    const raw = outputs[irisName]!.data as Float32Array;
    const zScale = roi.size / IRIS_SIZE;
    for (let k = 0; k < 5; k++) {
      const u = mirrored ? IRIS_SIZE - raw[3 * k]! : raw[3 * k]!;
      const [x, y] = applyAffine(toImage, u, raw[3 * k + 1]!);
      out[offset + 3 * k] = x;
      out[offset + 3 * k + 1] = y;
      out[offset + 3 * k + 2] = raw[3 * k + 2]! * zScale;
    }
  }

  async run(input: LandmarksInput, context?: StageContext): Promise<LandmarksResult> {
    const { image, face } = input;
    const points = new Float32Array(NUM_LANDMARKS * 3);
    let roi = roiFromDetection(face);
    let presence = await this.mesh(image, roi, points);
    reportProgress(context, { stage: this.name, fraction: 0.4 });
    if (this.options.refine && presence >= this.options.minPresence) {
      const second = roiFromLandmarks(points);
      const scratch = new Float32Array(NUM_MESH_LANDMARKS * 3);
      const presence2 = await this.mesh(image, second, scratch);
      if (presence2 >= presence * 0.9) {
        points.set(scratch);
        roi = second;
        presence = presence2;
      }
    }
    if (presence < this.options.minPresence) {
      throw new SeifError('LANDMARKS_FAILED', `The landmark network is not confident a face is in the crop (presence ${presence.toFixed(2)}).`, {
        details: { presence },
      });
    }
    reportProgress(context, { stage: this.name, fraction: 0.7 });
    let eyeRois: LandmarksResult['eyeRois'];
    if (this.options.iris) {
      const right = eyeRoi(points, 33, 133);
      const left = eyeRoi(points, 362, 263);
      await this.iris(image, right, false, points, 468 * 3);
      await this.iris(image, left, true, points, 473 * 3);
      eyeRois = { right, left };
    } else {
      // Without the iris network: the centroid of each eye's corners stands in for the iris centre and contour.
      for (const [base, a, b] of [[468, 33, 133], [473, 362, 263]] as const) {
        for (let k = 0; k < 5; k++) for (let c = 0; c < 3; c++) points[3 * (base + k) + c] = (points[3 * a + c]! + points[3 * b + c]!) / 2;
      }
    }
    const warnings: StageWarning[] = [];
    if (presence < 0.8) warnings.push({ code: 'LOW_CONFIDENCE', message: 'The landmark network is unsure of this face.', value: presence });
    return { points, presence, roi, eyeRois, warnings };
  }
}
