/**
 * Shared fixtures of uniformize.test.ts and hair.test.ts: a synthetic scene (synth/sample.ts) and a
 * "reconstructed" surface made from its ground-truth watertight head the way marching cubes would deliver it:
 * denser than FLAME (midpoint subdivision) with vertices that do not sit on FLAME's vertices (a random slide,
 * projected back onto the surface), and a perfect network's refined codes (the semantic field of the GT FLAME).
 */
import type { HeadModel } from '@seif/flame';
import { type ClosestHit, TriangleBvh } from '@seif/flame/geometry/bvh';
import { semanticFieldForHead } from '../src/semantic/semantic-field.js';
import { type SynthSample, generateSample } from '../src/synth/sample.js';
import type { ReconstructedSurface } from '../src/uniform/uniformize.js';

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-300)) * Math.cos(2 * Math.PI * random());
}

/** A small sample with its scene (64 px, 200 points: the scene is what these tests use). */
export async function sceneSample(model: HeadModel, seed: number, index: number): Promise<SynthSample & { scene: NonNullable<SynthSample['scene']> }> {
  const sample = await generateSample(model, seed, index, { size: 64, points: 200, keepScene: true });
  if (!sample.scene) throw new Error('generateSample returned no scene');
  return sample as SynthSample & { scene: NonNullable<SynthSample['scene']> };
}

/** One level of midpoint subdivision (each triangle into four). */
export function subdivide(positions: Float32Array, indices: Uint32Array): { positions: Float32Array; indices: Uint32Array } {
  const n = positions.length / 3;
  const m = indices.length / 3;
  const mid = new Map<number, number>();
  const out: number[] = Array.from(positions);
  const faces = new Uint32Array(12 * m);
  const midpoint = (a: number, b: number): number => {
    const key = a < b ? a * n + b : b * n + a;
    let v = mid.get(key);
    if (v === undefined) {
      v = out.length / 3;
      for (let k = 0; k < 3; k++) out.push(0.5 * (positions[3 * a + k]! + positions[3 * b + k]!));
      mid.set(key, v);
    }
    return v;
  };
  for (let f = 0; f < m; f++) {
    const a = indices[3 * f]!, b = indices[3 * f + 1]!, c = indices[3 * f + 2]!;
    const ab = midpoint(a, b), bc = midpoint(b, c), ca = midpoint(c, a);
    faces.set([a, ab, ca, ab, b, bc, ca, bc, c, ab, bc, ca], 12 * f);
  }
  return { positions: Float32Array.from(out), indices: faces };
}

/** Slides every vertex by a random offset (sigma, frame units) and projects it back onto the mesh itself. */
export function slideOnSurface(mesh: { positions: Float32Array; indices: Uint32Array }, sigma: number, random: () => number): Float32Array {
  const bvh = new TriangleBvh(mesh.positions, mesh.indices);
  const hit: ClosestHit = { distanceSq: Infinity, triangle: -1, x: NaN, y: NaN, z: NaN };
  const out = new Float32Array(mesh.positions.length);
  for (let i = 0; i < out.length; i += 3) {
    bvh.closestPoint(mesh.positions[i]! + sigma * gaussian(random), mesh.positions[i + 1]! + sigma * gaussian(random), mesh.positions[i + 2]! + sigma * gaussian(random), hit);
    out[i] = hit.x; out[i + 1] = hit.y; out[i + 2] = hit.z;
  }
  return out;
}

/**
 * The reconstruction a perfect network would give for `sample`: its GT closed head, subdivided `levels` times,
 * vertices slid by ~0.3 mm, codes from the GT FLAME part's semantic field.
 */
export function perfectSurface(model: HeadModel, sample: SynthSample & { scene: NonNullable<SynthSample['scene']> }, levels = 1, seed = 7): ReconstructedSurface {
  let mesh = sample.scene.closed;
  for (let l = 0; l < levels; l++) mesh = subdivide(mesh.positions, mesh.indices);
  const frameScale = sample.meta.frameScale as number;
  const positions = slideOnSurface(mesh, 0.0003 * frameScale, rng(seed));
  const codes = semanticFieldForHead(model, sample.scene.gtFlame).query(positions);
  return { positions, indices: mesh.indices, codes };
}

/** Adds a smooth, head-sized offset field (amplitude in frame units) to every vertex: a plausible fit error. */
export function smoothOffset(vertices: Float32Array, amplitude: number): Float32Array {
  const out = new Float32Array(vertices.length);
  for (let i = 0; i < vertices.length; i += 3) {
    const x = vertices[i]!, y = vertices[i + 1]!, z = vertices[i + 2]!;
    out[i] = x + amplitude * (0.6 + 0.4 * Math.sin(9 * y + 1));
    out[i + 1] = y + amplitude * Math.cos(7 * x + 8 * z);
    out[i + 2] = z + amplitude * (-0.5 + Math.sin(8 * x + 6 * y + 2));
  }
  return out;
}

/** Mean and max distance (mm) between corresponding vertices over `subset`. */
export function vertexError(a: Float32Array, b: Float32Array, subset: ArrayLike<number>, frameScale: number): { mean: number; max: number } {
  let sum = 0, max = 0;
  for (let j = 0; j < subset.length; j++) {
    const v = 3 * subset[j]!;
    const d = Math.hypot(a[v]! - b[v]!, a[v + 1]! - b[v + 1]!, a[v + 2]! - b[v + 2]!);
    sum += d;
    if (d > max) max = d;
  }
  return { mean: (1000 * sum) / subset.length / frameScale, max: (1000 * max) / frameScale };
}

/** Triangles (among `faces` touching `subset`) whose normal turned by more than 90 degrees from a to b. */
export function flippedTriangles(a: Float32Array, b: Float32Array, faces: Uint32Array, subset: ArrayLike<number>): { flipped: number; checked: number } {
  const inSet = new Set(Array.from(subset));
  let flipped = 0, checked = 0;
  const normal = (P: Float32Array, f: number): [number, number, number] => {
    const i = 3 * faces[f]!, j = 3 * faces[f + 1]!, k = 3 * faces[f + 2]!;
    const ux = P[j]! - P[i]!, uy = P[j + 1]! - P[i + 1]!, uz = P[j + 2]! - P[i + 2]!;
    const vx = P[k]! - P[i]!, vy = P[k + 1]! - P[i + 1]!, vz = P[k + 2]! - P[i + 2]!;
    return [uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx];
  };
  for (let f = 0; f < faces.length; f += 3) {
    if (!inSet.has(faces[f]!) && !inSet.has(faces[f + 1]!) && !inSet.has(faces[f + 2]!)) continue;
    checked++;
    const na = normal(a, f), nb = normal(b, f);
    if (na[0] * nb[0] + na[1] * nb[1] + na[2] * nb[2] <= 0) flipped++;
  }
  return { flipped, checked };
}
