/**
 * The true outer surface of a generated head (what a camera could see all round it): the skin of the closed head
 * mesh where no hair or body part covers it, plus the surface of the hair and body implicits where they stand
 * outside the skin. Used to score whole-head outputs (the FLAME-only head, the animatable SeIF head with its hair,
 * the raw SeIF surface) on the same footing: completeness, the mean distance from outer-surface samples to the
 * output, so hair that an output lacks counts against it.
 *
 * Only this direction: the animatable head keeps FLAME's scalp under its hair mesh, hidden geometry that an
 * output -> truth distance would count as error although nobody sees it, and an open hair shell has no inside to
 * tell hidden from visible.
 */
import { type ClosestHit, TriangleBvh } from '@seif/flame/geometry/bvh';
import type { PlacedImplicit } from './implicit.js';
import { Random } from './random.js';
import { windingNumbers } from './winding.js';

export interface TruthScene {
  closed: { positions: Float32Array; indices: Uint32Array };
  implicit: PlacedImplicit;
}

export interface ScoredMesh {
  positions: Float32Array;
  indices: Uint32Array;
}

/** Points beyond this |coordinate| lie on the crop box's caps, not on the person. */
const CAP = 0.49;
/** Newton steps onto the implicit's zero set, and the |sdf| a projected point must reach (frame units, ~0.03 mm). */
const NEWTON_STEPS = 12;
const ON_SURFACE = 1e-4;

// One hit record reused by every closest-point query here (the loops allocate nothing per point).
const _hit: ClosestHit = { distanceSq: Infinity, triangle: -1, x: NaN, y: NaN, z: NaN };

const inBox = (x: number, y: number, z: number): boolean => Math.abs(x) <= CAP && Math.abs(y) <= CAP && Math.abs(z) <= CAP;

/**
 * Newton steps along the central-difference gradient from (x, y, z) onto the implicit's zero set. Writes the point
 * into out[o..o+3) and returns true when it converged; false leaves out unspecified.
 */
function projectToImplicit(f: PlacedImplicit, x: number, y: number, z: number, out: Float32Array, o: number): boolean {
  const h = 1e-3;
  let d = f.sdf(x, y, z);
  for (let step = 0; step < NEWTON_STEPS && Math.abs(d) > ON_SURFACE; step++) {
    const gx = (f.sdf(x + h, y, z) - f.sdf(x - h, y, z)) / (2 * h);
    const gy = (f.sdf(x, y + h, z) - f.sdf(x, y - h, z)) / (2 * h);
    const gz = (f.sdf(x, y, z + h) - f.sdf(x, y, z - h)) / (2 * h);
    const g2 = gx * gx + gy * gy + gz * gz;
    if (!(g2 > 1e-12)) return false;
    x -= (d * gx) / g2; y -= (d * gy) / g2; z -= (d * gz) / g2;
    d = f.sdf(x, y, z);
  }
  out[o] = x; out[o + 1] = y; out[o + 2] = z;
  return Math.abs(d) <= ON_SURFACE;
}

/**
 * `count` seeds uniform in the crop box, each moved to the nearer of (a) its closest skin point, if no hair or body
 * part covers it, and (b) its projection onto the hair/body implicit, if that lies outside the skin. Uniform seeds
 * treat skin and hair alike (each surface gets the seeds nearest to it), so neither dominates the mean. Seeds with
 * neither point inside the box are dropped. Returns n x 3 (n <= count), deterministic in `seed`.
 */
export function outerSurfacePoints(scene: TruthScene, count = 4000, seed = 1): Float32Array {
  const rng = new Random(seed);
  const seeds = new Float32Array(3 * count);
  for (let i = 0; i < seeds.length; i++) seeds[i] = rng.uniform(-CAP, CAP);
  const onParts = new Float32Array(3 * count);
  const converged = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const o = 3 * i;
    converged[i] = projectToImplicit(scene.implicit, seeds[o]!, seeds[o + 1]!, seeds[o + 2]!, onParts, o) && inBox(onParts[o]!, onParts[o + 1]!, onParts[o + 2]!) ? 1 : 0;
  }
  const insideSkin = windingNumbers(scene.closed.positions, scene.closed.indices, onParts);
  const skin = new TriangleBvh(scene.closed.positions, scene.closed.indices);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const o = 3 * i;
    const x = seeds[o]!, y = seeds[o + 1]!, z = seeds[o + 2]!;
    let best = Infinity, bx = 0, by = 0, bz = 0;
    const hit = skin.closestPoint(x, y, z, _hit);
    if (inBox(hit.x, hit.y, hit.z) && scene.implicit.sdf(hit.x, hit.y, hit.z) >= 0) {
      best = hit.distanceSq; bx = hit.x; by = hit.y; bz = hit.z;
    }
    if (converged[i] && insideSkin[i]! < 0.5) {
      const px = onParts[o]!, py = onParts[o + 1]!, pz = onParts[o + 2]!;
      const dSq = (px - x) ** 2 + (py - y) ** 2 + (pz - z) ** 2;
      if (dSq < best) { best = dSq; bx = px; by = py; bz = pz; }
    }
    if (best < Infinity) out.push(bx, by, bz);
  }
  return Float32Array.from(out);
}

/** Mean distance from each of `points` to the nearest of `meshes`. */
export function outerCompleteness(points: Float32Array, meshes: readonly ScoredMesh[]): number {
  const trees = meshes.filter((m) => m.indices.length > 0).map((m) => new TriangleBvh(m.positions, m.indices));
  let sum = 0;
  const n = points.length / 3;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (const tree of trees) best = Math.min(best, tree.closestPoint(points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!, _hit, best).distanceSq);
    sum += Math.sqrt(best);
  }
  return sum / Math.max(1, n);
}
