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
 * Batches of points in, a Float32Array of codes out (3 per point), no allocation per point. The closest point
 * comes from the shared typed-array BVH (@seif/flame/geometry/bvh). Points farther than `cutoff` (default 0.2 =
 * 4 sigma: the fade is exp(-16) ~ 1e-7 there) get code 0 without a full search: the bound prunes the BVH, which
 * matters because most of a coarse grid is far from the face.
 */
import type { HeadModel } from '@seif/flame';
import { type ClosestHit, TriangleBvh, closestPointOnTriangle } from '@seif/flame/geometry/bvh';

/** sigma^2 of the fade, SeIF-frame units squared (sigma = 0.05 of the normalised frame). */
export const SEMANTIC_SIGMA_SQ = 0.0025;
/** Beyond 4 sigma the fade is below 1.2e-7: treated as 0. */
export const SEMANTIC_CUTOFF = 0.2;
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
  }

  /**
   * Codes of `points` (k x 3, SeIF frame) into `out` (k x 3, allocated if not given). `distance`, when given
   * (k values), receives the distance to the surface (Infinity beyond the cutoff). Returns `out`.
   */
  query(points: ArrayLike<number>, out: Float32Array = new Float32Array(points.length), distance?: Float32Array): Float32Array {
    const k = points.length / 3;
    if (out.length < 3 * k) throw new RangeError(`SemanticField.query: out holds ${out.length} values, needs ${3 * k}`);
    if (distance && distance.length < k) throw new RangeError(`SemanticField.query: distance holds ${distance.length} values, needs ${k}`);
    const cutoffSq = this.cutoff * this.cutoff;
    const inv = 1 / this.sigmaSq;
    const P = this.positions;
    const I = this.indices;
    const C = this.vertexCode;
    const hit = this.hit;
    const q = this.scratch;
    let prev = -1;
    for (let i = 0; i < k; i++) {
      const x = points[3 * i]!, y = points[3 * i + 1]!, z = points[3 * i + 2]!;
      // Coherence: batches usually come in grid or surface order, so the previous point's triangle is close to
      // this point's closest one. Its distance is an upper bound that prunes most of the BVH at once. The bound
      // is nudged up so that triangle itself is still found (the BVH reports only hits strictly below it).
      let bound = cutoffSq;
      if (prev >= 0) {
        const f = 9 * prev;
        const d = closestPointOnTriangle(x, y, z, this.corners[f]!, this.corners[f + 1]!, this.corners[f + 2]!, this.corners[f + 3]!,
          this.corners[f + 4]!, this.corners[f + 5]!, this.corners[f + 6]!, this.corners[f + 7]!, this.corners[f + 8]!, q);
        const nudged = d * (1 + 1e-9) + 1e-30;
        if (nudged < bound) bound = nudged;
      }
      this.bvh.closestPoint(x, y, z, hit, bound);
      prev = hit.triangle;
      if (hit.triangle < 0) {
        out[3 * i] = 0; out[3 * i + 1] = 0; out[3 * i + 2] = 0;
        if (distance) distance[i] = Infinity;
        continue;
      }
      if (distance) distance[i] = Math.sqrt(hit.distanceSq);
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
      const fade = region * Math.exp(-hit.distanceSq * inv);
      if (fade === 0) {
        out[3 * i] = 0; out[3 * i + 1] = 0; out[3 * i + 2] = 0;
        continue;
      }
      // min(1, .): a convex combination of values in [0,1] can round to 1 + 1e-16, and codes promise [0,1].
      out[3 * i] = Math.min(1, fade * (wa * C[4 * a]! + wb * C[4 * b]! + wc * C[4 * c]!));
      out[3 * i + 1] = Math.min(1, fade * (wa * C[4 * a + 1]! + wb * C[4 * b + 1]! + wc * C[4 * c + 1]!));
      out[3 * i + 2] = Math.min(1, fade * (wa * C[4 * a + 2]! + wb * C[4 * b + 2]! + wc * C[4 * c + 2]!));
    }
    return out;
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
