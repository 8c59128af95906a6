/**
 * Public API. Landmark sets (../shared/eval/README.md, "Landmark sets"): case folders with image.jpg|png and
 * landmarks.json `{"format": "ibug68", "units": "px", "points3d": [[x, y, z] x 68], "points2d"?: [[x, y] x 68],
 * "yaw_deg"?: number}`; writing them from rendered dev heads, and scoring a front end on them (NME).
 *
 * MediaPipe -> iBUG-68: the published table used by LatentSync 1.5 (ByteDance, Apache-2.0, `LM68_FROM_MP478`)
 * and MaixPy, a single mesh vertex per iBUG point. It agrees with the facts checked in ../shared/assets/README.md
 * (mesh 4 = iBUG 30 nose tip; 33/133/362/263 = iBUG 36/39/42/45; 61/291 = iBUG 48/54), and
 * test/landmarks.test.ts checks every entry against FLAME: where MediaPipe's point lies in SMIRK's 105-point
 * embedding, it must sit close to RingNet's static iBUG embedding on the FLAME template. The jaw entries (0-16)
 * are fixed mesh points, not the image silhouette, which is the 3D-landmark (3DDFA) convention.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { EvalError } from './errors.js';

export const MEDIAPIPE_TO_IBUG68: readonly number[] = Object.freeze([
  // jaw 0-16
  162, 234, 93, 58, 172, 136, 149, 148, 152, 377, 378, 365, 397, 288, 323, 454, 389,
  // brows 17-21, 22-26
  71, 63, 105, 66, 107, 336, 296, 334, 293, 301,
  // nose bridge 27-30, nose bottom 31-35
  168, 197, 5, 4, 75, 97, 2, 326, 305,
  // eyes 36-41, 42-47
  33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
  // outer lips 48-59, inner lips 60-67
  61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181, 78, 82, 13, 312, 308, 317, 14, 87,
]);

/**
 * 68 x 3 iBUG points from MediaPipe's 478 x 3 (image px). MediaPipe's z grows away from the camera; the landmark
 * set's z grows toward it, so z is negated.
 */
export function mediapipeToIbug68(points478: ArrayLike<number>): Float64Array {
  const out = new Float64Array(3 * 68);
  MEDIAPIPE_TO_IBUG68.forEach((m, i) => {
    out[3 * i] = points478[3 * m]!;
    out[3 * i + 1] = points478[3 * m + 1]!;
    out[3 * i + 2] = -points478[3 * m + 2]!;
  });
  return out;
}

export interface LandmarkSetCase {
  name: string;
  imageFile: string;
  /** 68 x 3 (x, y, z) px. */
  points3d: Float64Array;
  /** 68 x 2 px: points2d when given (manual annotation), else x, y of points3d. */
  points2d: Float64Array;
  yawDeg?: number;
}

export async function readLandmarkSet(setDir: string): Promise<LandmarkSetCase[]> {
  if (!existsSync(setDir)) throw new EvalError('BAD_SET', `landmark set ${setDir} does not exist`);
  const out: LandmarkSetCase[] = [];
  const entries = (await readdir(setDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  for (const name of entries) {
    const dir = path.join(setDir, name);
    const imageFile = ['image.jpg', 'image.jpeg', 'image.png'].map((f) => path.join(dir, f)).find((f) => existsSync(f));
    const lmFile = path.join(dir, 'landmarks.json');
    if (!imageFile || !existsSync(lmFile)) continue;
    const doc = JSON.parse(await readFile(lmFile, 'utf8')) as { format?: string; units?: string; points3d?: number[][]; points2d?: number[][]; yaw_deg?: number };
    if (doc.format !== 'ibug68' || doc.units !== 'px' || !Array.isArray(doc.points3d) || doc.points3d.length !== 68) {
      throw new EvalError('BAD_SET', `${lmFile}: needs format "ibug68", units "px" and 68 points3d`);
    }
    const points3d = Float64Array.from(doc.points3d.flatMap((p) => [p[0]!, p[1]!, p[2]!]));
    const points2d = doc.points2d ? Float64Array.from(doc.points2d.flatMap((p) => [p[0]!, p[1]!])) : Float64Array.from(doc.points3d.flatMap((p) => [p[0]!, p[1]!]));
    if (points2d.length !== 136) throw new EvalError('BAD_SET', `${lmFile}: points2d needs 68 points`);
    out.push({ name, imageFile, points3d, points2d, ...(typeof doc.yaw_deg === 'number' ? { yawDeg: doc.yaw_deg } : {}) });
  }
  if (out.length === 0) throw new EvalError('BAD_SET', `landmark set ${setDir} has no case folders with image + landmarks.json`);
  return out;
}

export async function writeLandmarkCase(dir: string, image: { data: Uint8Array; width: number; height: number }, points3d: ArrayLike<number>, yawDeg?: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toFile(path.join(dir, 'image.png'));
  const round = (v: number) => Math.round(v * 1000) / 1000;
  const doc = {
    format: 'ibug68',
    units: 'px',
    points3d: Array.from({ length: 68 }, (_, i) => [round(points3d[3 * i]!), round(points3d[3 * i + 1]!), round(points3d[3 * i + 2]!)]),
    ...(yawDeg !== undefined ? { yaw_deg: yawDeg } : {}),
  };
  await writeFile(path.join(dir, 'landmarks.json'), `${JSON.stringify(doc)}\n`);
}

/** sqrt(w * h) of the 2D bounding box of the ground-truth points (68 x 2). */
export function bboxSize(points2d: ArrayLike<number>): number {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < points2d.length; i += 2) {
    x0 = Math.min(x0, points2d[i]!); x1 = Math.max(x1, points2d[i]!);
    y0 = Math.min(y0, points2d[i + 1]!); y1 = Math.max(y1, points2d[i + 1]!);
  }
  return Math.sqrt((x1 - x0) * (y1 - y0));
}

/** NME (3DDFA): 2D from predicted x, y vs points2d; 3D after removing each set's mean depth. */
export function nme(pred: Float64Array, gt: LandmarkSetCase): { nme2d: number; nme3d: number } {
  const norm = bboxSize(gt.points2d);
  let d2 = 0, d3 = 0, zp = 0, zg = 0;
  for (let i = 0; i < 68; i++) {
    zp += pred[3 * i + 2]! / 68;
    zg += gt.points3d[3 * i + 2]! / 68;
  }
  for (let i = 0; i < 68; i++) {
    const dx2 = pred[3 * i]! - gt.points2d[2 * i]!;
    const dy2 = pred[3 * i + 1]! - gt.points2d[2 * i + 1]!;
    d2 += Math.hypot(dx2, dy2);
    const dx = pred[3 * i]! - gt.points3d[3 * i]!;
    const dy = pred[3 * i + 1]! - gt.points3d[3 * i + 1]!;
    const dz = pred[3 * i + 2]! - zp - (gt.points3d[3 * i + 2]! - zg);
    d3 += Math.hypot(dx, dy, dz);
  }
  return { nme2d: d2 / 68 / norm, nme3d: d3 / 68 / norm };
}

export const YAW_BUCKETS = Object.freeze(['[0,30)', '[30,60)', '[60,90]', 'unknown'] as const);
export type YawBucket = (typeof YAW_BUCKETS)[number];

export function yawBucket(yawDeg: number | undefined): YawBucket {
  if (yawDeg === undefined || !Number.isFinite(yawDeg)) return 'unknown';
  const a = Math.abs(yawDeg);
  return a < 30 ? '[0,30)' : a < 60 ? '[30,60)' : '[60,90]';
}
