/** Test helpers: deterministic random numbers and a synthetic head-like mesh with 68 landmark vertices. */
import { uvSphere } from '@seif/core';
import type { TriMesh } from '../src/set.js';
import type { Similarity } from '../src/transform.js';

/** mulberry32, so failures reproduce. */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomRotation(rand: () => number): Float64Array {
  // Uniform random unit quaternion (Shoemake).
  const u1 = rand(), u2 = rand(), u3 = rand();
  const a = Math.sqrt(1 - u1), b = Math.sqrt(u1);
  const [w, x, y, z] = [a * Math.sin(2 * Math.PI * u2), a * Math.cos(2 * Math.PI * u2), b * Math.sin(2 * Math.PI * u3), b * Math.cos(2 * Math.PI * u3)];
  return new Float64Array([
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  ]);
}

export function randomSimilarity(rand: () => number): Similarity {
  return {
    scale: 0.5 + 2 * rand(),
    rotation: randomRotation(rand),
    translation: new Float64Array([200 * rand() - 100, 200 * rand() - 100, 200 * rand() - 100]),
  };
}

/**
 * An egg-shaped head (mm) with a nose bump toward +z and a brow ridge, so no rotation maps it onto itself; 68
 * "landmarks" are vertices on the front half, iBUG 30 the nose tip.
 */
export function syntheticHead(seed = 1): { mesh: TriMesh; landmarks: Float64Array } {
  const sphere = uvSphere(1, 48, 96);
  const p = Float64Array.from(sphere.positions);
  for (let i = 0; i < p.length; i += 3) {
    const x = p[i]!, y = p[i + 1]!, z = p[i + 2]!;
    const nose = Math.exp(-((x * x) / 0.02 + ((y + 0.1) ** 2) / 0.05)) * Math.max(z, 0);
    const brow = Math.exp(-(((y - 0.3) ** 2) / 0.01)) * Math.max(z, 0) * (1 + 0.5 * x);
    const r = 1 + 0.35 * nose + 0.08 * brow;
    p[i] = 75 * r * x;
    p[i + 1] = 100 * r * y + 10 * x * x;
    p[i + 2] = 90 * r * z;
  }
  const n = p.length / 3;
  const rand = random(seed);
  const landmarks = new Float64Array(3 * 68);
  let tip = 0;
  for (let i = 0; i < n; i++) if (p[3 * i + 2]! > p[3 * tip + 2]!) tip = i;
  for (let l = 0; l < 68; l++) {
    let v = tip;
    if (l !== 30) {
      do v = Math.floor(rand() * n);
      while (p[3 * v + 2]! < 30);
    }
    landmarks.set(p.subarray(3 * v, 3 * v + 3), 3 * l);
  }
  return { mesh: { positions: p, indices: sphere.indices }, landmarks };
}
