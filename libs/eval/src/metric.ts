/**
 * Public API. The scored quantities of the protocol (../shared/eval/README.md, steps 4-5): the face region
 * (ground-truth vertices within 95 mm of the nose tip, iBUG 30) and ground-truth-point -> reconstructed-surface
 * distances (point to triangle, through a BVH), summarised as median / mean / std in millimetres.
 */
import { type ClosestHit, TriangleBvh } from './bvh.js';
import type { Similarity } from './transform.js';
import { invertTransform } from './transform.js';

/** NoW's face crop radius around the nose tip (mm). */
export const FACE_REGION_RADIUS_MM = 95;
/** iBUG-68 index of the nose tip. */
export const IBUG_NOSE_TIP = 30;

/** Indices of the vertices within `radius` of the landmark `IBUG_NOSE_TIP`. */
export function faceRegion(positions: ArrayLike<number>, landmarks68: ArrayLike<number>, radius = FACE_REGION_RADIUS_MM): Uint32Array {
  const nx = landmarks68[3 * IBUG_NOSE_TIP]!;
  const ny = landmarks68[3 * IBUG_NOSE_TIP + 1]!;
  const nz = landmarks68[3 * IBUG_NOSE_TIP + 2]!;
  const r2 = radius * radius;
  const out: number[] = [];
  for (let i = 0; i < positions.length / 3; i++) {
    const dx = positions[3 * i]! - nx;
    const dy = positions[3 * i + 1]! - ny;
    const dz = positions[3 * i + 2]! - nz;
    if (dx * dx + dy * dy + dz * dz <= r2) out.push(i);
  }
  return Uint32Array.from(out);
}

/** Gathers the points `indices` of an n x 3 array. */
export function gatherPoints(positions: ArrayLike<number>, indices: ArrayLike<number>): Float64Array {
  const out = new Float64Array(3 * indices.length);
  for (let k = 0; k < indices.length; k++) {
    const v = 3 * indices[k]!;
    out[3 * k] = positions[v]!;
    out[3 * k + 1] = positions[v + 1]!;
    out[3 * k + 2] = positions[v + 2]!;
  }
  return out;
}

/**
 * Distance from each point (ground-truth frame) to the surface held by `bvh` (reconstruction frame) after the
 * reconstruction is moved by `reconToGt`. The points are mapped into the reconstruction's frame instead of
 * rebuilding the BVH, and distances are scaled back (exact, since a similarity scales all distances alike).
 */
export function surfaceDistances(points: ArrayLike<number>, bvh: TriangleBvh, reconToGt: Similarity, out = new Float64Array(points.length / 3)): Float64Array {
  const inv = invertTransform(reconToGt);
  const r = inv.rotation;
  const s = inv.scale;
  const t = inv.translation;
  const hit: ClosestHit = { distanceSq: Infinity, triangle: -1, x: NaN, y: NaN, z: NaN };
  for (let i = 0; i < points.length / 3; i++) {
    const x = points[3 * i]!;
    const y = points[3 * i + 1]!;
    const z = points[3 * i + 2]!;
    const qx = s * (r[0]! * x + r[1]! * y + r[2]! * z) + t[0]!;
    const qy = s * (r[3]! * x + r[4]! * y + r[5]! * z) + t[1]!;
    const qz = s * (r[6]! * x + r[7]! * y + r[8]! * z) + t[2]!;
    bvh.closestPoint(qx, qy, qz, hit);
    out[i] = Math.sqrt(hit.distanceSq) * reconToGt.scale;
  }
  return out;
}

export interface ErrorStats {
  median: number;
  mean: number;
  /** Population standard deviation. */
  std: number;
  /** 90th percentile. */
  p90: number;
  max: number;
  /** Number of points summarised. */
  count: number;
}

export function summarize(values: ArrayLike<number>): ErrorStats {
  const finite = Float64Array.from(Array.prototype.filter.call(values, (v: number) => Number.isFinite(v)) as number[]);
  const n = finite.length;
  if (n === 0) return { median: NaN, mean: NaN, std: NaN, p90: NaN, max: NaN, count: 0 };
  finite.sort();
  const quantile = (q: number) => {
    const pos = q * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(n - 1, lo + 1);
    return finite[lo]! + (finite[hi]! - finite[lo]!) * (pos - lo);
  };
  let sum = 0;
  for (const v of finite) sum += v;
  const mean = sum / n;
  let sq = 0;
  for (const v of finite) sq += (v - mean) ** 2;
  return { median: quantile(0.5), mean, std: Math.sqrt(sq / n), p90: quantile(0.9), max: finite[n - 1]!, count: n };
}
