/**
 * MediaPipe 478-point embedding on FLAME. The published embedding (FLAME's, shipped in flame_basis.npz and by
 * SMIRK) covers 105 of MediaPipe's 468 mesh points. The other 363 are placed by registering MediaPipe's
 * canonical face mesh onto the FLAME template: a similarity transform (Horn) on the 105 known pairs, then a
 * thin-plate (r) radial basis warp through them, then the closest point on FLAME's face triangles. The 105 keep
 * their published embedding exactly. Iris points 468-477 (refined landmarks: right iris centre 468 and contour
 * 469-472, left iris centre 473 and contour 474-477) go on the eyeball surfaces: the centre at the front pole,
 * the contour at MediaPipe's iris radius (11.7 mm diameter), in the order +x, +y, -x, -y of the FLAME frame.
 */
import { FlameError } from '../errors.js';
import type { LandmarkEmbedding } from '../model/head-model.js';
import { closestOnMesh, solveDense } from './mesh.js';

/** MediaPipe's iris model assumes a human iris diameter of 11.7 mm (iris_landmark docs). */
const IRIS_RADIUS = 0.00585;

/** Eigen decomposition of a symmetric n x n matrix (cyclic Jacobi). Returns eigenvalues and column eigenvectors. */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p]!, mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!, mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!, vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i]!;
  return { values, vectors: v };
}

/** Similarity (scale, rotation row-major, translation) mapping src points onto dst in least squares (Horn 1987). */
export function fitSimilarity(src: Float64Array, dst: Float64Array): { scale: number; rotation: Float64Array; translation: Float64Array } {
  const count = src.length / 3;
  const cs = [0, 0, 0], cd = [0, 0, 0];
  for (let i = 0; i < count; i++) for (let k = 0; k < 3; k++) { cs[k]! += src[3 * i + k]! / count; cd[k]! += dst[3 * i + k]! / count; }
  const s = new Float64Array(9);
  let ss = 0, sd = 0;
  for (let i = 0; i < count; i++) {
    for (let r = 0; r < 3; r++) {
      const a = src[3 * i + r]! - cs[r]!;
      ss += a * a;
      sd += (dst[3 * i + r]! - cd[r]!) ** 2;
      for (let c = 0; c < 3; c++) s[3 * r + c] = s[3 * r + c]! + a * (dst[3 * i + c]! - cd[c]!);
    }
  }
  const [sxx, sxy, sxz, syx, syy, syz, szx, szy, szz] = s as unknown as number[];
  const nMat = Float64Array.from([
    sxx! + syy! + szz!, syz! - szy!, szx! - sxz!, sxy! - syx!,
    syz! - szy!, sxx! - syy! - szz!, sxy! + syx!, szx! + sxz!,
    szx! - sxz!, sxy! + syx!, -sxx! + syy! - szz!, syz! + szy!,
    sxy! - syx!, szx! + sxz!, syz! + szy!, -sxx! - syy! + szz!,
  ]);
  const { values, vectors } = symmetricEigen(nMat, 4);
  let best = 0;
  for (let i = 1; i < 4; i++) if (values[i]! > values[best]!) best = i;
  const [w, x, y, z] = [vectors[best]!, vectors[4 + best]!, vectors[8 + best]!, vectors[12 + best]!];
  const rotation = Float64Array.from([
    w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z,
  ]);
  const scale = Math.sqrt(sd / ss);
  const translation = new Float64Array(3);
  for (let r = 0; r < 3; r++) translation[r] = cd[r]! - scale * (rotation[3 * r]! * cs[0]! + rotation[3 * r + 1]! * cs[1]! + rotation[3 * r + 2]! * cs[2]!);
  return { scale, rotation, translation };
}

export interface MediapipeEmbeddingInputs {
  template: Float32Array;
  faces: Uint32Array;
  /** The published 105-point embedding with MediaPipe indices in sourceIndex. */
  known: LandmarkEmbedding;
  /** MediaPipe canonical_face_model.obj vertices (468 x 3, centimetres). */
  canonical: Float32Array;
  /** Triangles the face points may land on. */
  faceTriangles: Uint32Array;
  eyeballs: { left: readonly [number, number]; right: readonly [number, number] };
}

export function deriveMediapipe478(input: MediapipeEmbeddingInputs): { embedding: LandmarkEmbedding; meanRegistrationError: number } {
  const { template, faces, known } = input;
  if (input.canonical.length !== 468 * 3) throw new FlameError('BAD_SHAPE', `MediaPipe canonical mesh should have 468 vertices, has ${input.canonical.length / 3}`);
  const sourceIndex = known.sourceIndex;
  if (!sourceIndex) throw new FlameError('MISSING_INPUT', 'the 105-point MediaPipe embedding has no landmark_indices');
  const count = sourceIndex.length;
  const target = new Float64Array(3 * count);
  const source = new Float64Array(3 * count);
  for (let l = 0; l < count; l++) {
    const f = known.faceIndex[l]!;
    for (let c = 0; c < 3; c++) {
      const v = faces[3 * f + c]!;
      for (let k = 0; k < 3; k++) target[3 * l + k] = target[3 * l + k]! + known.barycentric[3 * l + c]! * template[3 * v + k]!;
    }
    for (let k = 0; k < 3; k++) source[3 * l + k] = input.canonical[3 * sourceIndex[l]! + k]!;
  }
  const sim = fitSimilarity(source, target);
  const apply = (p: ArrayLike<number>, o: number, out: Float64Array, oo: number) => {
    for (let r = 0; r < 3; r++) {
      out[oo + r] = sim.scale * (sim.rotation[3 * r]! * p[o]! + sim.rotation[3 * r + 1]! * p[o + 1]! + sim.rotation[3 * r + 2]! * p[o + 2]!) + sim.translation[r]!;
    }
  };
  const aligned = new Float64Array(3 * count);
  for (let l = 0; l < count; l++) apply(source, 3 * l, aligned, 3 * l);
  // Thin-plate RBF (phi(r) = r, biharmonic in 3D) + affine, interpolating the residuals with light smoothing.
  const size = count + 4;
  const a = new Float64Array(size * size);
  const b = new Float64Array(size * 3);
  const smoothing = 1e-4;
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < count; j++) {
      let d = 0;
      for (let k = 0; k < 3; k++) d += (aligned[3 * i + k]! - aligned[3 * j + k]!) ** 2;
      a[i * size + j] = Math.sqrt(d) + (i === j ? smoothing : 0);
    }
    a[i * size + count] = 1;
    a[count * size + i] = 1;
    for (let k = 0; k < 3; k++) {
      a[i * size + count + 1 + k] = aligned[3 * i + k]!;
      a[(count + 1 + k) * size + i] = aligned[3 * i + k]!;
      b[i * 3 + k] = target[3 * i + k]! - aligned[3 * i + k]!;
    }
  }
  const coef = solveDense(a, b, size, 3);
  const warp = (p: Float64Array, out: Float64Array) => {
    const d = [coef[count * 3]!, coef[count * 3 + 1]!, coef[count * 3 + 2]!];
    for (let k = 0; k < 3; k++) for (let q = 0; q < 3; q++) d[q]! += coef[(count + 1 + k) * 3 + q]! * p[k]!;
    for (let i = 0; i < count; i++) {
      let r = 0;
      for (let k = 0; k < 3; k++) r += (p[k]! - aligned[3 * i + k]!) ** 2;
      r = Math.sqrt(r);
      for (let q = 0; q < 3; q++) d[q]! += coef[i * 3 + q]! * r;
    }
    for (let q = 0; q < 3; q++) out[q] = p[q]! + d[q]!;
  };

  const faceIndex = new Uint32Array(478);
  const barycentric = new Float32Array(478 * 3);
  const knownRow = new Map<number, number>();
  for (let l = 0; l < count; l++) knownRow.set(sourceIndex[l]!, l);
  const p = new Float64Array(3), q = new Float64Array(3);
  let registrationError = 0;
  for (let m = 0; m < 468; m++) {
    const row = knownRow.get(m);
    if (row !== undefined) {
      faceIndex[m] = known.faceIndex[row]!;
      barycentric.set(known.barycentric.subarray(3 * row, 3 * row + 3), 3 * m);
      // How far the registration alone would have put this point (reported, for the README's figure).
      apply(input.canonical, 3 * m, p, 0);
      warp(p, q);
      const hit = closestOnMesh(q, template, faces, input.faceTriangles);
      let e = 0;
      for (let k = 0; k < 3; k++) {
        let s = 0;
        for (let c = 0; c < 3; c++) s += hit.bary[c]! * template[3 * faces[3 * hit.face + c]! + k]!;
        e += (s - target[3 * row + k]!) ** 2;
      }
      registrationError += Math.sqrt(e) / count;
      continue;
    }
    apply(input.canonical, 3 * m, p, 0);
    warp(p, q);
    const hit = closestOnMesh(q, template, faces, input.faceTriangles);
    faceIndex[m] = hit.face;
    barycentric.set(hit.bary, 3 * m);
  }
  // Irises: 468 = right eye (FLAME -x), 473 = left eye (+x).
  const eyeTriangles = (range: readonly [number, number]) => {
    const out: number[] = [];
    for (let t = 0; t < faces.length / 3; t++) if (faces[3 * t]! >= range[0] && faces[3 * t]! < range[1]) out.push(t);
    return Uint32Array.from(out);
  };
  for (const [start, range] of [[468, input.eyeballs.right], [473, input.eyeballs.left]] as const) {
    const c = [0, 0, 0];
    const nv = range[1] - range[0];
    for (let v = range[0]; v < range[1]; v++) for (let k = 0; k < 3; k++) c[k]! += template[3 * v + k]! / nv;
    let radius = 0;
    for (let v = range[0]; v < range[1]; v++) {
      let d = 0;
      for (let k = 0; k < 3; k++) d += (template[3 * v + k]! - c[k]!) ** 2;
      radius += Math.sqrt(d) / nv;
    }
    const sinA = IRIS_RADIUS / radius;
    const cosA = Math.sqrt(1 - sinA * sinA);
    const tris = eyeTriangles(range);
    const dirs = [[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]] as const;
    dirs.forEach(([dx, dy], i) => {
      const s = i === 0 ? 0 : sinA;
      const z = i === 0 ? 1 : cosA;
      const point = Float64Array.from([c[0]! + radius * s * dx, c[1]! + radius * s * dy, c[2]! + radius * z]);
      const hit = closestOnMesh(point, template, faces, tris);
      faceIndex[start + i] = hit.face;
      barycentric.set(hit.bary, 3 * (start + i));
    });
  }
  return { embedding: { faceIndex, barycentric }, meanRegistrationError: registrationError };
}
