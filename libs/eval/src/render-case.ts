/**
 * Public API. Protocol step 1: render a case to a photo-like input with a known camera.
 *
 * Recipe (../shared/eval/README.md, checked there with the MediaPipe networks): orthographic, 512 x 512, whole
 * head with neck at 85 % of the image height, smooth two-sided Lambert (ambient 0.35 + 0.70 diffuse from
 * (0.15, 0.45, 1)), uniform skin albedo (0.80, 0.62, 0.52), grey background. A seed varies albedo, light and
 * background around that recipe (`shadingForSeed`), in ranges small enough that detection stays in the verified
 * regime. Eyes from eyes.obj: white sclera with a dark iris and pupil painted by angle from the eyeball's
 * forward axis (+z of the head frame), which helps MediaPipe's iris and eye-corner points.
 */
import { type OrthographicCamera, Rasterizer, type RenderBuffers, type Vec3, createBuffers, orthographicCamera, projectPoints, rotationYXZ } from '@seif/core';
import type { EvalCase, TriMesh } from './set.js';

export const RENDER_DEFAULTS = Object.freeze({
  size: 512,
  /** Fraction of the image height the head (with neck, and eyes) spans. */
  heightFraction: 0.85,
  seed: 1,
});

export const DEFAULT_YAWS = Object.freeze([0, 30, -30, 60, -60] as const);

export interface Shading {
  albedo: Vec3;
  ambient: number;
  diffuse: number;
  /** Direction toward the light, camera space. */
  lightDirection: Vec3;
  /** Linear grey level of the background. */
  background: number;
}

/** The README's verified recipe. */
export const BASE_SHADING: Readonly<Shading> = Object.freeze({
  albedo: [0.8, 0.62, 0.52] as Vec3,
  ambient: 0.35,
  diffuse: 0.7,
  lightDirection: [0.15, 0.45, 1] as Vec3,
  background: 0.5,
});

/** mulberry32: small, seedable, good enough for render jitter. */
export function seededRandom(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string, to derive per-case seeds that do not depend on the order cases are listed in. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Shading varied around BASE_SHADING: skin brightness x [0.8, 1.1] with +-4 % per channel, ambient +-0.05,
 * diffuse +-0.08, light direction +-0.15 in x and y, background linear grey 0.35-0.65. Seed 0 is the base recipe.
 */
export function shadingForSeed(seed: number): Shading {
  if (seed === 0) return { ...BASE_SHADING, albedo: [...BASE_SHADING.albedo], lightDirection: [...BASE_SHADING.lightDirection] };
  const r = seededRandom(seed);
  const tone = 0.8 + 0.3 * r();
  const albedo = BASE_SHADING.albedo.map((c) => Math.min(1, c * tone * (0.96 + 0.08 * r()))) as Vec3;
  const [lx, ly, lz] = BASE_SHADING.lightDirection;
  return {
    albedo,
    ambient: BASE_SHADING.ambient + 0.1 * (r() - 0.5),
    diffuse: BASE_SHADING.diffuse + 0.16 * (r() - 0.5),
    lightDirection: [lx + 0.3 * (r() - 0.5), ly + 0.3 * (r() - 0.5), lz],
    background: 0.35 + 0.3 * r(),
  };
}

export interface RenderCaseOptions {
  yawDeg?: number;
  seed?: number;
  size?: number;
  heightFraction?: number;
  /** Paint iris and pupil on the eyeballs (default true). */
  paintEyes?: boolean;
}

export interface RenderedCase {
  caseName: string;
  yawDeg: number;
  seed: number;
  image: { data: Uint8Array; width: number; height: number };
  camera: OrthographicCamera;
  shading: Shading;
  /** Pixels per millimetre. */
  pixelsPerMm: number;
  /** 68 x 3: (u, v) in pixels and z = depth toward the camera in pixels (camera-space z x scale). */
  landmarksPx: Float64Array;
}

const SCLERA: Vec3 = [0.82, 0.8, 0.76];
const IRIS: Vec3 = [0.16, 0.09, 0.05];
const PUPIL: Vec3 = [0.015, 0.012, 0.01];
/** Angular radii (from the eyeball centre) of the painted iris and pupil: a 12 mm iris on a 24 mm eyeball is ~30 deg. */
const IRIS_COS = Math.cos((28 * Math.PI) / 180);
const PUPIL_COS = Math.cos((11 * Math.PI) / 180);

/** Per-vertex colours for the eyeballs: each half (split at the mid x) gets its own centre (box centre). */
function eyeColors(eyes: TriMesh, paint: boolean): Float32Array {
  const p = eyes.positions;
  const n = p.length / 3;
  const colors = new Float32Array(3 * n);
  let xmin = Infinity, xmax = -Infinity;
  for (let i = 0; i < n; i++) {
    xmin = Math.min(xmin, p[3 * i]!);
    xmax = Math.max(xmax, p[3 * i]!);
  }
  const mid = (xmin + xmax) / 2;
  const boxes = [0, 1].map(() => [Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity]);
  for (let i = 0; i < n; i++) {
    const b = boxes[p[3 * i]! < mid ? 0 : 1]!;
    for (let k = 0; k < 3; k++) {
      b[k] = Math.min(b[k]!, p[3 * i + k]!);
      b[3 + k] = Math.max(b[3 + k]!, p[3 * i + k]!);
    }
  }
  for (let i = 0; i < n; i++) {
    const b = boxes[p[3 * i]! < mid ? 0 : 1]!;
    const dx = p[3 * i]! - (b[0]! + b[3]!) / 2;
    const dy = p[3 * i + 1]! - (b[1]! + b[4]!) / 2;
    const dz = p[3 * i + 2]! - (b[2]! + b[5]!) / 2;
    const c = dz / (Math.hypot(dx, dy, dz) || 1);
    const color = !paint || c < IRIS_COS ? SCLERA : c < PUPIL_COS ? IRIS : PUPIL;
    colors.set(color, 3 * i);
  }
  return colors;
}

/** Head + eyes as one coloured mesh (mm). */
export function caseRenderMesh(evalCase: EvalCase, shading: Shading, paintEyes = true): { positions: Float64Array; indices: Uint32Array; colors: Float32Array } {
  const gt = evalCase.gt;
  const eyes = evalCase.eyes;
  const nGt = gt.positions.length / 3;
  const nEyes = eyes ? eyes.positions.length / 3 : 0;
  const positions = new Float64Array(3 * (nGt + nEyes));
  positions.set(gt.positions);
  const indices = new Uint32Array(gt.indices.length + (eyes ? eyes.indices.length : 0));
  indices.set(gt.indices);
  const colors = new Float32Array(3 * (nGt + nEyes));
  for (let i = 0; i < nGt; i++) colors.set(shading.albedo, 3 * i);
  if (eyes) {
    positions.set(eyes.positions, 3 * nGt);
    for (let k = 0; k < eyes.indices.length; k++) indices[gt.indices.length + k] = eyes.indices[k]! + nGt;
    colors.set(eyeColors(eyes, paintEyes), 3 * nGt);
  }
  return { positions, indices, colors };
}

/**
 * Orthographic camera looking at the head from yaw `yawDeg` (rotation about +y; positive yaw turns the face
 * toward image right), framed so the vertical extent of `positions` spans `heightFraction` of the image.
 */
export function framingCamera(positions: ArrayLike<number>, yawDeg: number, size: number, heightFraction: number): OrthographicCamera {
  const rotation = rotationYXZ(yawDeg);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity, z1 = -Infinity;
  for (let i = 0; i < positions.length; i += 3) {
    const px = positions[i]!, py = positions[i + 1]!, pz = positions[i + 2]!;
    const x = rotation[0] * px + rotation[1] * py + rotation[2] * pz;
    const y = rotation[3] * px + rotation[4] * py + rotation[5] * pz;
    const z = rotation[6] * px + rotation[7] * py + rotation[8] * pz;
    x0 = Math.min(x0, x); x1 = Math.max(x1, x);
    y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    z1 = Math.max(z1, z);
  }
  const scale = (heightFraction * size) / (y1 - y0);
  return orthographicCamera({
    width: size,
    height: size,
    scaleX: scale,
    cx: size / 2 - scale * ((x0 + x1) / 2),
    cy: size / 2 + scale * ((y0 + y1) / 2),
    rotation,
    // Everything in front of the camera: depth = -(z + tz) > 0 for z <= z1.
    translation: [0, 0, -(z1 + 100)],
  });
}

const _rasterizer = new Rasterizer();
let _buffers: RenderBuffers | undefined;

/** Renders one case at one yaw. Reuses one rasterizer and target per process (renders are sequential). */
export function renderCase(evalCase: EvalCase, options: RenderCaseOptions = {}): RenderedCase {
  const size = options.size ?? RENDER_DEFAULTS.size;
  const yawDeg = options.yawDeg ?? 0;
  const baseSeed = options.seed ?? RENDER_DEFAULTS.seed;
  // Per (case, yaw) seed so adding a case or a yaw does not change the others' renders; seed 0 = base recipe.
  const seed = baseSeed === 0 ? 0 : (hashString(`${evalCase.name}/${yawDeg}`) ^ baseSeed) >>> 0 || 1;
  const shading = shadingForSeed(seed);
  const mesh = caseRenderMesh(evalCase, shading, options.paintEyes ?? true);
  const camera = framingCamera(mesh.positions, yawDeg, size, options.heightFraction ?? RENDER_DEFAULTS.heightFraction);
  if (!_buffers || _buffers.width !== size) _buffers = createBuffers(size, size, { color: true });
  const out = _rasterizer.render(mesh, camera, {
    twoSided: true,
    shading: 'smooth',
    lights: [{ direction: shading.lightDirection, intensity: shading.diffuse }],
    ambient: shading.ambient,
    specular: 0,
    background: [shading.background, shading.background, shading.background],
  }, _buffers);
  const screen = new Float32Array(3 * 68);
  const cameraSpace = new Float32Array(3 * 68);
  projectPoints(camera, evalCase.landmarks, screen, cameraSpace);
  const landmarksPx = new Float64Array(3 * 68);
  for (let l = 0; l < 68; l++) {
    landmarksPx[3 * l] = screen[3 * l]!;
    landmarksPx[3 * l + 1] = screen[3 * l + 1]!;
    landmarksPx[3 * l + 2] = cameraSpace[3 * l + 2]! * camera.scaleX;
  }
  return {
    caseName: evalCase.name,
    yawDeg,
    seed,
    image: { data: Uint8Array.from(out.color!), width: size, height: size },
    camera,
    shading,
    pixelsPerMm: camera.scaleX,
    landmarksPx,
  };
}
