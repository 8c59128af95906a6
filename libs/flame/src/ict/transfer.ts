/**
 * Public API (the model builder imports `transferIctExpressions` from this module by name; keep the signature).
 *
 * Carries ICT-FaceKit Light's expression shapes (MIT) onto a FLAME-topology head, named with ARKit's 52 names.
 *
 * - Registration (register.ts): landmark similarity, then non-rigid ICP on FLAME's face region, then each
 *   FLAME vertex gets a point on ICT's skin (triangle + barycentrics).
 * - Skin deltas: delta(v) = s R sum_k b_k deltaICT(corner_k), s R being the similarity's scale (cm -> m with
 *   ICT's larger face) and rotation, so deltas live in FLAME's frame. Outside the face region the weight falls
 *   smoothly (smoothstep of edge-path distance over FALLOFF_METRES) to zero: the scalp and back of the head stay
 *   exactly still, and no step appears where the region ends. A second falloff (STILL_FALLOFF_METRES) brings
 *   the weight to zero at the scalp and the neck's cut edge, which ICT's forehead and neck motion would
 *   otherwise reach.
 * - Eyeballs are rigid: per shape, the rotation of ICT's eyeball (Kabsch on its vertices) is applied to FLAME's
 *   eyeball about its centroid (after conjugating by the similarity's rotation). eyeLook* shapes thus turn the
 *   FLAME eyes; elsewhere ICT's eyeballs stay put and so do FLAME's.
 * - jawOpen: FLAME opens the jaw with its jaw joint, so the blendshape must not open it a second time. A rigid
 *   motion is fitted (Kabsch) to ICT's lower teeth, which move with the mandible, and turned into a rotation
 *   about an axis (angle, axis and a pivot on it, in FLAME's frame: `report.jaw`). Each FLAME vertex's share of
 *   that rotation is the projection of its transferred delta onto the rigid displacement there, clamped to
 *   [0, 1] and smoothed. The returned jawOpen delta is the remainder, delta - share * rigid: what the jaw joint
 *   does not explain (lip rounding, cheek stretch, skin sliding). `report.jaw.fullDelta` keeps the plain
 *   blendshape and `report.jaw.share` the estimated jaw influence, so a builder whose jaw skin weights differ can
 *   recompute its own corrective (full delta minus its skinned jaw rotation at `report.jaw.angle`).
 */
import { FlameError } from '../errors.js';
import { ARKIT_BLENDSHAPES, ARKIT_FROM_ICT, type ArkitBlendshape } from './arkit.js';
import { type FlameAuxData, ICT_EXPRESSIONS, ICT_RANGES, type IctData, loadFlameAuxData, loadIctData } from './assets.js';
import { fitSimilarity, graphDistance, type Mat3, mat3Multiply, mat3Transpose, rotationAxisAngle, smoothstep, type Vec3, vertexAdjacency } from '../geometry/primitives.js';
import { type Registration, type RegistrationReport, registerIctToFlame } from './register.js';

/** Width of the smooth falloff outside the face region (metres): about four FLAME edges. */
export const FALLOFF_METRES = 0.02;
/** FLAME masks that stay exactly still in every expression, and the falloff toward them (metres). */
export const STILL_MASKS = Object.freeze(['scalp', 'boundary']);
export const STILL_FALLOFF_METRES = 0.015;

export interface JawFit {
  /** Unit rotation axis in the target's frame. */
  axis: Vec3;
  /** A point on the axis (target frame, metres), the one nearest ICT's lower-teeth centroid. */
  pivot: Vec3;
  /** Rotation angle (radians) of ICT's jawOpen at weight 1, signed about `axis`. */
  angle: number;
  /** Translation along the axis the rotation leaves unexplained (mm); near 0 when the jaw hinges. */
  axialSlideMm: number;
  /** RMS of the rigid fit on ICT's lower teeth (mm, FLAME scale). */
  fitRmsMm: number;
  /** Estimated share of the jaw rotation per FLAME vertex (0..1). */
  share: Float32Array;
  /** The plain transferred jawOpen blendshape (before removing the jaw rotation). */
  fullDelta: Float32Array;
}

export interface TransferReport {
  registration: RegistrationReport;
  /** ARKit name -> the ICT shapes it came from. */
  mapping: Array<{ name: ArkitBlendshape; ict: string[]; note?: string }>;
  /** ARKit names with no ICT source and how they were filled. */
  missing: Array<{ name: ArkitBlendshape; fill: string }>;
  /** ICT files in FaceXModel/ not used (not among ICT's 53 expressions or not ARKit). */
  unusedIctFiles: string[];
  /** Largest |delta| per ARKit shape (mm). */
  maxDeltaMm: Record<string, number>;
  jaw: JawFit;
  sidedness: string;
  units: string;
  elapsedMs: number;
}

export interface TransferResult {
  names: string[];
  deltas: Float32Array[];
  jawOpenCorrective?: Float32Array;
  report: TransferReport;
}

/** Optional pre-loaded inputs (tests reuse one load; the defaults read the asset manifest). */
export interface TransferInputs {
  ict?: IctData;
  aux?: FlameAuxData;
}

export async function transferIctExpressions(
  target: { vertices: Float32Array; faces: Uint32Array },
  inputs: TransferInputs = {},
): Promise<TransferResult> {
  const started = performance.now();
  const [ict, aux] = await Promise.all([inputs.ict ?? loadIctData(), inputs.aux ?? loadFlameAuxData()]);
  const registration = registerIctToFlame(target, ict, aux);
  const n = target.vertices.length / 3;
  const { similarity, correspondence, ictTriangles } = registration;
  const sr: Mat3 = similarity.rotation.map((r) => r * similarity.scale) as Mat3;

  // Region weight: 1 in the face region, smooth falloff outside, 0 on eyeballs (handled rigidly) and misses.
  const adjacency = vertexAdjacency(n, target.faces);
  const seeds: number[] = [];
  for (let v = 0; v < n; v++) if (registration.faceRegion[v]) seeds.push(v);
  const distance = graphDistance(target.vertices, adjacency, seeds);
  // ...and a second falloff to zero at the regions that must not move (scalp, the neck's cut edge).
  const still: number[] = [];
  for (const name of STILL_MASKS) for (const v of aux.masks.get(name) ?? []) still.push(v);
  const stillDistance = graphDistance(target.vertices, adjacency, still);
  const regionWeight = new Float32Array(n);
  for (let v = 0; v < n; v++) {
    if (registration.eyeball[v] || (correspondence.triangle[v] as number) < 0) continue;
    regionWeight[v] = (1 - smoothstep(0, FALLOFF_METRES, distance[v] as number)) * smoothstep(0, STILL_FALLOFF_METRES, stillDistance[v] as number);
  }

  // Eyeballs: FLAME side by nearest ICT eyeball centre (mapped into the target frame).
  const eyeMasks = ['left_eyeball', 'right_eyeball'].map((name) => aux.masks.get(name) as Uint32Array);
  const flameEyeCentres = eyeMasks.map((mask) => centroid(target.vertices, mask));
  const ictEyeVertices = ICT_RANGES.eyeballVertices.map(([from, to]) => Uint32Array.from({ length: to - from }, (_, i) => from + i));
  const ictEyeCentres = ictEyeVertices.map((ids) => transformPoint(similarity.rotation, similarity.scale, similarity.translation, centroid(ict.neutral, ids)));
  const eyePairs = flameEyeCentres.map((centre) => {
    const d = ictEyeCentres.map((c) => Math.hypot(c[0] - centre[0], c[1] - centre[1], c[2] - centre[2]));
    return (d[0] as number) <= (d[1] as number) ? 0 : 1;
  });
  const rt = mat3Transpose(similarity.rotation);

  const ictDelta = (shape: Float32Array, v: number, k: number) => (shape[v * 3 + k] as number) - (ict.neutral[v * 3 + k] as number);

  const transferShape = (shape: Float32Array): Float32Array => {
    const out = new Float32Array(n * 3);
    for (let v = 0; v < n; v++) {
      const weight = regionWeight[v] as number;
      if (weight === 0) continue;
      const t = (correspondence.triangle[v] as number) * 3;
      const a = ictTriangles[t] as number, b = ictTriangles[t + 1] as number, c = ictTriangles[t + 2] as number;
      const u = correspondence.bary[v * 3] as number, bv = correspondence.bary[v * 3 + 1] as number, w = correspondence.bary[v * 3 + 2] as number;
      const local = [0, 1, 2].map((k) => u * ictDelta(shape, a, k) + bv * ictDelta(shape, b, k) + w * ictDelta(shape, c, k));
      for (let r = 0; r < 3; r++) {
        out[v * 3 + r] = weight * ((sr[r * 3] as number) * (local[0] as number) + (sr[r * 3 + 1] as number) * (local[1] as number) + (sr[r * 3 + 2] as number) * (local[2] as number));
      }
    }
    // Eyeballs: rigid rotation of ICT's eyeball, conjugated into the target frame.
    for (let e = 0; e < 2; e++) {
      const ids = ictEyeVertices[eyePairs[e] as number] as Uint32Array;
      const moved = new Float64Array(ids.length * 3);
      const rest = new Float64Array(ids.length * 3);
      let motion = 0;
      ids.forEach((v, i) => {
        for (let k = 0; k < 3; k++) {
          rest[i * 3 + k] = ict.neutral[v * 3 + k] as number;
          moved[i * 3 + k] = shape[v * 3 + k] as number;
          motion = Math.max(motion, Math.abs(ictDelta(shape, v, k)));
        }
      });
      if (motion < 1e-5) continue; // ICT's eyeball did not move (cm)
      const fit = fitSimilarity(rest, moved, undefined, false);
      const rotation = mat3Multiply(mat3Multiply(similarity.rotation, fit.rotation), rt);
      const centre = flameEyeCentres[e] as Vec3;
      for (const v of eyeMasks[e] as Uint32Array) {
        const p = [0, 1, 2].map((k) => (target.vertices[v * 3 + k] as number) - (centre[k] as number));
        for (let r = 0; r < 3; r++) {
          out[v * 3 + r] = (rotation[r * 3] as number) * (p[0] as number) + (rotation[r * 3 + 1] as number) * (p[1] as number) + (rotation[r * 3 + 2] as number) * (p[2] as number) - (p[r] as number);
        }
      }
    }
    return out;
  };

  const transferred = new Map<string, Float32Array>();
  for (const name of ICT_EXPRESSIONS) transferred.set(name, transferShape(ict.expressions.get(name) as Float32Array));

  const jaw = fitJaw(target, ict, registration, transferred.get('jawOpen') as Float32Array, adjacency);

  const names: string[] = [];
  const deltas: Float32Array[] = [];
  const maxDeltaMm: Record<string, number> = {};
  const mapping: TransferReport['mapping'] = [];
  const missing: TransferReport['missing'] = [];
  for (const name of ARKIT_BLENDSHAPES) {
    const source = ARKIT_FROM_ICT[name];
    const delta = new Float32Array(n * 3);
    for (const ictName of source.ict) {
      const part = name === 'jawOpen' ? jaw.corrective : (transferred.get(ictName) as Float32Array);
      for (let i = 0; i < delta.length; i++) delta[i] = (delta[i] as number) + (part[i] as number);
    }
    if (source.ict.length === 0) missing.push({ name, fill: source.note ?? 'zero deltas' });
    mapping.push(source.note ? { name, ict: source.ict, note: source.note } : { name, ict: source.ict });
    let max = 0;
    for (let v = 0; v < n; v++) max = Math.max(max, Math.hypot(delta[v * 3] as number, delta[v * 3 + 1] as number, delta[v * 3 + 2] as number));
    maxDeltaMm[name] = max * 1000;
    for (const value of delta) {
      if (!Number.isFinite(value)) throw new FlameError('BAD_VALUE', `transferred ${name} has a non-finite delta: a degenerate ICT triangle or a failed registration`);
    }
    names.push(name);
    deltas.push(delta);
  }

  return {
    names,
    deltas,
    jawOpenCorrective: jaw.corrective,
    report: {
      registration: registration.report,
      mapping,
      missing,
      unusedIctFiles: ['cheekRaiser_L', 'cheekRaiser_R', 'PupilDilate_L', 'PupilDilate_R'],
      maxDeltaMm,
      jaw: jaw.fit,
      sidedness: "ICT _L/_R and ARKit Left/Right are the subject's sides; FLAME's left is +x",
      units: 'deltas in metres in the target frame (ICT centimetres times the similarity scale, rotated)',
      elapsedMs: performance.now() - started,
    },
  };
}

function centroid(positions: ArrayLike<number>, ids: ArrayLike<number>): Vec3 {
  const c: Vec3 = [0, 0, 0];
  for (let i = 0; i < ids.length; i++) for (let k = 0; k < 3; k++) c[k] = (c[k] as number) + (positions[(ids[i] as number) * 3 + k] as number) / ids.length;
  return c;
}

function transformPoint(r: Mat3, s: number, t: Vec3, p: Vec3): Vec3 {
  return [0, 1, 2].map((k) => s * ((r[k * 3] as number) * p[0] + (r[k * 3 + 1] as number) * p[1] + (r[k * 3 + 2] as number) * p[2]) + (t[k] as number)) as Vec3;
}

function fitJaw(
  target: { vertices: Float32Array; faces: Uint32Array },
  ict: IctData,
  registration: Registration,
  fullDelta: Float32Array,
  adjacency: { offsets: Uint32Array; neighbours: Uint32Array },
): { fit: JawFit; corrective: Float32Array } {
  const { similarity } = registration;
  const n = target.vertices.length / 3;
  const shape = ict.expressions.get('jawOpen') as Float32Array;
  // Lower teeth in the target frame, rest and open: they move with the mandible.
  const [from, to] = ICT_RANGES.lowerTeethVertices;
  const count = to - from;
  const rest = new Float64Array(count * 3);
  const open = new Float64Array(count * 3);
  for (let i = 0; i < count; i++) {
    const v = from + i;
    const pr = transformPoint(similarity.rotation, similarity.scale, similarity.translation, [ict.neutral[v * 3] as number, ict.neutral[v * 3 + 1] as number, ict.neutral[v * 3 + 2] as number]);
    const po = transformPoint(similarity.rotation, similarity.scale, similarity.translation, [shape[v * 3] as number, shape[v * 3 + 1] as number, shape[v * 3 + 2] as number]);
    rest.set(pr, i * 3);
    open.set(po, i * 3);
  }
  const rigid = fitSimilarity(rest, open, undefined, false);
  const R = rigid.rotation;
  const t = rigid.translation;
  let fitSq = 0;
  for (let i = 0; i < count; i++) {
    const p = transformPoint(R, 1, t, [rest[i * 3] as number, rest[i * 3 + 1] as number, rest[i * 3 + 2] as number]);
    fitSq += (p[0] - (open[i * 3] as number)) ** 2 + (p[1] - (open[i * 3 + 1] as number)) ** 2 + (p[2] - (open[i * 3 + 2] as number)) ** 2;
  }
  const { axis, angle } = rotationAxisAngle(R);
  // x' = R x + t = R (x - p) + p  =>  (I - R) p = t (up to the component of t along the axis: a slide).
  const slide = t[0] * axis[0] + t[1] * axis[1] + t[2] * axis[2];
  const tPerp = [0, 1, 2].map((k) => (t[k] as number) - slide * (axis[k] as number)) as Vec3;
  // Solve in the plane orthogonal to the axis with basis (e1, e2).
  const helper: Vec3 = Math.abs(axis[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const e1 = normalize(cross(axis, helper));
  const e2 = cross(axis, e1);
  const imr = (q: Vec3): Vec3 => {
    const rq = transformPoint(R, 1, [0, 0, 0], q);
    return [q[0] - rq[0], q[1] - rq[1], q[2] - rq[2]];
  };
  const c1 = imr(e1);
  const c2 = imr(e2);
  // Normal equations of [c1 c2] q = tPerp.
  const a11 = dot(c1, c1), a12 = dot(c1, c2), a22 = dot(c2, c2);
  const b1 = dot(c1, tPerp), b2 = dot(c2, tPerp);
  const det = a11 * a22 - a12 * a12;
  const q1 = det !== 0 ? (b1 * a22 - b2 * a12) / det : 0;
  const q2 = det !== 0 ? (a11 * b2 - a12 * b1) / det : 0;
  let pivot: Vec3 = [q1 * e1[0] + q2 * e2[0], q1 * e1[1] + q2 * e2[1], q1 * e1[2] + q2 * e2[2]];
  const teethCentre = centroid(rest, Uint32Array.from({ length: count }, (_, i) => i));
  const along = dot([teethCentre[0] - pivot[0], teethCentre[1] - pivot[1], teethCentre[2] - pivot[2]], axis);
  pivot = [pivot[0] + along * axis[0], pivot[1] + along * axis[1], pivot[2] + along * axis[2]];

  // Per-vertex share of the rigid jaw motion.
  const rigidDelta = new Float64Array(n * 3);
  const share = new Float32Array(n);
  for (let v = 0; v < n; v++) {
    const x: Vec3 = [target.vertices[v * 3] as number, target.vertices[v * 3 + 1] as number, target.vertices[v * 3 + 2] as number];
    const moved = transformPoint(R, 1, [0, 0, 0], [x[0] - pivot[0], x[1] - pivot[1], x[2] - pivot[2]]);
    let jj = 0;
    let dj = 0;
    for (let k = 0; k < 3; k++) {
      const j = (moved[k] as number) + (pivot[k] as number) - (x[k] as number);
      rigidDelta[v * 3 + k] = j;
      jj += j * j;
      dj += j * (fullDelta[v * 3 + k] as number);
    }
    share[v] = jj > 1e-12 ? Math.max(0, Math.min(1, dj / jj)) : 0;
  }
  // A few rounds of neighbour averaging, so the share (a skin-weight-like field) has no speckle.
  const smoothed = new Float32Array(n);
  for (let round = 0; round < 3; round++) {
    for (let v = 0; v < n; v++) {
      const start = adjacency.offsets[v] as number, end = adjacency.offsets[v + 1] as number;
      let sum = share[v] as number;
      for (let k = start; k < end; k++) sum += share[adjacency.neighbours[k] as number] as number;
      smoothed[v] = sum / (end - start + 1);
    }
    // Vertices the jawOpen shape leaves still stay at zero (keeps the scalp exactly still).
    for (let v = 0; v < n; v++) share[v] = Math.hypot(fullDelta[v * 3] as number, fullDelta[v * 3 + 1] as number, fullDelta[v * 3 + 2] as number) > 0 ? (smoothed[v] as number) : 0;
  }
  const corrective = new Float32Array(n * 3);
  for (let i = 0; i < n * 3; i++) corrective[i] = (fullDelta[i] as number) - (share[Math.floor(i / 3)] as number) * (rigidDelta[i] as number);
  return {
    fit: { axis, pivot, angle, axialSlideMm: slide * 1000, fitRmsMm: Math.sqrt(fitSq / count) * 1000, share, fullDelta },
    corrective,
  };
}

const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
function normalize(a: Vec3): Vec3 {
  const l = Math.hypot(...a) || 1;
  return [a[0] / l, a[1] / l, a[2] / l];
}
