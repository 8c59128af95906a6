/**
 * Public API. The part of the reconstruction the uniformized FLAME mesh does not cover (hair, buns, beards,
 * collars) as its own mesh, skinned to FLAME's joints so it animates with the head.
 *
 * Extraction: every surface vertex's distance to the uniformized FLAME surface (closest point on a BVH, searched
 * only up to the threshold, so far vertices cost little); a triangle is hair when all three corners are farther
 * than the threshold, so the hair mesh never overlaps the skin it would z-fight with (its border stays a threshold
 * off the head: a hairline gap of that width, hidden under the hair's own shading). Connected pieces below
 * `minFaces` triangles are dropped (marching-cubes crumbs, a collar edge), and the vertices are compacted.
 *
 * Skinning: per hair vertex, FLAME's skin weights at its closest point on the FLAME surface (eyeballs excluded:
 * hair must not follow the gaze). Hair thus moves with the neck and head joints as the scalp under it does; a
 * beard follows the jaw, as it should. Long hair that reaches the shoulders takes the neck's weights, the best the
 * five-joint skeleton offers. The weights jump where the closest point does (across a deep concavity, e.g. hair
 * hanging between ear and neck); not seen on the test heads, a k-nearest blend would be the fallback.
 */
import type { HeadModel } from '@seif/flame';
import { type ClosestHit, TriangleBvh } from '@seif/flame/geometry/bvh';
import { compactWithSource, decimateMesh } from '../implicit/mesh-cleanup.js';
import { skinPoints, unskinPoints } from './skinning.js';

export interface HairOptions {
  /**
   * Surface farther than this from the FLAME surface is hair, frame units (default 0.01: ~2.7 mm at the usual
   * 0.27 m per unit; above the ~1 mm uniformization error on the face, below short hair's thickness).
   */
  threshold?: number;
  /** Connected pieces with fewer triangles are dropped (default 100: under ~0.5 cm^2 at marching-cubes spacing). */
  minFaces?: number;
  /**
   * Per surface vertex, 1 where the photo shows it in the hair's colour (seif/hair-in-photo.ts). When given, surface
   * over FLAME's face (closest point in `faceMasks`) within `faceShellDistance` of it is hair only where the photo
   * says so, and never over brows, eyes, nose and lips (`featureMasks`): a face the network placed a few
   * millimetres in front of the fit (cheeks, lips) is not a layer of hair, while a beard or a fringe in the hair's
   * colour stays. Elsewhere (scalp, ears, neck, beyond) the threshold alone decides.
   */
  hairInPhoto?: Uint8Array;
  /**
   * Default 0.05 frame units, ~13 mm: thicker than that over the face is hair (or a hand...) whatever its colour.
   * The network's face lies up to ~1 cm in front of the fit on the sample portraits; at 0.03 cheek shells stayed.
   */
  faceShellDistance?: number;
  /** FLAME masks that make up the face (default FACE_SHELL_MASKS). */
  faceMasks?: readonly string[];
  /** Of those, the ones where a thin shell is never hair, whatever its colour (default FACE_FEATURE_MASKS). */
  featureMasks?: readonly string[];
}

/** The face for HairOptions.hairInPhoto: the regions SeIF's codes cover, ears excepted (hair falls over them). */
export const FACE_SHELL_MASKS: readonly string[] = Object.freeze(['face', 'lips', 'nose', 'eye_region', 'forehead']);
/** Brows, eyes, nose and lips: dark brows match the hair's colour, but a shell over them is the face, not hair. */
export const FACE_FEATURE_MASKS: readonly string[] = Object.freeze(['eye_region', 'nose', 'lips']);

export interface HairMesh {
  /** n x 3 positions (SeIF frame). */
  positions: Float32Array;
  /** m x 3 triangle indices into positions. */
  indices: Uint32Array;
  /** Index of each hair vertex in the source surface. */
  source: Uint32Array;
}

export interface HairReport {
  /** Vertices off the FLAME surface over its face that the photo does not show as hair (options.hairInPhoto). */
  faceShell: number;
  faces: number;
  vertices: number;
  components: number;
  droppedComponents: number;
  droppedFaces: number;
  ms: number;
}

/** Hair surface: the faces of `surface` off the uniformized FLAME mesh (`flameVertices`, same frame). */
export function extractHair(
  model: HeadModel, flameVertices: Float32Array, surface: { positions: Float32Array; indices: Uint32Array }, options: HairOptions = {},
): { mesh: HairMesh; report: HairReport } {
  const t0 = performance.now();
  const threshold = options.threshold ?? 0.01;
  const minFaces = options.minFaces ?? 100;
  if (flameVertices.length !== 3 * model.vertexCount) throw new RangeError(`extractHair: flameVertices has ${flameVertices.length} values; model ${model.name} needs ${3 * model.vertexCount}`);
  const P = surface.positions, I = surface.indices;
  const n = P.length / 3, m = I.length / 3;

  // 1. Which surface vertices are off the FLAME surface.
  const bvh = new TriangleBvh(flameVertices, model.faces);
  const hit: ClosestHit = { distanceSq: Infinity, triangle: -1, x: NaN, y: NaN, z: NaN };
  const far = new Uint8Array(n);
  const bound = threshold * threshold;
  const hairInPhoto = options.hairInPhoto;
  if (hairInPhoto && hairInPhoto.length !== n) throw new RangeError(`extractHair: options.hairInPhoto has ${hairInPhoto.length} entries for ${n} surface vertices`);
  const shellBound = (options.faceShellDistance ?? 0.05) ** 2;
  // Per FLAME vertex: 1 face, 2 face feature (flags of the closest triangle's corners, all must agree).
  const region = new Uint8Array(model.vertexCount);
  for (const name of options.faceMasks ?? FACE_SHELL_MASKS) for (const v of model.masks[name] ?? []) region[v] = 1;
  for (const name of options.featureMasks ?? FACE_FEATURE_MASKS) for (const v of model.masks[name] ?? []) region[v] = 2;
  const F = model.faces;
  let faceShell = 0;
  for (let v = 0; v < n; v++) {
    bvh.closestPoint(P[3 * v]!, P[3 * v + 1]!, P[3 * v + 2]!, hit, bound);
    far[v] = hit.triangle < 0 ? 1 : 0;
    if (!far[v] || !hairInPhoto) continue;
    bvh.closestPoint(P[3 * v]!, P[3 * v + 1]!, P[3 * v + 2]!, hit, shellBound);
    const t = hit.triangle;
    if (t < 0) continue;
    const r = Math.min(region[F[3 * t]!]!, region[F[3 * t + 1]!]!, region[F[3 * t + 2]!]!);
    if (r === 2 || (r === 1 && !hairInPhoto[v])) { far[v] = 0; faceShell++; }
  }

  // 2. Hair faces, grouped into connected pieces (union-find over shared vertices).
  const parent = new Int32Array(n).fill(-1);
  const find = (v: number): number => {
    let r = v;
    while (parent[r]! !== r) r = parent[r]!;
    while (parent[v]! !== r) { const next = parent[v]!; parent[v] = r; v = next; }
    return r;
  };
  const unite = (a: number, b: number): void => { const ra = find(a), rb = find(b); if (ra !== rb) parent[ra] = rb; };
  const hairFace = new Uint8Array(m);
  for (let f = 0; f < m; f++) {
    const a = I[3 * f]!, b = I[3 * f + 1]!, c = I[3 * f + 2]!;
    if (!far[a] || !far[b] || !far[c]) continue;
    hairFace[f] = 1;
    if (parent[a]! < 0) parent[a] = a;
    if (parent[b]! < 0) parent[b] = b;
    if (parent[c]! < 0) parent[c] = c;
    unite(a, b); unite(a, c);
  }
  const size = new Int32Array(n);
  for (let f = 0; f < m; f++) if (hairFace[f]) size[find(I[3 * f]!)]!++;
  let components = 0, droppedComponents = 0;
  for (let v = 0; v < n; v++) {
    if (parent[v] !== v) continue;
    components++;
    if (size[v]! < minFaces) droppedComponents++;
  }

  // 3. Keep the large pieces; compact their vertices.
  const kept = new Uint32Array(3 * m);
  let keptLength = 0, droppedFaces = 0;
  for (let f = 0; f < m; f++) {
    if (!hairFace[f]) continue;
    if (size[find(I[3 * f]!)]! < minFaces) { droppedFaces++; continue; }
    kept[keptLength++] = I[3 * f]!; kept[keptLength++] = I[3 * f + 1]!; kept[keptLength++] = I[3 * f + 2]!;
  }
  const compact = compactWithSource(P, kept.subarray(0, keptLength));
  const mesh: HairMesh = { ...compact.mesh, source: compact.source };
  return {
    mesh,
    report: { faceShell, faces: keptLength / 3, vertices: mesh.source.length, components, droppedComponents, droppedFaces, ms: Math.round(performance.now() - t0) },
  };
}

// Scratch of hairSkinWeights' per-vertex barycentrics (module scope: the loop allocates nothing).
const _bary = new Float64Array(3);

/** Barycentric weights of point q (on or near triangle a, b, c of the flat array P) into _bary. */
function barycentric(P: ArrayLike<number>, a: number, b: number, c: number, qx: number, qy: number, qz: number): void {
  const ax = P[3 * a]!, ay = P[3 * a + 1]!, az = P[3 * a + 2]!;
  const e1x = P[3 * b]! - ax, e1y = P[3 * b + 1]! - ay, e1z = P[3 * b + 2]! - az;
  const e2x = P[3 * c]! - ax, e2y = P[3 * c + 1]! - ay, e2z = P[3 * c + 2]! - az;
  const px = qx - ax, py = qy - ay, pz = qz - az;
  const d11 = e1x * e1x + e1y * e1y + e1z * e1z, d12 = e1x * e2x + e1y * e2y + e1z * e2z, d22 = e2x * e2x + e2y * e2y + e2z * e2z;
  const q1 = px * e1x + py * e1y + pz * e1z, q2 = px * e2x + py * e2y + pz * e2z;
  const det = d11 * d22 - d12 * d12;
  let wb = 0, wc = 0;
  if (det > 1e-30 * (d11 * d22 + 1e-300)) {
    wb = Math.max(0, (d22 * q1 - d12 * q2) / det);
    wc = Math.max(0, (d11 * q2 - d12 * q1) / det);
    const s = wb + wc;
    if (s > 1) { wb /= s; wc /= s; }
  }
  // A degenerate triangle gives its first corner's weights: a defined answer.
  _bary[0] = 1 - wb - wc; _bary[1] = wb; _bary[2] = wc;
}

/**
 * Skin weights of hair vertices (n x jointCount, rows sum to 1, model.skinWeights' layout): the FLAME skin weights
 * interpolated at each vertex's closest point on the FLAME surface (`flameVertices`, same frame as `positions`),
 * eyeball triangles excluded. The closest point rather than a blend of the k nearest vertices: hair 1 cm off the
 * scalp has neck vertices among its nearest few; on the test head under a 0.4 rad neck turn the hair-to-head
 * distance changed by at most 0.9 mm with the closest point's weights, 1.3 mm with a 4-nearest blend.
 */
export function hairSkinWeights(model: HeadModel, flameVertices: Float32Array, positions: Float32Array): Float32Array {
  const J = model.joints.names.length;
  if (flameVertices.length !== 3 * model.vertexCount) throw new RangeError(`hairSkinWeights: flameVertices has ${flameVertices.length} values; model ${model.name} needs ${3 * model.vertexCount}`);
  const eyeball = new Uint8Array(model.vertexCount);
  for (const name of ['left_eyeball', 'right_eyeball']) for (const v of model.masks[name] ?? []) eyeball[v] = 1;
  if (model.eyeballs) {
    for (const [a, b] of [model.eyeballs.left, model.eyeballs.right]) for (let v = a; v < b; v++) eyeball[v] = 1;
  }
  const F = model.faces;
  const kept: number[] = [];
  for (let f = 0; f < F.length; f += 3) if (!eyeball[F[f]!] && !eyeball[F[f + 1]!] && !eyeball[F[f + 2]!]) kept.push(F[f]!, F[f + 1]!, F[f + 2]!);
  const faces = Uint32Array.from(kept);
  const bvh = new TriangleBvh(flameVertices, faces);
  const hit: ClosestHit = { distanceSq: Infinity, triangle: -1, x: NaN, y: NaN, z: NaN };
  const W = model.skinWeights;
  const n = positions.length / 3;
  const weights = new Float32Array(n * J);
  // Hair vertices come in surface order, so the previous vertex's closest point is near: its distance to this
  // vertex bounds the search from the start (a true bound, it lies on a kept triangle), which prunes most of the
  // BVH. Slack for rounding; unbounded again in the (unexpected) case it finds nothing.
  let px = NaN, py = NaN, pz = NaN;
  for (let i = 0; i < n; i++) {
    const x = positions[3 * i]!, y = positions[3 * i + 1]!, z = positions[3 * i + 2]!;
    const bound = i > 0 ? ((x - px) ** 2 + (y - py) ** 2 + (z - pz) ** 2) * (1 + 1e-6) + 1e-12 : Infinity;
    if (bvh.closestPoint(x, y, z, hit, bound).triangle < 0) bvh.closestPoint(x, y, z, hit);
    px = hit.x; py = hit.y; pz = hit.z;
    const a = faces[3 * hit.triangle]!, b = faces[3 * hit.triangle + 1]!, c = faces[3 * hit.triangle + 2]!;
    barycentric(flameVertices, a, b, c, hit.x, hit.y, hit.z);
    let sum = 0;
    for (let q = 0; q < J; q++) {
      const w = _bary[0]! * W[a * J + q]! + _bary[1]! * W[b * J + q]! + _bary[2]! * W[c * J + q]!;
      weights[i * J + q] = w;
      sum += w;
    }
    // Rows of model.skinWeights sum to 1, so does their convex blend; renormalise float rounding anyway.
    if (sum > 0) for (let q = 0; q < J; q++) weights[i * J + q] = weights[i * J + q]! / sum;
    else weights[i * J] = 1;
  }
  return weights;
}

/** How far simplifyHair decimates: fraction of triangles kept (default 0.25) and largest deviation (frame units). */
export interface SimplifyHairOptions {
  /** Default 0.25: hair 1 voxel thick at 128^3 keeps its silhouette; bind, colour and export scale with it. */
  ratio?: number;
  /**
   * Default 0.0015 frame units (~0.4 mm at 0.27 m per unit): a fifth of a 128^3 voxel, below what Taubin
   * smoothing already moves marching-cubes vertices.
   */
  maxError?: number;
}

/**
 * Hair with fewer triangles (meshoptimizer quadric decimation, open borders locked so the hairline stays where
 * extraction put it and no gap opens against the head). Marching cubes spends many triangles on smooth hair:
 * binding, colouring and export cost per vertex, and a quarter of them draw the same shape. `source` still maps
 * each vertex to the surface.
 */
export async function simplifyHair(hair: HairMesh, options: SimplifyHairOptions = {}): Promise<HairMesh> {
  if (hair.indices.length === 0) return hair;
  const { mesh, source } = await decimateMesh(hair, { ratio: options.ratio ?? 0.25, maxError: options.maxError ?? 0.0015, lockBorder: true });
  for (let i = 0; i < source.length; i++) source[i] = hair.source[source[i]!]!;
  return { ...mesh, source };
}

/** Hair bound to FLAME's skeleton: rest positions (unposed from the fitted pose) and skin weights. */
export interface SkinnedHair {
  /** n x 3 rest positions: the hair with the fitted pose's joint transforms undone. */
  rest: Float32Array;
  /** n x jointCount skin weights. */
  weights: Float32Array;
  jointCount: number;
}

/**
 * Binds a hair mesh: skin weights from the uniformized FLAME vertices, and rest positions from unposing the hair
 * with `fitTransforms` (skinning.ts skinningTransforms of the fit's params and placement, i.e. the pose the hair
 * was reconstructed in).
 */
export function bindHair(model: HeadModel, flameVertices: Float32Array, hair: HairMesh, fitTransforms: Float64Array): SkinnedHair {
  const jointCount = model.joints.names.length;
  const weights = hairSkinWeights(model, flameVertices, hair.positions);
  const rest = unskinPoints(hair.positions, weights, jointCount, fitTransforms);
  return { rest, weights, jointCount };
}

/** Posed hair positions for the joint transforms of another evaluation (skinningTransforms), into `out`. */
export function poseHair(hair: SkinnedHair, transforms: Float64Array, out = new Float32Array(hair.rest.length)): Float32Array {
  return skinPoints(hair.rest, hair.weights, hair.jointCount, transforms, out);
}
