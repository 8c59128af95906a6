/**
 * Axis-angle rotations (the convention every pose parameter uses). Row-major 3x3 matrices in plain arrays;
 * callers pass the output so nothing allocates per call.
 */

/** Rotation matrix of axis-angle (x, y, z) into out[o..o+9] (row-major). */
export function rodrigues(x: number, y: number, z: number, out: Float64Array | number[], o = 0): void {
  const theta = Math.sqrt(x * x + y * y + z * z);
  if (theta < 1e-12) {
    // First order: I + [v]x, exact enough below 1e-12 and keeps the derivative continuous.
    out[o] = 1; out[o + 1] = -z; out[o + 2] = y;
    out[o + 3] = z; out[o + 4] = 1; out[o + 5] = -x;
    out[o + 6] = -y; out[o + 7] = x; out[o + 8] = 1;
    return;
  }
  const kx = x / theta, ky = y / theta, kz = z / theta;
  const c = Math.cos(theta), s = Math.sin(theta), t = 1 - c;
  out[o] = c + kx * kx * t;
  out[o + 1] = kx * ky * t - kz * s;
  out[o + 2] = kx * kz * t + ky * s;
  out[o + 3] = ky * kx * t + kz * s;
  out[o + 4] = c + ky * ky * t;
  out[o + 5] = ky * kz * t - kx * s;
  out[o + 6] = kz * kx * t - ky * s;
  out[o + 7] = kz * ky * t + kx * s;
  out[o + 8] = c + kz * kz * t;
}

const _r = new Float64Array(9);
const _m = new Float64Array(9);

/**
 * dR/dv_i for i = 0..2 into out[9i..9i+9], with R = rodrigues(v). Formula of Gallego & Yezzi, "A compact
 * formula for the derivative of a 3-D rotation in exponential coordinates" (2015):
 * dR/dv_i = ((v_i [v]x + [v x ((I - R) e_i)]x) / |v|^2) R, and [e_i]x at v = 0.
 */
export function rodriguesDerivative(x: number, y: number, z: number, out: Float64Array): void {
  const theta2 = x * x + y * y + z * z;
  if (theta2 < 1e-16) {
    out.fill(0);
    // [e_x]x, [e_y]x, [e_z]x
    out[5] = -1; out[7] = 1;
    out[9 + 2] = 1; out[9 + 6] = -1;
    out[18 + 1] = -1; out[18 + 3] = 1;
    return;
  }
  rodrigues(x, y, z, _r);
  const v = [x, y, z];
  for (let i = 0; i < 3; i++) {
    // w = v x ((I - R) e_i); (I - R) e_i is column i of (I - R).
    const a0 = (i === 0 ? 1 : 0) - (_r[i] as number);
    const a1 = (i === 1 ? 1 : 0) - (_r[3 + i] as number);
    const a2 = (i === 2 ? 1 : 0) - (_r[6 + i] as number);
    const w0 = y * a2 - z * a1;
    const w1 = z * a0 - x * a2;
    const w2 = x * a1 - y * a0;
    const vi = v[i] as number;
    // S = vi [v]x + [w]x, then (S / theta2) R
    const s01 = -(vi * z + w2), s02 = vi * y + w1, s12 = -(vi * x + w0);
    _m[0] = 0; _m[1] = s01; _m[2] = s02;
    _m[3] = -s01; _m[4] = 0; _m[5] = s12;
    _m[6] = -s02; _m[7] = -s12; _m[8] = 0;
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) {
        out[9 * i + 3 * r + c] =
          ((_m[3 * r] as number) * (_r[c] as number) + (_m[3 * r + 1] as number) * (_r[3 + c] as number) + (_m[3 * r + 2] as number) * (_r[6 + c] as number)) / theta2;
      }
    }
  }
}

/** out = a * b for row-major 3x3 at offsets. */
export function mul3(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, out: Float64Array, oo: number): void {
  for (let r = 0; r < 3; r++) {
    const a0 = a[ao + 3 * r] as number, a1 = a[ao + 3 * r + 1] as number, a2 = a[ao + 3 * r + 2] as number;
    out[oo + 3 * r] = a0 * (b[bo] as number) + a1 * (b[bo + 3] as number) + a2 * (b[bo + 6] as number);
    out[oo + 3 * r + 1] = a0 * (b[bo + 1] as number) + a1 * (b[bo + 4] as number) + a2 * (b[bo + 7] as number);
    out[oo + 3 * r + 2] = a0 * (b[bo + 2] as number) + a1 * (b[bo + 5] as number) + a2 * (b[bo + 8] as number);
  }
}

/** Axis-angle of a rotation matrix (row-major), into out[0..3]. */
export function axisAngleFromMatrix(m: ArrayLike<number>, out: Float64Array | number[]): void {
  const trace = (m[0] as number) + (m[4] as number) + (m[8] as number);
  const cos = Math.min(1, Math.max(-1, (trace - 1) / 2));
  const theta = Math.acos(cos);
  let x = (m[7] as number) - (m[5] as number), y = (m[2] as number) - (m[6] as number), z = (m[3] as number) - (m[1] as number);
  const n = Math.sqrt(x * x + y * y + z * z);
  if (n < 1e-9) {
    if (theta < 1e-6) { out[0] = 0; out[1] = 0; out[2] = 0; return; }
    // theta ~ pi: axis from the diagonal.
    x = Math.sqrt(Math.max(0, ((m[0] as number) + 1) / 2));
    y = Math.sqrt(Math.max(0, ((m[4] as number) + 1) / 2)) * Math.sign((m[1] as number) || 1);
    z = Math.sqrt(Math.max(0, ((m[8] as number) + 1) / 2)) * Math.sign((m[2] as number) || 1);
    out[0] = x * theta; out[1] = y * theta; out[2] = z * theta;
    return;
  }
  out[0] = (x / n) * theta; out[1] = (y / n) * theta; out[2] = (z / n) * theta;
}
