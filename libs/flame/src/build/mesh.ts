/**
 * Mesh helpers for the model builder: edges and boundary loops, a cotangent Laplacian with a
 * conjugate-gradient harmonic solver, and closest points on triangles. Build-time code: clarity over speed.
 */
import { closestPointOnTriangle } from '../geometry/primitives.js';

/** Vertex neighbours (CSR): offsets has n+1 entries. */
export interface Adjacency {
  offsets: Uint32Array;
  neighbours: Uint32Array;
}

export { vertexAdjacency } from '../geometry/primitives.js';

/** Boundary loops (ordered vertex lists) of a triangle mesh, largest first. */
export function boundaryLoops(faces: Uint32Array): number[][] {
  const count = new Map<string, number>();
  const directed = new Map<number, number>();
  for (let t = 0; t < faces.length; t += 3) {
    for (let c = 0; c < 3; c++) {
      const a = faces[t + c] as number;
      const b = faces[t + ((c + 1) % 3)] as number;
      const key = a < b ? `${a},${b}` : `${b},${a}`;
      count.set(key, (count.get(key) ?? 0) + 1);
    }
  }
  for (let t = 0; t < faces.length; t += 3) {
    for (let c = 0; c < 3; c++) {
      const a = faces[t + c] as number;
      const b = faces[t + ((c + 1) % 3)] as number;
      const key = a < b ? `${a},${b}` : `${b},${a}`;
      if (count.get(key) === 1) directed.set(a, b);
    }
  }
  const loops: number[][] = [];
  const used = new Set<number>();
  for (const start of [...directed.keys()].sort((a, b) => a - b)) {
    if (used.has(start)) continue;
    const loop: number[] = [];
    let v: number | undefined = start;
    while (v !== undefined && !used.has(v)) {
      used.add(v);
      loop.push(v);
      v = directed.get(v);
    }
    loops.push(loop);
  }
  return loops.sort((a, b) => b.length - a.length);
}

/** Symmetric cotangent weights per adjacency entry, clamped positive so the system stays an M-matrix. */
export function cotangentWeights(vertices: ArrayLike<number>, faces: Uint32Array, adjacency: Adjacency): Float64Array {
  const weights = new Float64Array(adjacency.neighbours.length);
  const slot = (a: number, b: number) => {
    const start = adjacency.offsets[a] as number;
    const end = adjacency.offsets[a + 1] as number;
    for (let k = start; k < end; k++) if (adjacency.neighbours[k] === b) return k;
    return -1;
  };
  const p = (i: number, c: number) => vertices[3 * i + c] as number;
  for (let t = 0; t < faces.length; t += 3) {
    for (let c = 0; c < 3; c++) {
      const o = faces[t + c] as number; // opposite corner
      const a = faces[t + ((c + 1) % 3)] as number;
      const b = faces[t + ((c + 2) % 3)] as number;
      const ux = p(a, 0) - p(o, 0), uy = p(a, 1) - p(o, 1), uz = p(a, 2) - p(o, 2);
      const vx = p(b, 0) - p(o, 0), vy = p(b, 1) - p(o, 1), vz = p(b, 2) - p(o, 2);
      const dot = ux * vx + uy * vy + uz * vz;
      const cx = uy * vz - uz * vy, cy = uz * vx - ux * vz, cz = ux * vy - uy * vx;
      const cross = Math.sqrt(cx * cx + cy * cy + cz * cz);
      const cot = cross > 1e-20 ? dot / cross : 0;
      const sa = slot(a, b), sb = slot(b, a);
      weights[sa] = (weights[sa] as number) + 0.5 * cot;
      weights[sb] = (weights[sb] as number) + 0.5 * cot;
    }
  }
  // Obtuse triangles give negative cotangents; clamp to keep the harmonic solution inside [0, 1].
  let mean = 0;
  for (const w of weights) mean += Math.abs(w);
  mean /= Math.max(1, weights.length);
  for (let k = 0; k < weights.length; k++) weights[k] = Math.max(weights[k] as number, 1e-3 * mean);
  return weights;
}

/**
 * Harmonic interpolation: solves L x = 0 on free vertices with x fixed where `fixed[i]` is not NaN.
 * Jacobi-preconditioned conjugate gradients. Vertices in components without any fixed value keep `fallback`.
 */
export function solveHarmonic(adjacency: Adjacency, weights: Float64Array, fixed: Float64Array, fallback = 0, tolerance = 1e-10): Float64Array {
  const n = fixed.length;
  const x = new Float64Array(n);
  const free: number[] = [];
  const freeIndex = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(fixed[i])) {
      freeIndex[i] = free.length;
      free.push(i);
    } else x[i] = fixed[i] as number;
  }
  const m = free.length;
  const diag = new Float64Array(m);
  const b = new Float64Array(m);
  for (let f = 0; f < m; f++) {
    const i = free[f] as number;
    for (let k = adjacency.offsets[i] as number; k < (adjacency.offsets[i + 1] as number); k++) {
      const w = weights[k] as number;
      diag[f] = (diag[f] as number) + w;
      const j = adjacency.neighbours[k] as number;
      if ((freeIndex[j] as number) < 0) b[f] = (b[f] as number) + w * (x[j] as number);
    }
  }
  const apply = (src: Float64Array, dst: Float64Array) => {
    for (let f = 0; f < m; f++) {
      const i = free[f] as number;
      let s = (diag[f] as number) * (src[f] as number);
      for (let k = adjacency.offsets[i] as number; k < (adjacency.offsets[i + 1] as number); k++) {
        const g = freeIndex[adjacency.neighbours[k] as number] as number;
        if (g >= 0) s -= (weights[k] as number) * (src[g] as number);
      }
      dst[f] = s;
    }
  };
  const sol = new Float64Array(m);
  const r = Float64Array.from(b);
  const z = new Float64Array(m);
  const p = new Float64Array(m);
  const ap = new Float64Array(m);
  for (let f = 0; f < m; f++) z[f] = (r[f] as number) / (diag[f] as number);
  p.set(z);
  let rz = 0;
  let bnorm = 0;
  for (let f = 0; f < m; f++) {
    rz += (r[f] as number) * (z[f] as number);
    bnorm += (b[f] as number) ** 2;
  }
  bnorm = Math.sqrt(bnorm) || 1;
  for (let iteration = 0; iteration < 20 * m + 100; iteration++) {
    apply(p, ap);
    let pap = 0;
    for (let f = 0; f < m; f++) pap += (p[f] as number) * (ap[f] as number);
    if (pap <= 0) break;
    const alpha = rz / pap;
    let rnorm = 0;
    for (let f = 0; f < m; f++) {
      sol[f] = (sol[f] as number) + alpha * (p[f] as number);
      r[f] = (r[f] as number) - alpha * (ap[f] as number);
      rnorm += (r[f] as number) ** 2;
    }
    if (Math.sqrt(rnorm) / bnorm < tolerance) break;
    let rzNew = 0;
    for (let f = 0; f < m; f++) {
      z[f] = (r[f] as number) / (diag[f] as number);
      rzNew += (r[f] as number) * (z[f] as number);
    }
    const beta = rzNew / rz;
    rz = rzNew;
    for (let f = 0; f < m; f++) p[f] = (z[f] as number) + beta * (p[f] as number);
  }
  for (let f = 0; f < m; f++) {
    const value = sol[f] as number;
    x[free[f] as number] = Number.isFinite(value) ? value : fallback;
  }
  return x;
}

/** Closest point on a set of triangles (brute force: build time only). */
export function closestOnMesh(point: ArrayLike<number>, vertices: ArrayLike<number>, faces: Uint32Array, candidates: ArrayLike<number>): { face: number; bary: [number, number, number]; distance: number } {
  const hit = new Float64Array(5);
  let best = { face: -1, bary: [0, 0, 0] as [number, number, number], distance: Number.POSITIVE_INFINITY };
  const [px, py, pz] = [point[0]!, point[1]!, point[2]!];
  for (let k = 0; k < candidates.length; k++) {
    const t = candidates[k] as number;
    const a = 3 * faces[3 * t]!, b = 3 * faces[3 * t + 1]!, c = 3 * faces[3 * t + 2]!;
    closestPointOnTriangle(px, py, pz, vertices[a]!, vertices[a + 1]!, vertices[a + 2]!, vertices[b]!, vertices[b + 1]!, vertices[b + 2]!, vertices[c]!, vertices[c + 1]!, vertices[c + 2]!, hit);
    if (hit[0]! < best.distance) best = { face: t, bary: [hit[1]!, hit[2]!, hit[3]!], distance: hit[0]! };
  }
  best.distance = Math.sqrt(best.distance);
  return best;
}

/** Small dense linear solve (Gaussian elimination with partial pivoting), A is n x n row-major. */
export function solveDense(a: Float64Array, b: Float64Array, n: number, columns = 1): Float64Array {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]!) > Math.abs(m[pivot * n + col]!)) pivot = r;
    if (pivot !== col) {
      for (let k = 0; k < n; k++) [m[col * n + k], m[pivot * n + k]] = [m[pivot * n + k]!, m[col * n + k]!];
      for (let k = 0; k < columns; k++) [x[col * columns + k], x[pivot * columns + k]] = [x[pivot * columns + k]!, x[col * columns + k]!];
    }
    const d = m[col * n + col]!;
    if (Math.abs(d) < 1e-300) continue;
    for (let r = col + 1; r < n; r++) {
      const f = m[r * n + col]! / d;
      if (f === 0) continue;
      for (let k = col; k < n; k++) m[r * n + k] = m[r * n + k]! - f * m[col * n + k]!;
      for (let k = 0; k < columns; k++) x[r * columns + k] = x[r * columns + k]! - f * x[col * columns + k]!;
    }
  }
  for (let col = n - 1; col >= 0; col--) {
    const d = m[col * n + col]!;
    for (let k = 0; k < columns; k++) {
      let s = x[col * columns + k]!;
      for (let j = col + 1; j < n; j++) s -= m[col * n + j]! * x[j * columns + k]!;
      x[col * columns + k] = Math.abs(d) < 1e-300 ? 0 : s / d;
    }
  }
  return x;
}
