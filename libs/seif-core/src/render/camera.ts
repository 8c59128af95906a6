/**
 * Public API. Cameras for the CPU rasterizer. Camera space: +X right, +Y up, the camera looks along -Z (so +Z
 * points toward the viewer, like the SeIF frame and OpenGL). Pixel space: u right, v down, pixel (i, j) covers
 * [i, i+1) x [j, j+1), its centre at (i + 0.5, j + 0.5) — the convention of every image coordinate in seif-core.
 * Depth is the distance in front of the camera along its axis (-z_camera); smaller is closer.
 */

export type Mat3 = [number, number, number, number, number, number, number, number, number];
export type Vec3 = [number, number, number];

interface CameraBase {
  width: number;
  height: number;
  /** World -> camera rotation, row-major 3x3. */
  rotation: Mat3;
  /** World -> camera translation (camera = R * world + t). */
  translation: Vec3;
}

export interface OrthographicCamera extends CameraBase {
  kind: 'orthographic';
  /** Pixels per world unit along x and y. */
  scaleX: number;
  scaleY: number;
  /** Pixel position of the camera axis. */
  cx: number;
  cy: number;
}

export interface PinholeCamera extends CameraBase {
  kind: 'pinhole';
  /** Focal lengths in pixels. */
  fx: number;
  fy: number;
  /** Principal point, pixels. */
  cx: number;
  cy: number;
  /** Near plane distance: triangles with a vertex closer than this are skipped (not clipped). */
  near: number;
}

export type Camera = OrthographicCamera | PinholeCamera;

export const IDENTITY3: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export function orthographicCamera(options: {
  width: number;
  height: number;
  scaleX: number;
  scaleY?: number;
  cx?: number;
  cy?: number;
  rotation?: Mat3;
  translation?: Vec3;
}): OrthographicCamera {
  return {
    kind: 'orthographic',
    width: options.width,
    height: options.height,
    scaleX: options.scaleX,
    scaleY: options.scaleY ?? options.scaleX,
    cx: options.cx ?? options.width / 2,
    cy: options.cy ?? options.height / 2,
    rotation: options.rotation ?? [...IDENTITY3],
    translation: options.translation ?? [0, 0, 0],
  };
}

/**
 * The SeIF frame (ARCHITECTURE.md): orthographic, the size x size image spans [-0.5, 0.5] in X and Y, u = (X + 0.5)
 * * size, v = (0.5 - Y) * size (normalised: u = 2X, v = -2Y), +Z toward the camera. The camera sits at Z = +10 so
 * everything within |Z| < 10 is in front of it.
 */
export function seifFrameCamera(size = 512): OrthographicCamera {
  return orthographicCamera({ width: size, height: size, scaleX: size, translation: [0, 0, -10] });
}

export function pinholeCamera(options: {
  width: number;
  height: number;
  /** Vertical field of view; alternatively give fx (and fy). */
  fovYDegrees?: number;
  fx?: number;
  fy?: number;
  cx?: number;
  cy?: number;
  near?: number;
  rotation?: Mat3;
  translation?: Vec3;
}): PinholeCamera {
  const fy = options.fy ?? options.fx ?? options.height / 2 / Math.tan(((options.fovYDegrees ?? 30) * Math.PI) / 360);
  return {
    kind: 'pinhole',
    width: options.width,
    height: options.height,
    fx: options.fx ?? fy,
    fy,
    cx: options.cx ?? options.width / 2,
    cy: options.cy ?? options.height / 2,
    near: options.near ?? 1e-3,
    rotation: options.rotation ?? [...IDENTITY3],
    translation: options.translation ?? [0, 0, 0],
  };
}

/** World -> camera pose looking from `eye` at `target` with `up` roughly up. */
export function lookAt(eye: Vec3, target: Vec3, up: Vec3 = [0, 1, 0]): { rotation: Mat3; translation: Vec3 } {
  // Camera z axis points from the target to the eye (the camera looks along -z).
  let zx = eye[0] - target[0];
  let zy = eye[1] - target[1];
  let zz = eye[2] - target[2];
  const zl = Math.hypot(zx, zy, zz) || 1;
  zx /= zl;
  zy /= zl;
  zz /= zl;
  let xx = up[1] * zz - up[2] * zy;
  let xy = up[2] * zx - up[0] * zz;
  let xz = up[0] * zy - up[1] * zx;
  const xl = Math.hypot(xx, xy, xz) || 1;
  xx /= xl;
  xy /= xl;
  xz /= xl;
  const yx = zy * xz - zz * xy;
  const yy = zz * xx - zx * xz;
  const yz = zx * xy - zy * xx;
  const rotation: Mat3 = [xx, xy, xz, yx, yy, yz, zx, zy, zz];
  const translation: Vec3 = [
    -(xx * eye[0] + xy * eye[1] + xz * eye[2]),
    -(yx * eye[0] + yy * eye[1] + yz * eye[2]),
    -(zx * eye[0] + zy * eye[1] + zz * eye[2]),
  ];
  return { rotation, translation };
}

/** Rotation matrix from Euler angles in degrees, applied as yaw (about Y), then pitch (X), then roll (Z). */
export function rotationYXZ(yawDegrees: number, pitchDegrees = 0, rollDegrees = 0): Mat3 {
  const [y, p, r] = [yawDegrees, pitchDegrees, rollDegrees].map((d) => (d * Math.PI) / 180) as [number, number, number];
  const cy = Math.cos(y);
  const sy = Math.sin(y);
  const cp = Math.cos(p);
  const sp = Math.sin(p);
  const cr = Math.cos(r);
  const sr = Math.sin(r);
  // R = Rz(roll) * Rx(pitch) * Ry(yaw)
  const ry: Mat3 = [cy, 0, sy, 0, 1, 0, -sy, 0, cy];
  const rx: Mat3 = [1, 0, 0, 0, cp, -sp, 0, sp, cp];
  const rz: Mat3 = [cr, -sr, 0, sr, cr, 0, 0, 0, 1];
  return mul3(rz, mul3(rx, ry));
}

export function mul3(a: Mat3, b: Mat3): Mat3 {
  const out = new Array<number>(9).fill(0) as Mat3;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[3 * i + j] = a[3 * i]! * b[j]! + a[3 * i + 1]! * b[3 + j]! + a[3 * i + 2]! * b[6 + j]!;
  return out;
}

/**
 * Projects n points: writes camera-space positions (n x 3) into `cameraOut` and (u, v, depth) into `screenOut`.
 * Points behind a pinhole camera get depth <= 0 (callers skip them).
 */
export function projectPoints(camera: Camera, positions: ArrayLike<number>, screenOut: Float32Array, cameraOut?: Float32Array): void {
  const r = camera.rotation;
  const t = camera.translation;
  const n = positions.length / 3;
  const ortho = camera.kind === 'orthographic';
  const ax = ortho ? camera.scaleX : camera.fx;
  const ay = ortho ? camera.scaleY : camera.fy;
  const { cx, cy } = camera;
  for (let i = 0; i < n; i++) {
    const px = positions[3 * i]!;
    const py = positions[3 * i + 1]!;
    const pz = positions[3 * i + 2]!;
    const x = r[0] * px + r[1] * py + r[2] * pz + t[0];
    const y = r[3] * px + r[4] * py + r[5] * pz + t[1];
    const z = r[6] * px + r[7] * py + r[8] * pz + t[2];
    if (cameraOut) {
      cameraOut[3 * i] = x;
      cameraOut[3 * i + 1] = y;
      cameraOut[3 * i + 2] = z;
    }
    const depth = -z;
    if (ortho) {
      screenOut[3 * i] = cx + ax * x;
      screenOut[3 * i + 1] = cy - ay * y;
    } else {
      const inv = depth > 0 ? 1 / depth : 0;
      screenOut[3 * i] = cx + ax * x * inv;
      screenOut[3 * i + 1] = cy - ay * y * inv;
    }
    screenOut[3 * i + 2] = depth;
  }
}
