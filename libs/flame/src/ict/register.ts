/**
 * Registers ICT-FaceKit's neutral skin onto a FLAME-topology target.
 *
 * 1. Similarity (Umeyama): ICT's iBUG landmarks 18-68 (vertex indices from ICT's vertex_indices.json) onto the
 *    same 51 points on FLAME (RingNet's static embedding: face + barycentrics). The contour points 1-17 are left
 *    out: they slide with the view in 2D datasets and RingNet embeds them dynamically.
 * 2. Non-rigid ICP, restricted to FLAME's face region: per-vertex displacements d of the whole FLAME head,
 *      minimise  sum_face w_i |x_i + d_i - c_i|^2 + lambda sum_lmk |B_l (x + d) - t_l|^2 + alpha |L d|^2 + eps |d|^2
 *    where c_i is the closest point of ICT's skin with a compatible normal (within 60 degrees: keeps upper and
 *    lower lips apart), L the uniform graph Laplacian (bending of the displacement field) and alpha decreasing
 *    from stiff to loose (optimal-step NICP's schedule, Amberg et al. 2007, with displacements in place of
 *    per-vertex affinities). Each step is three sparse SPD solves (x, y, z share the matrix) by conjugate gradients.
 * 3. Every FLAME vertex (eyeballs excluded) then gets its closest point on ICT's skin: triangle + barycentrics.
 */
import { FlameError } from '../errors.js';
import type { FlameAuxData, IctData } from './assets.js';
import { ICT_RANGES } from './assets.js';
import { applySimilarity, fitSimilarity, type Similarity, TriangleGrid, vertexAdjacency, vertexNormals } from '../geometry/primitives.js';

export const FLAME_VERTEX_COUNT = 5023;
export const FLAME_FACE_COUNT = 9976;

/** Masks whose union is the face region the ICP fits (SMIRK FLAME_masks names). */
export const FACE_REGION_MASKS = Object.freeze(['face', 'lips', 'nose', 'eye_region', 'forehead']);
export const EYEBALL_MASKS = Object.freeze(['left_eyeball', 'right_eyeball']);

/** Schedule and thresholds; numbers are chosen for metres and FLAME's ~5 mm edges. */
export const NICP_SETTINGS = Object.freeze({
  /** Stiffness per outer step (relative to a unit data weight), stiff to loose. */
  stiffness: [200, 80, 30, 12, 5, 2, 1],
  /** Closest-point searches per stiffness level. */
  innerIterations: 2,
  /** Landmark weight per landmark point (relative to one data vertex). */
  landmarkWeight: 10,
  /** Reject closest points farther than this (metres): first steps, last steps. */
  maxDistance: [0.02, 0.008],
  /** Minimum cosine between FLAME's vertex normal and ICT's face normal (60 degrees). */
  minNormalDot: 0.5,
  /** Tikhonov weight so disconnected parts with no data have a unique solution. */
  epsilon: 1e-4,
  cgIterations: 300,
  /** ICT grid cell (metres once mapped into FLAME's frame). */
  gridCell: 0.004,
});

export interface Correspondence {
  /** ICT triangle (index into `ictTriangles / 3`) per FLAME vertex; -1 where none (eyeballs, misses). */
  triangle: Int32Array;
  /** Barycentrics per FLAME vertex (3 each) for the triangle's corners. */
  bary: Float32Array;
  /** Distance (metres) from the registered FLAME vertex to the ICT surface. */
  distance: Float32Array;
}

export interface Registration {
  similarity: Similarity;
  /** ICT skin triangles (vertex indices into ICT's vertex array). */
  ictTriangles: Uint32Array;
  /** FLAME vertices after non-rigid registration (target frame, metres). */
  registered: Float64Array;
  correspondence: Correspondence;
  faceRegion: Uint8Array;
  eyeball: Uint8Array;
  report: RegistrationReport;
}

export interface RegistrationReport {
  /** Landmark distances after the similarity alone (mm). */
  landmarkSimilarityMm: { rms: number; max: number };
  /** Landmark distances after non-rigid ICP (mm). */
  landmarkNicpMm: { rms: number; max: number };
  /** Unregistered FLAME face region to ICT's surface after the similarity: how different the two shapes are (mm). */
  shapeDifferenceMm: { mean: number; p95: number; max: number };
  /** Registered FLAME face region to ICT's surface: the registration residual (mm). */
  residualMm: { mean: number; rms: number; p95: number; max: number };
  faceRegionVertices: number;
  matchedVertices: number;
  unmatchedVertices: number;
  similarityScale: number;
  elapsedMs: number;
}

function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

function landmarkPoints(vertices: ArrayLike<number>, faces: ArrayLike<number>, aux: FlameAuxData): Float64Array {
  const out = new Float64Array(aux.landmarkFaces.length * 3);
  for (let l = 0; l < aux.landmarkFaces.length; l++) {
    const f = aux.landmarkFaces[l] as number;
    for (let c = 0; c < 3; c++) {
      const v = faces[f * 3 + c] as number;
      const b = aux.landmarkBary[l * 3 + c] as number;
      for (let k = 0; k < 3; k++) out[l * 3 + k] = (out[l * 3 + k] as number) + b * (vertices[v * 3 + k] as number);
    }
  }
  return out;
}

function distanceStats(a: Float64Array, b: Float64Array): { rms: number; max: number } {
  let sum = 0;
  let max = 0;
  const n = a.length / 3;
  for (let i = 0; i < n; i++) {
    const d = Math.hypot((a[i * 3] as number) - (b[i * 3] as number), (a[i * 3 + 1] as number) - (b[i * 3 + 1] as number), (a[i * 3 + 2] as number) - (b[i * 3 + 2] as number));
    sum += d * d;
    max = Math.max(max, d);
  }
  return { rms: Math.sqrt(sum / n) * 1000, max: max * 1000 };
}

export function registerIctToFlame(target: { vertices: Float32Array; faces: Uint32Array }, ict: IctData, aux: FlameAuxData): Registration {
  const started = performance.now();
  const n = target.vertices.length / 3;
  if (n !== FLAME_VERTEX_COUNT || target.faces.length !== FLAME_FACE_COUNT * 3) {
    throw new FlameError(
      'BAD_SHAPE',
      `ICT transfer needs FLAME topology (${FLAME_VERTEX_COUNT} vertices, ${FLAME_FACE_COUNT} faces); got ${n} vertices and ${target.faces.length / 3} faces`,
    );
  }
  for (let i = 0; i < target.vertices.length; i++) {
    if (!Number.isFinite(target.vertices[i] as number)) throw new FlameError('BAD_VALUE', `target.vertices[${i}] is not finite`);
  }
  const x = Float64Array.from(target.vertices);
  const faces = target.faces;

  // Regions.
  const faceRegion = new Uint8Array(n);
  const eyeball = new Uint8Array(n);
  for (const name of FACE_REGION_MASKS) for (const v of aux.masks.get(name) ?? []) faceRegion[v] = 1;
  for (const name of EYEBALL_MASKS) {
    const mask = aux.masks.get(name);
    if (!mask) throw new FlameError('CORRUPT_FILE', `FLAME masks lack ${name}`);
    for (const v of mask) eyeball[v] = 1;
  }
  for (let v = 0; v < n; v++) if (eyeball[v]) faceRegion[v] = 0;

  // 1. Similarity from landmarks 18..68.
  const flameLandmarks = landmarkPoints(x, faces, aux);
  const ictLandmarks = new Float64Array(51 * 3);
  for (let l = 0; l < 51; l++) {
    const v = ict.landmarks[l + 17] as number;
    for (let k = 0; k < 3; k++) ictLandmarks[l * 3 + k] = ict.neutral[v * 3 + k] as number;
  }
  const similarity = fitSimilarity(ictLandmarks, flameLandmarks);
  const ictSkinCount = ICT_RANGES.skinVertices[1];
  const ictInTarget = applySimilarity(similarity, ict.neutral.subarray(0, ictSkinCount * 3), new Float64Array(ictSkinCount * 3));
  const landmarkTargets = applySimilarity(similarity, ictLandmarks, new Float64Array(ictLandmarks.length));
  const landmarkSimilarityMm = distanceStats(flameLandmarks, landmarkTargets);

  // ICT skin triangles.
  const skinTriangles: number[] = [];
  for (let t = 0; t < ict.polygonOfTriangle.length; t++) {
    if ((ict.polygonOfTriangle[t] as number) < ICT_RANGES.skinPolygons[1]) skinTriangles.push(ict.faces[t * 3] as number, ict.faces[t * 3 + 1] as number, ict.faces[t * 3 + 2] as number);
  }
  const ictTriangles = Uint32Array.from(skinTriangles);
  const grid = new TriangleGrid(ictInTarget, ictTriangles, NICP_SETTINGS.gridCell);

  // Graph Laplacian (uniform weights).
  const adjacency = vertexAdjacency(n, faces);
  const applyL = (input: Float64Array, out: Float64Array) => {
    for (let v = 0; v < n; v++) {
      const start = adjacency.offsets[v] as number;
      const end = adjacency.offsets[v + 1] as number;
      let mean = 0;
      for (let k = start; k < end; k++) mean += input[adjacency.neighbours[k] as number] as number;
      out[v] = (input[v] as number) - (end > start ? mean / (end - start) : 0);
    }
  };
  const applyLt = (input: Float64Array, out: Float64Array) => {
    out.set(input);
    for (let v = 0; v < n; v++) {
      const start = adjacency.offsets[v] as number;
      const end = adjacency.offsets[v + 1] as number;
      if (end === start) continue;
      const share = (input[v] as number) / (end - start);
      for (let k = start; k < end; k++) {
        const u = adjacency.neighbours[k] as number;
        out[u] = (out[u] as number) - share;
      }
    }
  };

  // Landmark operator B: 51 rows of 3 weights.
  const lmkVerts = new Uint32Array(51 * 3);
  for (let l = 0; l < 51; l++) for (let c = 0; c < 3; c++) lmkVerts[l * 3 + c] = faces[(aux.landmarkFaces[l] as number) * 3 + c] as number;

  const d = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  const weights = new Float64Array(n);
  const targets = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  const current = new Float64Array(n * 3);
  const normals = new Float64Array(n * 3);
  const tmpL = new Float64Array(n);
  const tmpLt = new Float64Array(n);
  const lmkBuffer = new Float64Array(51);

  const solve = (alpha: number, lambda: number, coordinate: number) => {
    // A d = W d + lambda B^T B d + alpha L^T L d + eps d;  b = W c + lambda B^T (t - B x) ... in displacement form.
    const applyA = (input: Float64Array, out: Float64Array) => {
      applyL(input, tmpL);
      applyLt(tmpL, tmpLt);
      for (let v = 0; v < n; v++) out[v] = (weights[v] as number) * (input[v] as number) + alpha * (tmpLt[v] as number) + NICP_SETTINGS.epsilon * (input[v] as number);
      for (let l = 0; l < 51; l++) {
        let value = 0;
        for (let c = 0; c < 3; c++) value += (aux.landmarkBary[l * 3 + c] as number) * (input[lmkVerts[l * 3 + c] as number] as number);
        lmkBuffer[l] = value;
      }
      for (let l = 0; l < 51; l++) {
        for (let c = 0; c < 3; c++) {
          const v = lmkVerts[l * 3 + c] as number;
          out[v] = (out[v] as number) + lambda * (aux.landmarkBary[l * 3 + c] as number) * (lmkBuffer[l] as number);
        }
      }
    };
    const b = new Float64Array(n);
    const target = targets[coordinate] as Float64Array;
    for (let v = 0; v < n; v++) b[v] = (weights[v] as number) * ((target[v] as number) - (x[v * 3 + coordinate] as number));
    for (let l = 0; l < 51; l++) {
      let restLmk = 0;
      for (let c = 0; c < 3; c++) restLmk += (aux.landmarkBary[l * 3 + c] as number) * (x[(lmkVerts[l * 3 + c] as number) * 3 + coordinate] as number);
      const residual = (landmarkTargets[l * 3 + coordinate] as number) - restLmk;
      for (let c = 0; c < 3; c++) {
        const v = lmkVerts[l * 3 + c] as number;
        b[v] = (b[v] as number) + lambda * (aux.landmarkBary[l * 3 + c] as number) * residual;
      }
    }
    conjugateGradient(applyA, b, d[coordinate] as Float64Array, NICP_SETTINGS.cgIterations);
  };

  const update = () => {
    for (let v = 0; v < n; v++) for (let k = 0; k < 3; k++) current[v * 3 + k] = (x[v * 3 + k] as number) + ((d[k] as Float64Array)[v] as number);
    vertexNormals(current, faces, normals);
  };

  // Shape difference before non-rigid fitting.
  update();
  const before: number[] = [];
  for (let v = 0; v < n; v++) {
    if (!faceRegion[v]) continue;
    const hit = grid.nearest(current[v * 3] as number, current[v * 3 + 1] as number, current[v * 3 + 2] as number, 0.05);
    if (hit) before.push(hit.distance * 1000);
  }

  // 2. Non-rigid ICP.
  const steps = NICP_SETTINGS.stiffness.length;
  for (let step = 0; step < steps; step++) {
    const alpha = NICP_SETTINGS.stiffness[step] as number;
    const maxDistance = step < steps / 2 ? (NICP_SETTINGS.maxDistance[0] as number) : (NICP_SETTINGS.maxDistance[1] as number);
    for (let inner = 0; inner < NICP_SETTINGS.innerIterations; inner++) {
      update();
      weights.fill(0);
      for (let v = 0; v < n; v++) {
        if (!faceRegion[v]) continue;
        const hit = grid.nearest(current[v * 3] as number, current[v * 3 + 1] as number, current[v * 3 + 2] as number, maxDistance, normals.subarray(v * 3, v * 3 + 3), NICP_SETTINGS.minNormalDot);
        if (!hit) continue;
        weights[v] = 1;
        const t = hit.triangle * 3;
        for (let k = 0; k < 3; k++) {
          (targets[k] as Float64Array)[v] =
            hit.u * (ictInTarget[(ictTriangles[t] as number) * 3 + k] as number) +
            hit.v * (ictInTarget[(ictTriangles[t + 1] as number) * 3 + k] as number) +
            hit.w * (ictInTarget[(ictTriangles[t + 2] as number) * 3 + k] as number);
        }
      }
      for (let k = 0; k < 3; k++) solve(alpha, NICP_SETTINGS.landmarkWeight, k);
    }
  }
  update();

  // 3. Correspondence for every non-eyeball vertex.
  const correspondence: Correspondence = { triangle: new Int32Array(n).fill(-1), bary: new Float32Array(n * 3), distance: new Float32Array(n).fill(Infinity) };
  const residuals: number[] = [];
  let matched = 0;
  for (let v = 0; v < n; v++) {
    if (eyeball[v]) continue;
    const px = current[v * 3] as number, py = current[v * 3 + 1] as number, pz = current[v * 3 + 2] as number;
    const hit =
      grid.nearest(px, py, pz, 0.03, normals.subarray(v * 3, v * 3 + 3), NICP_SETTINGS.minNormalDot) ??
      grid.nearest(px, py, pz, 0.03, normals.subarray(v * 3, v * 3 + 3), 0) ??
      grid.nearest(px, py, pz, 0.03);
    if (!hit) continue;
    matched++;
    correspondence.triangle[v] = hit.triangle;
    correspondence.bary.set([hit.u, hit.v, hit.w], v * 3);
    correspondence.distance[v] = hit.distance;
    if (faceRegion[v]) residuals.push(hit.distance * 1000);
  }
  const landmarkNicpMm = distanceStats(landmarkPoints(current, faces, aux), landmarkTargets);
  let faceRegionVertices = 0;
  for (let v = 0; v < n; v++) faceRegionVertices += faceRegion[v] as number;
  const mean = residuals.reduce((s, r) => s + r, 0) / Math.max(1, residuals.length);
  const rms = Math.sqrt(residuals.reduce((s, r) => s + r * r, 0) / Math.max(1, residuals.length));
  return {
    similarity,
    ictTriangles,
    registered: current,
    correspondence,
    faceRegion,
    eyeball,
    report: {
      landmarkSimilarityMm,
      landmarkNicpMm,
      shapeDifferenceMm: { mean: before.reduce((s, r) => s + r, 0) / Math.max(1, before.length), p95: percentile(before, 0.95), max: Math.max(0, ...before) },
      residualMm: { mean, rms, p95: percentile(residuals, 0.95), max: Math.max(0, ...residuals) },
      faceRegionVertices,
      matchedVertices: matched,
      unmatchedVertices: n - matched - eyeball.reduce((s, e) => s + e, 0),
      similarityScale: similarity.scale,
      elapsedMs: performance.now() - started,
    },
  };
}

/** Conjugate gradients for a symmetric positive definite operator; `x` is the warm start and the result. */
function conjugateGradient(apply: (input: Float64Array, out: Float64Array) => void, b: Float64Array, x: Float64Array, iterations: number): void {
  const n = b.length;
  const r = new Float64Array(n);
  const p = new Float64Array(n);
  const ap = new Float64Array(n);
  apply(x, ap);
  let bNorm = 0;
  for (let i = 0; i < n; i++) {
    r[i] = (b[i] as number) - (ap[i] as number);
    p[i] = r[i] as number;
    bNorm += (b[i] as number) ** 2;
  }
  let rr = r.reduce((s, v) => s + v * v, 0);
  const tolerance = Math.max(bNorm, 1e-30) * 1e-16;
  for (let it = 0; it < iterations && rr > tolerance; it++) {
    apply(p, ap);
    let pAp = 0;
    for (let i = 0; i < n; i++) pAp += (p[i] as number) * (ap[i] as number);
    if (pAp <= 0) break;
    const step = rr / pAp;
    let next = 0;
    for (let i = 0; i < n; i++) {
      x[i] = (x[i] as number) + step * (p[i] as number);
      r[i] = (r[i] as number) - step * (ap[i] as number);
      next += (r[i] as number) ** 2;
    }
    const beta = next / rr;
    rr = next;
    for (let i = 0; i < n; i++) p[i] = (r[i] as number) + beta * (p[i] as number);
  }
}
