/**
 * Public API. The SeIF semantic field (Liu et al., TMM 2024; docs/ARCHITECTURE.md): for a query point X in the
 * SeIF frame, the closest point on the fitted FLAME surface, the canonical template coordinate there (barycentric
 * interpolation of the vertices' template positions) normalised to [0,1]^3 by the model's template bounding box,
 * faded by exp(-d^2 / sigma^2) (sigma^2 = 0.0025, d in SeIF-frame units), and zero outside the face/ears region:
 *
 *     s(X) = exp(-d^2 / 0.0025) * r(p) * (T(p) - min) / (max - min)
 *
 * where p is the closest surface point, T(p) its template coordinate and r(p) the barycentric interpolation of a
 * per-vertex region weight (1 on the face/ear masks, 0 elsewhere), so the field is continuous across the region's
 * border instead of jumping at a triangle edge.
 *
 * Batches of points in, a Float32Array of codes out (3 per point), no allocation per point. Points farther than
 * `cutoff` (default 0.2 = 4 sigma: the fade is exp(-16) ~ 1e-7 there) get code 0. The closest point comes from a
 * lazily built voxel cache of candidate triangles (candidate-grid.ts), which also knows where no face/ear triangle
 * can be the closest one (code 0 without any search), with the shared typed-array BVH (@seif/flame/geometry/bvh)
 * behind it; a batch is visited block by block so the cache stays warm whatever the batch order. Same codes as a
 * full closest-point search (test/semantic-field.test.ts checks against the previous, BVH-only implementation).
 * queryAsync() spreads a batch over the cores (worker-pool.ts). Speed: bench/semantic-field.ts.
 */
import type { HeadModel } from '@seif/flame';
import { type ClosestHit, TriangleBvh, closestPointOnTriangle } from '@seif/flame/geometry/bvh';
import { CandidateGrid } from './candidate-grid.js';
import { CHUNK_POINTS, semanticWorkerPool } from './worker-pool.js';

/** sigma^2 of the fade, SeIF-frame units squared (sigma = 0.05 of the normalised frame). */
export const SEMANTIC_SIGMA_SQ = 0.0025;
/** Beyond 4 sigma the fade is below 1.2e-7: treated as 0. */
export const SEMANTIC_CUTOFF = 0.2;
/**
 * Voxel side of the candidate cache as a fraction of the cutoff: 0.2 / 12.8 = 1/64 of the SeIF frame, so one
 * voxel holds 2^3 samples of a 128^3 grid and 4^3 of a 256^3 one, and its candidate list stays short near the
 * surface (measured with bench/semantic-field.ts against 1/32 and 1/128).
 */
const VOXELS_PER_CUTOFF = 12.8;
/** Below this many points a batch is visited in its own order (sorting would cost more than it saves). */
const BLOCK_SORT_MIN = 64;
/** Interpolated region weights at or below this are the border edge's rounding residue: code 0. */
const REGION_BORDER = 1e-9;
/** The masks of the head model whose vertices carry codes (SeIF: face and ears). */
export const SEMANTIC_REGION_MASKS: readonly string[] = Object.freeze(['face', 'left_ear', 'right_ear']);

export interface SemanticSurface {
  /** n x 3 vertex positions in the SeIF frame (the fitted FLAME mesh, posed and placed). */
  positions: ArrayLike<number>;
  /** m x 3 triangle indices. */
  indices: ArrayLike<number>;
  /** n x 3 canonical template coordinate of each vertex (model space, e.g. HeadModel.template). */
  template: ArrayLike<number>;
  /** Per-vertex region weight in [0,1] (default: 1 everywhere). See regionWeights(). */
  region?: ArrayLike<number>;
  /** The box normalising template coordinates to [0,1]^3 (default: the template's own bounding box). */
  bounds?: Bounds3;
}

export interface Bounds3 {
  min: [number, number, number];
  max: [number, number, number];
}

export interface SemanticFieldOptions {
  /** Fade denominator sigma^2 (default SEMANTIC_SIGMA_SQ). */
  sigmaSq?: number;
  /** Distance beyond which codes are 0 and the search stops (default SEMANTIC_CUTOFF). */
  cutoff?: number;
}

/** Axis-aligned bounding box of a flat xyz array. */
export function templateBounds(template: ArrayLike<number>): Bounds3 {
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < template.length; i += 3) {
    for (let k = 0; k < 3; k++) {
      const v = template[i + k]!;
      if (v < min[k]!) min[k] = v;
      if (v > max[k]!) max[k] = v;
    }
  }
  return { min, max };
}

/** 1 on the vertices of the given masks of `model` (default: face and both ears), 0 elsewhere. */
export function regionWeights(model: HeadModel, masks: readonly string[] = SEMANTIC_REGION_MASKS): Float32Array {
  const out = new Float32Array(model.vertexCount);
  for (const name of masks) {
    const mask = model.masks[name];
    if (!mask) throw new RangeError(`head model ${model.name} has no mask "${name}" (has: ${Object.keys(model.masks).join(', ')})`);
    for (const v of mask) out[v] = 1;
  }
  return out;
}

let nextPoolId = 1;
// Fields dropped without dispose(): free the workers' replicas once the field is collected.
const replicas = new FinalizationRegistry<number>((id) => semanticWorkerPool().drop(id));

export class SemanticField {
  readonly vertexCount: number;
  readonly triangleCount: number;
  readonly sigmaSq: number;
  readonly cutoff: number;
  private readonly bvh: TriangleBvh;
  private readonly positions: Float64Array;
  private readonly indices: Uint32Array;
  /** Per vertex: normalised template coordinate times the region weight (4 per vertex: x, y, z, weight). */
  private readonly vertexCode: Float64Array;
  private readonly hit: ClosestHit = { distanceSq: Infinity, triangle: -1, x: NaN, y: NaN, z: NaN };
  /** Triangle corners (9 per triangle, original order) for the coherence bound. */
  private readonly corners: Float64Array;
  private readonly scratch = new Float64Array(3);
  /** 1 / sigmaSq: the fade multiplies by it (as it always has: dividing would round differently). */
  private readonly invSigmaSq: number;
  /** Voxel cache of candidate triangles (candidate-grid.ts): the fast path when no distances are asked for. */
  private readonly grid: CandidateGrid;
  /** What a worker needs to build its replica (copies: the caller may reuse its arrays). */
  private readonly source: { surface: SemanticSurface; options: SemanticFieldOptions };
  /** Id of this field's replicas in the worker pool. */
  readonly poolId = nextPoolId++;
  /** Scratch of the block sort in query(), grown to the largest batch seen. */
  private orderScratch = new Int32Array(0);
  private blockScratch = new Int32Array(0);
  private readonly countScratch: Int32Array;

  constructor(surface: SemanticSurface, options: SemanticFieldOptions = {}) {
    const n = surface.positions.length / 3;
    if (!Number.isInteger(n) || n < 3) throw new RangeError(`SemanticField: positions must hold n x 3 values (n >= 3), got ${surface.positions.length}`);
    if (surface.template.length !== 3 * n) throw new RangeError(`SemanticField: template has ${surface.template.length} values, positions ${3 * n}`);
    if (surface.region && surface.region.length !== n) throw new RangeError(`SemanticField: region has ${surface.region.length} weights for ${n} vertices`);
    this.sigmaSq = options.sigmaSq ?? SEMANTIC_SIGMA_SQ;
    this.cutoff = options.cutoff ?? SEMANTIC_CUTOFF;
    if (!(this.sigmaSq > 0) || !(this.cutoff > 0)) throw new RangeError('SemanticField: sigmaSq and cutoff must be > 0');
    this.vertexCount = n;
    this.positions = Float64Array.from(surface.positions);
    this.indices = Uint32Array.from(surface.indices);
    this.triangleCount = this.indices.length / 3;
    this.bvh = new TriangleBvh(this.positions, this.indices);
    this.corners = new Float64Array(9 * this.triangleCount);
    for (let f = 0; f < this.triangleCount; f++) {
      for (let c = 0; c < 3; c++) {
        const v = this.indices[3 * f + c]!;
        for (let k = 0; k < 3; k++) this.corners[9 * f + 3 * c + k] = this.positions[3 * v + k]!;
      }
    }
    const b = surface.bounds ?? templateBounds(surface.template);
    const code = new Float64Array(4 * n);
    for (let v = 0; v < n; v++) {
      for (let k = 0; k < 3; k++) {
        const extent = b.max[k]! - b.min[k]!;
        // A flat axis (degenerate box) maps to 0.5 rather than NaN.
        const t = extent > 0 ? (surface.template[3 * v + k]! - b.min[k]!) / extent : 0.5;
        code[4 * v + k] = t < 0 ? 0 : t > 1 ? 1 : t;
      }
      code[4 * v + 3] = surface.region ? surface.region[v]! : 1;
    }
    this.vertexCode = code;
    this.invSigmaSq = 1 / this.sigmaSq;
    // Region triangles: any vertex with a non-zero weight. Elsewhere the interpolated weight, hence the code, is 0.
    const regionTriangle = new Uint8Array(this.triangleCount);
    for (let f = 0; f < this.triangleCount; f++) {
      const a = this.indices[3 * f]!, b = this.indices[3 * f + 1]!, c = this.indices[3 * f + 2]!;
      regionTriangle[f] = code[4 * a + 3]! !== 0 || code[4 * b + 3]! !== 0 || code[4 * c + 3]! !== 0 ? 1 : 0;
    }
    this.source = {
      surface: {
        positions: this.positions, indices: this.indices, template: Float64Array.from(surface.template), bounds: b,
        ...(surface.region ? { region: Float64Array.from(surface.region) } : {}),
      },
      options: { sigmaSq: this.sigmaSq, cutoff: this.cutoff },
    };
    replicas.register(this, this.poolId, this);
    this.grid = new CandidateGrid(this.corners, regionTriangle, this.bvh, this.cutoff, this.cutoff / VOXELS_PER_CUTOFF);
    this.countScratch = new Int32Array(this.grid.blockCount + 1);
  }

  /**
   * Codes of `points` (k x 3, SeIF frame) into `out` (k x 3, allocated if not given). `distance`, when given
   * (k values), receives the distance to the surface (Infinity beyond the cutoff). Returns `out`.
   */
  query(points: ArrayLike<number>, out: Float32Array = new Float32Array(points.length), distance?: Float32Array): Float32Array {
    const k = points.length / 3;
    if (out.length < 3 * k) throw new RangeError(`SemanticField.query: out holds ${out.length} values, needs ${3 * k}`);
    if (distance && distance.length < k) throw new RangeError(`SemanticField.query: distance holds ${distance.length} values, needs ${k}`);
    const hit = this.hit;
    if (distance) {
      // The voxel cache only finds closest points that can carry a code; distances need the full search.
      let prev = -1;
      for (let i = 0; i < k; i++) {
        this.searchBvh(points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!, prev, hit);
        prev = hit.triangle;
        if (hit.triangle < 0) {
          out[3 * i] = 0; out[3 * i + 1] = 0; out[3 * i + 2] = 0;
          distance[i] = Infinity;
          continue;
        }
        distance[i] = Math.sqrt(hit.distanceSq);
        this.writeCode(out, i, hit);
      }
      return out;
    }
    const grid = this.grid;
    if (k < BLOCK_SORT_MIN) {
      for (let i = 0; i < k; i++) this.codeFromCache(grid, points, out, i, hit);
      return out;
    }
    // Block by block (batch order within a block): random-order batches then reuse the voxel lists while they
    // are in cache (1.2-1.5x on random near-surface points), and grid-order batches lose nothing.
    const order = this.orderScratch.length >= k ? this.orderScratch : (this.orderScratch = new Int32Array(k));
    const n = this.sortByBlock(points, k, order, out);
    for (let s = 0; s < n; s++) this.codeFromCache(grid, points, out, order[s]!, hit);
    return out;
  }

  private codeFromCache(grid: CandidateGrid, points: ArrayLike<number>, out: Float32Array, i: number, hit: ClosestHit): void {
    grid.closest(points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!, hit);
    if (hit.triangle < 0) { out[3 * i] = 0; out[3 * i + 1] = 0; out[3 * i + 2] = 0; }
    else this.writeCode(out, i, hit);
  }

  /**
   * Indices of the points inside the cache's directory, grouped by block (a counting sort, stable), into
   * `order`; points outside get code 0 here. Returns how many were ordered.
   */
  private sortByBlock(points: ArrayLike<number>, k: number, order: Int32Array, out: Float32Array): number {
    const grid = this.grid;
    if (this.blockScratch.length < k) this.blockScratch = new Int32Array(order.length);
    const blocks = this.blockScratch;
    const count = this.countScratch;
    count.fill(0);
    for (let i = 0; i < k; i++) {
      const b = grid.blockOf(points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!);
      blocks[i] = b;
      if (b < 0) { out[3 * i] = 0; out[3 * i + 1] = 0; out[3 * i + 2] = 0; } else count[b + 1]!++;
    }
    for (let b = 1; b < count.length; b++) count[b]! += count[b - 1]!;
    for (let i = 0; i < k; i++) {
      const b = blocks[i]!;
      if (b >= 0) order[count[b]!++] = i;
    }
    // count[b] now ends block b; the last slot was never incremented and still holds the total.
    return count[count.length - 1]!;
  }

  /**
   * query() spread over the cores: the calling thread and one worker thread per further core (worker-pool.ts)
   * each take chunks of the batch. Same codes as query() (every thread runs the same code on a replica of this
   * field), except at exact ties between two triangles: which one wins depends on the thread's cache state, and the
   * codes differ by rounding (<= 1e-6, tested; exactly 0 on the region's border, see writeCode). Worth it for large
   * batches (the occupancy grid's 65536 points); small ones, and any batch while the workers are still starting,
   * run on the calling thread.
   */
  queryAsync(points: ArrayLike<number>, out: Float32Array = new Float32Array(points.length)): Promise<Float32Array> {
    const k = points.length / 3;
    if (out.length < 3 * k) return Promise.reject(new RangeError(`SemanticField.queryAsync: out holds ${out.length} values, needs ${3 * k}`));
    const pool = semanticWorkerPool();
    if (pool.size === 0 || k < 2 * CHUNK_POINTS) return Promise.resolve(this.query(points, out));
    return pool.run(this, points, out);
  }

  /** @internal For the worker pool: the inputs a replica is built from. */
  replica(): { surface: SemanticSurface; options: SemanticFieldOptions } {
    return this.source;
  }

  /** Frees this field's replicas in the worker threads (they are also freed when the field is collected). */
  dispose(): void {
    replicas.unregister(this);
    semanticWorkerPool().drop(this.poolId);
  }

  /** Closest point within the cutoff by the BVH, its bound tightened by the triangle `prev` (-1: none). */
  private searchBvh(x: number, y: number, z: number, prev: number, hit: ClosestHit): void {
    // Coherence: batches usually come in grid or surface order, so the previous point's triangle is close to
    // this point's closest one. Its distance is an upper bound that prunes most of the BVH at once. The bound
    // is nudged up so that triangle itself is still found (the BVH reports only hits strictly below it).
    let bound = this.cutoff * this.cutoff;
    if (prev >= 0) {
      const f = 9 * prev;
      const d = closestPointOnTriangle(x, y, z, this.corners[f]!, this.corners[f + 1]!, this.corners[f + 2]!, this.corners[f + 3]!,
        this.corners[f + 4]!, this.corners[f + 5]!, this.corners[f + 6]!, this.corners[f + 7]!, this.corners[f + 8]!, this.scratch);
      const nudged = d * (1 + 1e-9) + 1e-30;
      if (nudged < bound) bound = nudged;
    }
    this.bvh.closestPoint(x, y, z, hit, bound);
  }

  /** Code of point i from its closest point `hit` (triangle >= 0, within the cutoff) into out[3i..3i+2]. */
  private writeCode(out: Float32Array, i: number, hit: ClosestHit): void {
    const P = this.positions;
    const I = this.indices;
    const C = this.vertexCode;
    const f = 3 * hit.triangle;
    const a = I[f]!, b = I[f + 1]!, c = I[f + 2]!;
    // Barycentrics of the closest point (which lies on the triangle): Cramer's rule on the edge Gram matrix.
    const ax = P[3 * a]!, ay = P[3 * a + 1]!, az = P[3 * a + 2]!;
    const e1x = P[3 * b]! - ax, e1y = P[3 * b + 1]! - ay, e1z = P[3 * b + 2]! - az;
    const e2x = P[3 * c]! - ax, e2y = P[3 * c + 1]! - ay, e2z = P[3 * c + 2]! - az;
    const qx = hit.x - ax, qy = hit.y - ay, qz = hit.z - az;
    const d11 = e1x * e1x + e1y * e1y + e1z * e1z;
    const d12 = e1x * e2x + e1y * e2y + e1z * e2z;
    const d22 = e2x * e2x + e2y * e2y + e2z * e2z;
    const q1 = qx * e1x + qy * e1y + qz * e1z;
    const q2 = qx * e2x + qy * e2y + qz * e2z;
    const det = d11 * d22 - d12 * d12;
    let wb: number, wc: number;
    if (det > 1e-30 * (d11 * d22 + 1e-300)) {
      wb = (d22 * q1 - d12 * q2) / det;
      wc = (d11 * q2 - d12 * q1) / det;
      // Clamp rounding noise so the weights stay a convex combination.
      if (wb < 0) wb = 0;
      if (wc < 0) wc = 0;
      const s = wb + wc;
      if (s > 1) { wb /= s; wc /= s; }
    } else {
      // Degenerate (zero-area) triangle: the nearest corner's code, a defined answer.
      const da = qx * qx + qy * qy + qz * qz;
      const db = (qx - e1x) ** 2 + (qy - e1y) ** 2 + (qz - e1z) ** 2;
      const dc = (qx - e2x) ** 2 + (qy - e2y) ** 2 + (qz - e2z) ** 2;
      wb = db < da && db <= dc ? 1 : 0;
      wc = dc < da && dc < db ? 1 : 0;
    }
    const wa = Math.max(0, 1 - wb - wc);
    const region = wa * C[4 * a + 3]! + wb * C[4 * b + 3]! + wc * C[4 * c + 3]!;
    const fade = region * Math.exp(-hit.distanceSq * this.invSigmaSq);
    // A closest point on the region's border edge is as close on the triangle beyond it, whose code is 0; which
    // of the two a search returns depends on its path (voxel cache, BVH, a worker's cache state), and the region
    // side gives a rounding residue (~1e-16) instead of 0. Either way the answer is 0: without this the same
    // photo gave different codes from run to run, and the projection gate's "field is 0" test flipped with them.
    if (!(Math.abs(region) > REGION_BORDER)) {
      out[3 * i] = 0; out[3 * i + 1] = 0; out[3 * i + 2] = 0;
      return;
    }
    // min(1, .): a convex combination of values in [0,1] can round to 1 + 1e-16, and codes promise [0,1].
    out[3 * i] = Math.min(1, fade * (wa * C[4 * a]! + wb * C[4 * b]! + wc * C[4 * c]!));
    out[3 * i + 1] = Math.min(1, fade * (wa * C[4 * a + 1]! + wb * C[4 * b + 1]! + wc * C[4 * c + 1]!));
    out[3 * i + 2] = Math.min(1, fade * (wa * C[4 * a + 2]! + wb * C[4 * b + 2]! + wc * C[4 * c + 2]!));
  }
}

/**
 * The semantic field of a posed head model mesh: `vertices` are the model's vertices already placed in the SeIF
 * frame; template coordinates and the face/ears region come from `model`.
 */
export function semanticFieldForHead(model: HeadModel, vertices: ArrayLike<number>, options: SemanticFieldOptions & { masks?: readonly string[] } = {}): SemanticField {
  return new SemanticField({
    positions: vertices,
    indices: model.faces,
    template: model.template,
    region: regionWeights(model, options.masks),
    bounds: templateBounds(model.template),
  }, options);
}
