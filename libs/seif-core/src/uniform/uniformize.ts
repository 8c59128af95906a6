/**
 * Public API. SeIF's uniformization (Liu et al., TMM 2024; the authors did not release it; docs/ARCHITECTURE.md):
 * put every FLAME vertex of the face and ears on the reconstructed surface, using the refined semantic codes the
 * implicit function predicts at the surface's vertices, so the result keeps FLAME's topology (and therefore its
 * expressions, joints and UVs) while carrying the reconstruction's shape.
 *
 * 1. Codes of the FLAME vertices: a vertex's code is its template coordinate normalised by the template's box,
 *    exactly what the semantic field gives at distance 0 (semantic-field.ts). Only region vertices whose whole
 *    1-ring is inside the region are matched: across the region's border the field fades to 0 within one
 *    triangle, so surface codes there are shrunk and would pull the border ring inward.
 * 2. Matching: a k-d tree over the surface codes (vertices with a near-zero code, i.e. off face/ears, left out);
 *    per FLAME vertex the k code-nearest surface vertices within `maxCodeDistance` that also lie within
 *    `searchRadius` of the fitted vertex (a code can repeat far away; the fit is never that wrong). Candidates far
 *    from their spatial median are dropped (a corrupted code lands a few mm away); the target is a weighted local
 *    linear fit of position against code, evaluated at the vertex's own code (estimateTarget): on the test head
 *    it halves the face error of a plain weighted mean (0.09 vs 0.28 mm).
 * 3. Outliers: targets whose move is above median + madFactor * 1.4826 * MAD (over all targets) are rejected;
 *    after a first solve, targets the smooth solution cannot reach (residual above the same rule) are rejected
 *    too and the solve is repeated. One bad vertex then costs nothing instead of a dent.
 * 4. Deformation: the whole fitted mesh moves by a displacement field minimising |L d|^2 + w sum |d_i - r_i|^2
 *    (deform.ts), so untargeted vertices (scalp under hair, neck, back of the head) follow smoothly and the fit's
 *    details are kept.
 * 5. Eyeballs move rigidly by the mean displacement of their eye region, so they stay spheres.
 * 6. Optional (off by default): free scalp and neck vertices snap to the surface where it is within
 *    `snapDistance` of them along their normal (bald heads, bare necks). Off by default because distance alone
 *    cannot tell bare scalp from short hair: hair thinner than the snap distance becomes the scalp. A distance at
 *    or above hair.ts's threshold makes the split clean (near surface is skin, the rest is hair); below it, bare
 *    skin the fit missed by more than the threshold comes out as a thin fake hair layer.
 */
import type { HeadModel } from '@seif/flame';
import { TriangleBvh, type ClosestHit } from '@seif/flame/geometry/bvh';
import { vertexNormals } from '@seif/flame/geometry/primitives';
import { SEMANTIC_REGION_MASKS, regionWeights, templateBounds } from '../semantic/semantic-field.js';
import { type CsrMatrix, type DeformOptions, solveDisplacement, uniformLaplacian } from './deform.js';
import { KdTree3 } from './kd-tree.js';

/** The reconstructed surface in the SeIF frame with the network's refined code at each vertex. */
export interface ReconstructedSurface {
  /** n x 3 positions, SeIF frame. */
  positions: Float32Array;
  /** m x 3 triangle indices. */
  indices: Uint32Array;
  /** n x 3 refined semantic codes in [0, 1]^3 (about 0 off the face and ears). */
  codes: Float32Array;
}

export interface UniformizeOptions {
  /** Code-space neighbours averaged per FLAME vertex (default 8). */
  neighbours?: number;
  /**
   * Largest accepted code distance (default 0.03). Codes are template coordinates over a ~0.2 m box, so 0.03 is
   * ~5 mm of template: several surface vertices at marching-cubes spacing, far less than a wrong match.
   */
  maxCodeDistance?: number;
  /** Largest move of a fitted vertex, frame units (default 0.04: ~11 mm at the usual 0.27 m per unit). */
  searchRadius?: number;
  /** Target weight w against the displacement smoothness (default 1; lower smooths more). */
  targetWeight?: number;
  /**
   * Fraction of each matched vertex's move kept as its target (default 1: onto the surface). Below 1 the result is
   * a blend of the fit and the surface, two estimates of the face whose errors are partly independent; the outlier
   * rules still judge the whole move. Snapped scalp/neck vertices always go all the way.
   */
  moveFraction?: number;
  /** Outlier rule: median + madFactor * 1.4826 * MAD (default 3). */
  madFactor?: number;
  /**
   * Floor of the robust sigma of the residual rule, frame units (default 0.001, ~0.3 mm), so near-perfect targets
   * are not rejected for tiny deviations. The move rule uses max(minSigma, searchRadius / 10).
   */
  minSigma?: number;
  /** Surface codes with a norm below this are off face/ears and never matched (default 0.05). */
  minCodeNorm?: number;
  /**
   * Snap vertices of `snapMasks` without a code target to the surface when it is within this distance along their
   * normal, frame units (default 0: off). For bald heads and bare necks: there the fit's error would otherwise
   * stay, and hair.ts would mistake the skin for a hair layer once it exceeds the hair threshold.
   */
  snapDistance?: number;
  /** Masks whose free vertices may snap (default ['scalp', 'neck']). */
  snapMasks?: readonly string[];
  /** Masks that carry codes (default SEMANTIC_REGION_MASKS: face and ears). */
  masks?: readonly string[];
  /**
   * Give up, returning the fit unchanged (report.skipped), when fewer than this fraction of the eligible vertices
   * found a code match (default 0: never). Checked right after matching, so a hopeless surface costs no solve.
   */
  minMatchedFraction?: number;
  /** Metres per frame unit, to report moves in mm (optional). */
  metresPerUnit?: number;
  /** Conjugate-gradient settings. */
  solver?: DeformOptions;
}

/** Per-vertex outcome (UniformizeResult.status). */
export const VERTEX_STATUS = Object.freeze({
  /** Not matched: outside the region, its border ring, or an eyeball. */
  free: 0,
  targeted: 1,
  /** No surface vertex with a close enough code within the search radius. */
  noMatch: 2,
  /** Move far above the robust median of all moves. */
  rejectedMove: 3,
  /** The smooth solution could not reach it (residual outlier). */
  rejectedResidual: 4,
  /** Its target folded a triangle over (normal turned by more than 90 degrees from the fit's). */
  rejectedFold: 5,
  /** Snapped to the surface (snapDistance). */
  snapped: 6,
} as const);

export interface UniformizeReport {
  /** Region vertices eligible for matching. */
  eligible: number;
  /** Code matches before any rejection. */
  matched: number;
  /** True when matched < minMatchedFraction * eligible: no solve ran, the vertices are the fit's. */
  skipped: boolean;
  /** Vertices pulled toward a target in the final solve (snaps included). */
  targeted: number;
  /** Eligible vertices without a target: noMatch + rejectedMove + rejectedResidual + rejectedFold. */
  rejected: number;
  noMatch: number;
  rejectedMove: number;
  rejectedResidual: number;
  rejectedFold: number;
  snapped: number;
  /** Mean and largest vertex move over the whole mesh, frame units (and mm when metresPerUnit is given). */
  meanMove: number;
  maxMove: number;
  meanMoveMm?: number;
  maxMoveMm?: number;
  /** CG iterations (lockstep passes over the three coordinates), summed over the solves. */
  iterations: number;
  ms: number;
}

export interface UniformizeResult {
  /** vertexCount x 3: the uniformized FLAME mesh in the SeIF frame. */
  vertices: Float32Array;
  /** Per-vertex VERTEX_STATUS value. */
  status: Uint8Array;
  report: UniformizeReport;
}

interface ModelCache {
  codes: Float32Array;
  eligible: Uint32Array;
  laplacian: CsrMatrix;
  /** 1 on eyeball vertices (moved rigidly, never fold-checked). */
  eyeball: Uint8Array;
}

/** Rounds of fold removal (each drops the targets of folded triangles and re-solves); 3 has sufficed in tests. */
const MAX_FOLD_ROUNDS = 3;

/** Upper bound of UniformizeOptions.neighbours (sizes the scratch arrays). */
const MAX_NEIGHBOURS = 64;

const modelCaches = new WeakMap<HeadModel, Map<string, ModelCache>>();

/** Normalised template coordinate of every vertex of `model` (n x 3): its semantic code at distance 0. */
export function vertexCodes(model: HeadModel, out = new Float32Array(3 * model.vertexCount)): Float32Array {
  const b = templateBounds(model.template);
  const T = model.template;
  for (let v = 0; v < model.vertexCount; v++) {
    for (let k = 0; k < 3; k++) {
      const extent = b.max[k]! - b.min[k]!;
      const t = extent > 0 ? (T[3 * v + k]! - b.min[k]!) / extent : 0.5;
      out[3 * v + k] = t < 0 ? 0 : t > 1 ? 1 : t;
    }
  }
  return out;
}

/** Region vertices whose every neighbour is in the region too (the region eroded by one ring). */
export function interiorRegionVertices(model: HeadModel, masks: readonly string[] = SEMANTIC_REGION_MASKS): Uint32Array {
  const region = regionWeights(model, masks);
  const interior = Uint8Array.from(region, (w) => (w >= 1 ? 1 : 0));
  const F = model.faces;
  for (let f = 0; f < F.length; f += 3) {
    const a = F[f]!, b = F[f + 1]!, c = F[f + 2]!;
    // A triangle touching the outside makes all its corners border vertices.
    if (region[a]! < 1 || region[b]! < 1 || region[c]! < 1) { interior[a] = 0; interior[b] = 0; interior[c] = 0; }
  }
  const out: number[] = [];
  for (let v = 0; v < model.vertexCount; v++) if (interior[v]) out.push(v);
  return Uint32Array.from(out);
}

function modelCache(model: HeadModel, masks: readonly string[]): ModelCache {
  let byMasks = modelCaches.get(model);
  if (!byMasks) modelCaches.set(model, (byMasks = new Map()));
  const key = masks.join(',');
  let cache = byMasks.get(key);
  if (!cache) {
    const eyeball = new Uint8Array(model.vertexCount);
    for (const part of eyeParts(model)) for (let j = 0; j < part.eyeball.length; j++) eyeball[part.eyeball[j]!] = 1;
    cache = { codes: vertexCodes(model), eligible: interiorRegionVertices(model, masks), laplacian: uniformLaplacian(model.vertexCount, model.faces), eyeball };
    byMasks.set(key, cache);
  }
  return cache;
}

/** Median of the first `count` values of `values` (sorts them in place). */
function median(values: Float64Array, count: number): number {
  if (count === 0) return 0;
  if (count <= MAX_NEIGHBOURS) {
    // Insertion sort: the per-vertex candidate lists are short, and a subarray view would allocate.
    for (let i = 1; i < count; i++) {
      const x = values[i]!;
      let j = i - 1;
      while (j >= 0 && values[j]! > x) { values[j + 1] = values[j]!; j--; }
      values[j + 1] = x;
    }
  } else {
    values.subarray(0, count).sort();
  }
  return count % 2 ? values[count >> 1]! : 0.5 * (values[(count >> 1) - 1]! + values[count >> 1]!);
}

/** median + factor * max(1.4826 * MAD, minSigma): the robust outlier threshold of `values[0..count)`. */
function robustThreshold(values: ArrayLike<number>, count: number, factor: number, minSigma: number): number {
  const work = Float64Array.from({ length: count }, (_, i) => values[i]!);
  const med = median(work, count);
  for (let i = 0; i < count; i++) work[i] = Math.abs(values[i]! - med);
  const sigma = Math.max(1.4826 * median(work, count), minSigma);
  return med + factor * sigma;
}

// Scratch of the candidate search (module scope: the matching loop allocates nothing).
const _candidate = new Int32Array(MAX_NEIGHBOURS);
const _codeDistSq = new Float64Array(MAX_NEIGHBOURS);
const _axis = new Float64Array(MAX_NEIGHBOURS);
const _spread = new Float64Array(MAX_NEIGHBOURS);
const _median = new Float64Array(3);
const _target = new Float64Array(3);

/**
 * Target of one FLAME vertex with code (cx, cy, cz) from its `count` candidates (in _candidate/_codeDistSq):
 * 1. candidates far from the candidates' spatial median are dropped (a corrupted code puts a vertex mm away from
 *    where its code belongs);
 * 2. the rest are weighted by 1 / (code distance + h), h the nearest candidate's distance, so an exact code match
 *    dominates without an infinite weight;
 * 3. a weighted local linear fit p ~ a + B (c - code), evaluated at the vertex's own code (a), instead of the plain
 *    weighted mean: the candidates rarely surround the code symmetrically (surface sampling, region borders), and
 *    the mean's bias is of the order of the vertex spacing, the fit's of its square. B is ridge-regularised since
 *    the candidates span a 2D patch of code space; with fewer than 4 candidates the weighted mean is used.
 * Writes _target; returns the number of candidates kept.
 */
function estimateTarget(positions: Float32Array, count: number, floor: number, cx: number, cy: number, cz: number, codes: Float32Array): number {
  for (let k = 0; k < 3; k++) {
    for (let j = 0; j < count; j++) _axis[j] = positions[3 * _candidate[j]! + k]!;
    _median[k] = median(_axis, count);
  }
  for (let j = 0; j < count; j++) {
    const p = 3 * _candidate[j]!;
    _axis[j] = Math.hypot(positions[p]! - _median[0]!, positions[p + 1]! - _median[1]!, positions[p + 2]! - _median[2]!);
  }
  _spread.set(_axis.subarray(0, count));
  const limit = Math.max(3 * median(_spread, count), floor);
  const h = Math.sqrt(_codeDistSq[0]!) + 1e-6;
  let sw = 0, kept = 0;
  let px = 0, py = 0, pz = 0, ux = 0, uy = 0, uz = 0;
  for (let j = 0; j < count; j++) {
    if (_axis[j]! > limit) { _axis[j] = 0; continue; }
    const w = 1 / (Math.sqrt(_codeDistSq[j]!) + h);
    _axis[j] = w; // from here on _axis holds the weights (0 = dropped)
    const p = 3 * _candidate[j]!;
    px += w * positions[p]!; py += w * positions[p + 1]!; pz += w * positions[p + 2]!;
    ux += w * (codes[p]! - cx); uy += w * (codes[p + 1]! - cy); uz += w * (codes[p + 2]! - cz);
    sw += w;
    kept++;
  }
  px /= sw; py /= sw; pz /= sw; ux /= sw; uy /= sw; uz /= sw;
  _target[0] = px; _target[1] = py; _target[2] = pz;
  if (kept < 4) return kept;
  // Weighted covariances about the means: S = Cov(u, u) (symmetric 3x3), X = Cov(p, u) (3x3, row = position axis).
  let s00 = 0, s01 = 0, s02 = 0, s11 = 0, s12 = 0, s22 = 0;
  let x00 = 0, x01 = 0, x02 = 0, x10 = 0, x11 = 0, x12 = 0, x20 = 0, x21 = 0, x22 = 0, sumSq = 0;
  for (let j = 0; j < count; j++) {
    const w = _axis[j]!;
    if (w === 0) continue;
    const p = 3 * _candidate[j]!;
    const du0 = codes[p]! - cx - ux, du1 = codes[p + 1]! - cy - uy, du2 = codes[p + 2]! - cz - uz;
    const dp0 = w * (positions[p]! - px), dp1 = w * (positions[p + 1]! - py), dp2 = w * (positions[p + 2]! - pz);
    s00 += w * du0 * du0; s01 += w * du0 * du1; s02 += w * du0 * du2;
    s11 += w * du1 * du1; s12 += w * du1 * du2; s22 += w * du2 * du2;
    x00 += dp0 * du0; x01 += dp0 * du1; x02 += dp0 * du2;
    x10 += dp1 * du0; x11 += dp1 * du1; x12 += dp1 * du2;
    x20 += dp2 * du0; x21 += dp2 * du1; x22 += dp2 * du2;
    sumSq += (dp0 * dp0 + dp1 * dp1 + dp2 * dp2) / w;
  }
  // Ridge: 1 % of the mean variance keeps the normal direction of the code patch from blowing up B.
  const ridge = 0.01 * (s00 + s11 + s22) / 3 + 1e-30;
  const a00 = s00 + ridge, a01 = s01, a02 = s02, a11 = s11 + ridge, a12 = s12, a22 = s22 + ridge;
  // Inverse of the symmetric matrix by cofactors.
  const c00 = a11 * a22 - a12 * a12, c01 = a02 * a12 - a01 * a22, c02 = a01 * a12 - a02 * a11;
  const det = a00 * c00 + a01 * c01 + a02 * c02;
  if (!(Math.abs(det) > 0)) return kept;
  const c11 = a00 * a22 - a02 * a02, c12 = a01 * a02 - a00 * a12, c22 = a00 * a11 - a01 * a01;
  // v = S^-1 (-u_mean): the code step from the candidates' mean code to the vertex's own code, in S's metric.
  const mx = -ux, my = -uy, mz = -uz;
  const vx = (c00 * mx + c01 * my + c02 * mz) / det;
  const vy = (c01 * mx + c11 * my + c12 * mz) / det;
  const vz = (c02 * mx + c12 * my + c22 * mz) / det;
  // a = p_mean + B (0 - u_mean) with B = X S^-1.
  const ex = x00 * vx + x01 * vy + x02 * vz, ey = x10 * vx + x11 * vy + x12 * vz, ez = x20 * vx + x21 * vy + x22 * vz;
  // The fit may interpolate across the candidates' patch, never extrapolate beyond it: a correction longer than
  // the patch's RMS radius means the code lies off the patch (a border, a mixed neighbourhood), where the mean is
  // the safer answer.
  const spreadSq = sumSq / sw;
  if (ex * ex + ey * ey + ez * ez > spreadSq) return kept;
  _target[0] = px + ex; _target[1] = py + ey; _target[2] = pz + ez;
  return kept;
}

/** Throws RangeError naming the inconsistent input. */
function checkInputs(model: HeadModel, frameVertices: Float32Array, surface: ReconstructedSurface): void {
  if (frameVertices.length !== 3 * model.vertexCount) throw new RangeError(`uniformize: frameVertices has ${frameVertices.length} values; model ${model.name} needs ${3 * model.vertexCount}`);
  const n = surface.positions.length / 3;
  if (!Number.isInteger(n) || n < 3) throw new RangeError(`uniformize: surface positions must hold n x 3 values (n >= 3), got ${surface.positions.length}`);
  if (surface.codes.length !== surface.positions.length) throw new RangeError(`uniformize: surface codes has ${surface.codes.length} values for ${n} vertices (needs ${3 * n})`);
}

/**
 * Places the fitted FLAME mesh (`frameVertices`, SeIF frame, FitOutput.frameVertices) on the reconstructed surface
 * on face and ears and deforms the rest smoothly. Returns new vertices; the inputs are not modified.
 */
export function uniformize(model: HeadModel, frameVertices: Float32Array, surface: ReconstructedSurface, options: UniformizeOptions = {}): UniformizeResult {
  const t0 = performance.now();
  checkInputs(model, frameVertices, surface);
  const k = Math.min(MAX_NEIGHBOURS, Math.max(1, options.neighbours ?? 8));
  const maxCode = options.maxCodeDistance ?? 0.03;
  const radius = options.searchRadius ?? 0.04;
  const weight = options.targetWeight ?? 1;
  const fraction = options.moveFraction ?? 1;
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`uniformize: moveFraction must be in (0, 1], got ${fraction}`);
  const madFactor = options.madFactor ?? 3;
  const minSigma = options.minSigma ?? 0.001;
  const minCodeNorm = options.minCodeNorm ?? 0.05;
  const masks = options.masks ?? SEMANTIC_REGION_MASKS;
  const cache = modelCache(model, masks);
  const n = model.vertexCount;
  const P = surface.positions;
  const C = surface.codes;

  // 1. Code-space index of the surface's face/ear vertices.
  const onRegion: number[] = [];
  const minSq = minCodeNorm * minCodeNorm;
  for (let i = 0; i < P.length / 3; i++) {
    const cx = C[3 * i]!, cy = C[3 * i + 1]!, cz = C[3 * i + 2]!;
    if (cx * cx + cy * cy + cz * cz >= minSq) onRegion.push(i);
  }
  const tree = new KdTree3(C, onRegion);

  // 2. Match each eligible FLAME vertex.
  const status = new Uint8Array(n);
  const target = new Float64Array(3 * n);
  const w = new Float64Array(n);
  const moves = new Float64Array(cache.eligible.length);
  const movedVertex = new Uint32Array(cache.eligible.length);
  let matched = 0, noMatch = 0;
  let fx = 0, fy = 0, fz = 0;
  const radiusSq = radius * radius;
  const nearFit = (s: number): boolean => {
    const dx = P[3 * s]! - fx, dy = P[3 * s + 1]! - fy, dz = P[3 * s + 2]! - fz;
    return dx * dx + dy * dy + dz * dz <= radiusSq;
  };
  const codes = cache.codes;
  for (const v of cache.eligible) {
    fx = frameVertices[3 * v]!; fy = frameVertices[3 * v + 1]!; fz = frameVertices[3 * v + 2]!;
    const count = tree.nearest(codes[3 * v]!, codes[3 * v + 1]!, codes[3 * v + 2]!, k, maxCode * maxCode, _candidate, _codeDistSq, nearFit);
    if (count === 0) {
      status[v] = VERTEX_STATUS.noMatch;
      noMatch++;
      continue;
    }
    estimateTarget(P, count, 0.1 * radius, codes[3 * v]!, codes[3 * v + 1]!, codes[3 * v + 2]!, C);
    const dx = _target[0]! - fx, dy = _target[1]! - fy, dz = _target[2]! - fz;
    target[3 * v] = fraction * dx; target[3 * v + 1] = fraction * dy; target[3 * v + 2] = fraction * dz;
    moves[matched] = Math.hypot(dx, dy, dz);
    movedVertex[matched++] = v;
    status[v] = VERTEX_STATUS.targeted;
  }

  if (matched < (options.minMatchedFraction ?? 0) * cache.eligible.length) {
    const report: UniformizeReport = {
      eligible: cache.eligible.length, matched, skipped: true, targeted: 0, rejected: noMatch, noMatch, rejectedMove: 0, rejectedResidual: 0,
      rejectedFold: 0, snapped: 0, meanMove: 0, maxMove: 0, ...(options.metresPerUnit ? { meanMoveMm: 0, maxMoveMm: 0 } : {}),
      iterations: 0, ms: Math.round(performance.now() - t0),
    };
    return { vertices: Float32Array.from(frameVertices), status, report };
  }

  // 3. Moves far above the robust median are rejected.
  let rejectedMove = 0;
  // The move rule only catches gross mismatches: genuine corrections vary over the face (a bump the fit missed,
  // an ear the fit placed badly), so its sigma floor is a tenth of the search radius (~1 mm); local outliers are
  // the residual rule's job.
  const moveLimit = robustThreshold(moves, matched, madFactor, Math.max(minSigma, 0.1 * radius));
  for (let j = 0; j < matched; j++) {
    const v = movedVertex[j]!;
    if (moves[j]! > moveLimit) { status[v] = VERTEX_STATUS.rejectedMove; rejectedMove++; }
    else w[v] = weight;
  }

  // 4. Solve; reject what the smooth field cannot reach; solve again from the first solution.
  const d = new Float64Array(3 * n);
  let iterations = 0;
  const solve = (): void => {
    const r = solveDisplacement(cache.laplacian, w, target, d, options.solver);
    // The coordinates run in lockstep (deform.ts): the cost is the slowest one's count.
    iterations += Math.max(r.iterations[0], r.iterations[1], r.iterations[2]);
  };
  solve();
  let rejectedResidual = 0;
  {
    const residuals = new Float64Array(matched);
    let m = 0;
    for (let j = 0; j < matched; j++) {
      const v = movedVertex[j]!;
      if (w[v] === 0) continue;
      residuals[m] = Math.hypot(d[3 * v]! - target[3 * v]!, d[3 * v + 1]! - target[3 * v + 1]!, d[3 * v + 2]! - target[3 * v + 2]!);
      movedVertex[m++] = v;
    }
    const limit = robustThreshold(residuals, m, madFactor, minSigma);
    for (let j = 0; j < m; j++) {
      if (residuals[j]! > limit) { const v = movedVertex[j]!; w[v] = 0; status[v] = VERTEX_STATUS.rejectedResidual; rejectedResidual++; }
    }
  }
  let snapped = 0;
  if (options.snapDistance && options.snapDistance > 0) {
    snapped = snapToSurface(model, options.snapMasks ?? ['scalp', 'neck'], frameVertices, surface, d, w, target, status, options.snapDistance, weight);
  }
  if (rejectedResidual > 0 || snapped > 0) solve();
  // A fold means targets that disagree at the scale of a triangle (eyelid creases, lip contact, corrupted codes):
  // drop the targets of the folded triangles' corners and let them follow their neighbours. A few rounds at most.
  let rejectedFold = 0;
  for (let round = 0; round < MAX_FOLD_ROUNDS; round++) {
    const dropped = dropFoldedTargets(model.faces, frameVertices, d, w, status, cache.eyeball);
    if (dropped === 0) break;
    rejectedFold += dropped;
    solve();
  }

  // 5. Positions; eyeballs translate rigidly with their eye region.
  const vertices = new Float32Array(3 * n);
  for (let i = 0; i < 3 * n; i++) vertices[i] = frameVertices[i]! + d[i]!;
  moveEyeballsRigidly(model, frameVertices, d, vertices);

  let sum = 0, max = 0;
  for (let v = 0; v < n; v++) {
    const m = Math.hypot(vertices[3 * v]! - frameVertices[3 * v]!, vertices[3 * v + 1]! - frameVertices[3 * v + 1]!, vertices[3 * v + 2]! - frameVertices[3 * v + 2]!);
    sum += m;
    if (m > max) max = m;
  }
  for (let i = 0; i < vertices.length; i++) {
    if (!Number.isFinite(vertices[i])) throw new RangeError(`uniformize: vertex ${Math.floor(i / 3)} is ${vertices[i]}; a surface position or code is NaN, or the solve diverged`);
  }
  let targeted = 0;
  for (let v = 0; v < n; v++) if (w[v]! > 0) targeted++;
  const mm = options.metresPerUnit;
  const report: UniformizeReport = {
    eligible: cache.eligible.length, matched, skipped: false, targeted, rejected: noMatch + rejectedMove + rejectedResidual + rejectedFold,
    noMatch, rejectedMove, rejectedResidual, rejectedFold, snapped,
    meanMove: sum / n, maxMove: max,
    ...(mm ? { meanMoveMm: (1000 * mm * sum) / n, maxMoveMm: 1000 * mm * max } : {}),
    iterations, ms: Math.round(performance.now() - t0),
  };
  return { vertices, status, report };
}

/**
 * Untargets the corners of every triangle whose normal, with displacement `d`, turned by more than 90 degrees from
 * the rest mesh's (eyeballs skipped). Returns how many targets were dropped.
 */
function dropFoldedTargets(faces: Uint32Array, rest: Float32Array, d: Float64Array, w: Float64Array, status: Uint8Array, skip: Uint8Array): number {
  let dropped = 0;
  const untarget = (v: number): void => {
    if (w[v]! > 0) { w[v] = 0; status[v] = VERTEX_STATUS.rejectedFold; dropped++; }
  };
  for (let f = 0; f < faces.length; f += 3) {
    const a = faces[f]!, b = faces[f + 1]!, c = faces[f + 2]!;
    if (skip[a] || skip[b] || skip[c]) continue;
    const ia = 3 * a, ib = 3 * b, ic = 3 * c;
    const ux = rest[ib]! - rest[ia]!, uy = rest[ib + 1]! - rest[ia + 1]!, uz = rest[ib + 2]! - rest[ia + 2]!;
    const vx = rest[ic]! - rest[ia]!, vy = rest[ic + 1]! - rest[ia + 1]!, vz = rest[ic + 2]! - rest[ia + 2]!;
    const sx = ux + d[ib]! - d[ia]!, sy = uy + d[ib + 1]! - d[ia + 1]!, sz = uz + d[ib + 2]! - d[ia + 2]!;
    const tx = vx + d[ic]! - d[ia]!, ty = vy + d[ic + 1]! - d[ia + 1]!, tz = vz + d[ic + 2]! - d[ia + 2]!;
    const n0x = uy * vz - uz * vy, n0y = uz * vx - ux * vz, n0z = ux * vy - uy * vx;
    const n1x = sy * tz - sz * ty, n1y = sz * tx - sx * tz, n1z = sx * ty - sy * tx;
    if (n0x * n1x + n0y * n1y + n0z * n1z > 0) continue;
    untarget(a); untarget(b); untarget(c);
  }
  return dropped;
}

/** Eyeball vertex ranges paired with the eye region that carries them. */
function eyeParts(model: HeadModel): Array<{ eyeball: ArrayLike<number>; region: ArrayLike<number> }> {
  const parts: Array<{ eyeball: ArrayLike<number>; region: ArrayLike<number> }> = [];
  for (const side of ['left', 'right'] as const) {
    const region = model.masks[`${side}_eye_region`];
    let eyeball: ArrayLike<number> | undefined = model.masks[`${side}_eyeball`];
    if (!eyeball && model.eyeballs) {
      const [a, b] = model.eyeballs[side];
      eyeball = Uint32Array.from({ length: b - a }, (_, i) => a + i);
    }
    if (region && eyeball && eyeball.length > 0) parts.push({ eyeball, region });
  }
  return parts;
}

/** Translates each eyeball by the mean displacement of its eye region (a rigid move keeps it a sphere). */
function moveEyeballsRigidly(model: HeadModel, rest: Float32Array, d: Float64Array, out: Float32Array): void {
  for (const { eyeball, region } of eyeParts(model)) {
    let x = 0, y = 0, z = 0;
    for (let j = 0; j < region.length; j++) { const v = region[j]!; x += d[3 * v]!; y += d[3 * v + 1]!; z += d[3 * v + 2]!; }
    x /= region.length; y /= region.length; z /= region.length;
    for (let j = 0; j < eyeball.length; j++) {
      const v = eyeball[j]!;
      out[3 * v] = rest[3 * v]! + x; out[3 * v + 1] = rest[3 * v + 1]! + y; out[3 * v + 2] = rest[3 * v + 2]! + z;
    }
  }
}

/**
 * Adds free vertices of `masks` whose (first-solve) position has the surface within `maxDistance`, roughly along
 * the normal (|cos| >= 0.8, so a surface passing sideways is not a snap), as targets. Returns how many.
 */
function snapToSurface(
  model: HeadModel, masks: readonly string[], rest: Float32Array, surface: ReconstructedSurface, d: Float64Array, w: Float64Array, target: Float64Array,
  status: Uint8Array, maxDistance: number, weight: number,
): number {
  if (surface.indices.length < 3) return 0;
  const current = new Float64Array(rest.length);
  for (let i = 0; i < rest.length; i++) current[i] = rest[i]! + d[i]!;
  const normals = vertexNormals(current, model.faces);
  const bvh = new TriangleBvh(surface.positions, surface.indices);
  const hit: ClosestHit = { distanceSq: Infinity, triangle: -1, x: NaN, y: NaN, z: NaN };
  let snapped = 0;
  for (const name of masks) {
    for (const v of model.masks[name] ?? []) {
      if (status[v] !== VERTEX_STATUS.free) continue;
      const x = current[3 * v]!, y = current[3 * v + 1]!, z = current[3 * v + 2]!;
      bvh.closestPoint(x, y, z, hit, maxDistance * maxDistance);
      if (hit.triangle < 0) continue;
      const dx = hit.x - x, dy = hit.y - y, dz = hit.z - z;
      const dist = Math.sqrt(hit.distanceSq);
      const along = dx * normals[3 * v]! + dy * normals[3 * v + 1]! + dz * normals[3 * v + 2]!;
      if (dist > 0 && Math.abs(along) < 0.8 * dist) continue;
      target[3 * v] = hit.x - rest[3 * v]!; target[3 * v + 1] = hit.y - rest[3 * v + 1]!; target[3 * v + 2] = hit.z - rest[3 * v + 2]!;
      w[v] = weight;
      status[v] = VERTEX_STATUS.snapped;
      snapped++;
    }
  }
  return snapped;
}
