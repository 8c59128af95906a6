/**
 * Public API. Alignment of a reconstruction to the ground truth (../shared/eval/README.md, step 3, as NoW does
 * it): a similarity transform (with scale) from 7 landmarks, then rigid ICP on the ground-truth face region.
 *
 * ICP direction: ground-truth face points are matched to their closest points on the reconstructed SURFACE (not
 * its vertices), which is the same correspondence the metric scores, so ICP minimises the reported quantity's
 * mean square. The scale found from the landmarks is kept (rigid refinement, as the protocol states).
 */
import { type ClosestHit, TriangleBvh } from './bvh.js';
import { EvalError } from './errors.js';
import { type Similarity, applyTransform, composeTransforms, fitTransform, invertTransform } from './transform.js';

/** iBUG-68 indices used for the initial similarity: outer/inner eye corners, nose bottom, mouth corners. */
export const ALIGNMENT_LANDMARKS = Object.freeze([36, 39, 42, 45, 33, 48, 54] as const);

export interface IcpOptions {
  /** Iteration cap. 50 is ample: on dev heads it converges (see `tolerance`) in 10-30. */
  maxIterations?: number;
  /** Stop when the RMS distance improves by less than this (mm) in one iteration. */
  tolerance?: number;
}

export const ICP_DEFAULTS = Object.freeze({ maxIterations: 50, tolerance: 1e-4 } satisfies Required<IcpOptions>);

export interface AlignmentResult {
  /** Reconstruction frame -> ground-truth frame (landmark similarity refined by ICP). */
  transform: Similarity;
  /** The landmark-only similarity. */
  landmarkTransform: Similarity;
  /** RMS landmark residual (mm, over the 7 landmarks) of the landmark similarity. */
  landmarkRms: number;
  icpIterations: number;
  /** RMS face-region distance (mm) before and after ICP. */
  rmsBefore: number;
  rmsAfter: number;
}

function pick(landmarks68: ArrayLike<number>): Float64Array {
  const out = new Float64Array(3 * ALIGNMENT_LANDMARKS.length);
  ALIGNMENT_LANDMARKS.forEach((l, k) => {
    out[3 * k] = landmarks68[3 * l]!;
    out[3 * k + 1] = landmarks68[3 * l + 1]!;
    out[3 * k + 2] = landmarks68[3 * l + 2]!;
  });
  return out;
}

/** Similarity (with scale) mapping the reconstruction's 7 alignment landmarks onto the ground truth's. */
export function landmarkSimilarity(reconLandmarks68: ArrayLike<number>, gtLandmarks68: ArrayLike<number>): { transform: Similarity; rms: number } {
  const src = pick(reconLandmarks68);
  const dst = pick(gtLandmarks68);
  for (let i = 0; i < src.length; i++) {
    if (!Number.isFinite(src[i]!)) throw new EvalError('ALIGNMENT_FAILED', `alignment landmark iBUG ${ALIGNMENT_LANDMARKS[Math.floor(i / 3)]} of the reconstruction is not finite`);
  }
  const transform = fitTransform(src, dst, { scale: true });
  if (!(transform.scale > 0) || !Number.isFinite(transform.scale)) throw new EvalError('ALIGNMENT_FAILED', `landmark similarity has scale ${transform.scale}`);
  const moved = applyTransform(transform, src);
  let sq = 0;
  for (let i = 0; i < moved.length; i++) sq += (moved[i]! - dst[i]!) ** 2;
  return { transform, rms: Math.sqrt(sq / ALIGNMENT_LANDMARKS.length) };
}

/**
 * Rigid ICP: refines `initial` (reconstruction -> GT) so the reconstructed surface fits `gtPoints` (GT frame).
 * The BVH stays in the reconstruction's frame; GT points are mapped into it each iteration.
 */
export function rigidIcp(gtPoints: Float64Array, bvh: TriangleBvh, initial: Similarity, options: IcpOptions = {}): { transform: Similarity; iterations: number; rmsBefore: number; rmsAfter: number } {
  const o = { ...ICP_DEFAULTS, ...options };
  const n = gtPoints.length / 3;
  const matched = new Float64Array(3 * n);
  const hit: ClosestHit = { distanceSq: Infinity, triangle: -1, x: NaN, y: NaN, z: NaN };
  let transform = initial;
  let rmsBefore = NaN;
  let previous = Infinity;
  let rms = NaN;
  let iterations = 0;
  for (let it = 0; it <= o.maxIterations; it++) {
    const inv = invertTransform(transform);
    const local = applyTransform(inv, gtPoints);
    let sq = 0;
    for (let i = 0; i < n; i++) {
      bvh.closestPoint(local[3 * i]!, local[3 * i + 1]!, local[3 * i + 2]!, hit);
      matched[3 * i] = hit.x;
      matched[3 * i + 1] = hit.y;
      matched[3 * i + 2] = hit.z;
      sq += hit.distanceSq;
    }
    rms = Math.sqrt(sq / n) * transform.scale;
    if (it === 0) rmsBefore = rms;
    if (previous - rms < o.tolerance || it === o.maxIterations) break;
    previous = rms;
    const matchedGt = applyTransform(transform, matched);
    const step = fitTransform(matchedGt, gtPoints, { scale: false });
    transform = composeTransforms(step, transform);
    iterations = it + 1;
  }
  return { transform, iterations, rmsBefore, rmsAfter: rms };
}

/** The protocol's alignment: landmark similarity, then rigid ICP on the GT face-region points. */
export function alignToGroundTruth(input: {
  reconLandmarks68: ArrayLike<number>;
  gtLandmarks68: ArrayLike<number>;
  reconBvh: TriangleBvh;
  gtFacePoints: Float64Array;
  icp?: IcpOptions;
}): AlignmentResult {
  const { transform: landmarkTransform, rms } = landmarkSimilarity(input.reconLandmarks68, input.gtLandmarks68);
  const icp = rigidIcp(input.gtFacePoints, input.reconBvh, landmarkTransform, input.icp);
  return { transform: icp.transform, landmarkTransform, landmarkRms: rms, icpIterations: icp.iterations, rmsBefore: icp.rmsBefore, rmsAfter: icp.rmsAfter };
}
