/**
 * MediaPipe's SSD post-processing for the BlazeFace detectors, reimplemented from the graph options in
 * mediapipe/modules/face_detection/*.pbtxt (SsdAnchorsCalculator, TensorsToDetectionsCalculator,
 * NonMaxSuppressionCalculator WEIGHTED). Coordinates here are normalised to the network input ([0,1]).
 */

export interface AnchorOptions {
  inputSize: number;
  strides: readonly number[];
  minScale: number;
  maxScale: number;
  /** >0 adds one anchor per cell with this aspect ratio between consecutive scales (short range: 1.0). */
  interpolatedScaleAspectRatio: number;
  aspectRatios: readonly number[];
}

/** Anchors as a flat [xCenter, yCenter] array; BlazeFace uses fixed_anchor_size, so w = h = 1. */
export function ssdAnchors(options: AnchorOptions): Float32Array {
  const { strides, inputSize } = options;
  const centres: number[] = [];
  let layer = 0;
  while (layer < strides.length) {
    // Consecutive layers with the same stride share one feature map; their anchors interleave per cell.
    let perCell = 0;
    let last = layer;
    while (last < strides.length && strides[last] === strides[layer]) {
      perCell += options.aspectRatios.length + (options.interpolatedScaleAspectRatio > 0 ? 1 : 0);
      last++;
    }
    const size = Math.ceil(inputSize / (strides[layer] as number));
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let a = 0; a < perCell; a++) centres.push((x + 0.5) / size, (y + 0.5) / size);
      }
    }
    layer = last;
  }
  return new Float32Array(centres);
}

export interface RawDetection {
  score: number;
  /** xMin, yMin, xMax, yMax (normalised). */
  box: [number, number, number, number];
  /** 6 keypoints x (x, y), normalised. */
  keypoints: number[];
}

/** Decodes regressors [N,16] and logits [N,1] into detections above `minScore` (sigmoid, logits clipped at +-100). */
export function decodeDetections(
  regressors: Float32Array,
  logits: Float32Array,
  anchors: Float32Array,
  inputSize: number,
  minScore: number,
  numKeypoints = 6,
): RawDetection[] {
  const n = anchors.length / 2;
  const coords = 4 + 2 * numKeypoints;
  const out: RawDetection[] = [];
  for (let i = 0; i < n; i++) {
    const logit = Math.max(-100, Math.min(100, logits[i] as number));
    const score = 1 / (1 + Math.exp(-logit));
    if (score < minScore) continue;
    const ax = anchors[2 * i] as number;
    const ay = anchors[2 * i + 1] as number;
    const r = i * coords;
    const cx = (regressors[r] as number) / inputSize + ax;
    const cy = (regressors[r + 1] as number) / inputSize + ay;
    const w = (regressors[r + 2] as number) / inputSize;
    const h = (regressors[r + 3] as number) / inputSize;
    const keypoints: number[] = [];
    for (let k = 0; k < numKeypoints; k++) {
      keypoints.push((regressors[r + 4 + 2 * k] as number) / inputSize + ax, (regressors[r + 5 + 2 * k] as number) / inputSize + ay);
    }
    out.push({ score, box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], keypoints });
  }
  return out;
}

export function iou(a: readonly number[], b: readonly number[]): number {
  const ix = Math.max(0, Math.min(a[2] as number, b[2] as number) - Math.max(a[0] as number, b[0] as number));
  const iy = Math.max(0, Math.min(a[3] as number, b[3] as number) - Math.max(a[1] as number, b[1] as number));
  const inter = ix * iy;
  const areaA = ((a[2] as number) - (a[0] as number)) * ((a[3] as number) - (a[1] as number));
  const areaB = ((b[2] as number) - (b[0] as number)) * ((b[3] as number) - (b[1] as number));
  const union = areaA + areaB - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * MediaPipe's WEIGHTED non-max suppression: take the best remaining detection, gather every remaining one that
 * overlaps it by more than `threshold` IoU, and replace the group by the score-weighted mean of their boxes and
 * keypoints (the score stays the best one's). Smoother than hard NMS for the many overlapping anchors BlazeFace fires.
 */
export function weightedNms(detections: RawDetection[], threshold = 0.3): RawDetection[] {
  let remaining = [...detections].sort((p, q) => q.score - p.score);
  const out: RawDetection[] = [];
  while (remaining.length > 0) {
    const best = remaining[0] as RawDetection;
    const group: RawDetection[] = [];
    const rest: RawDetection[] = [];
    for (const candidate of remaining) (iou(best.box, candidate.box) > threshold || candidate === best ? group : rest).push(candidate);
    let total = 0;
    const box = [0, 0, 0, 0];
    const keypoints = new Array<number>(best.keypoints.length).fill(0);
    for (const member of group) {
      total += member.score;
      for (let c = 0; c < 4; c++) box[c] = (box[c] as number) + member.score * (member.box[c] as number);
      for (let c = 0; c < keypoints.length; c++) keypoints[c] = (keypoints[c] as number) + member.score * (member.keypoints[c] as number);
    }
    out.push({
      score: best.score,
      box: box.map((value) => value / total) as [number, number, number, number],
      keypoints: keypoints.map((value) => value / total),
    });
    remaining = rest;
  }
  return out;
}
