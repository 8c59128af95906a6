/** Seeded random numbers for the synthetic data generator: every sample is reproducible from (seed, index). */

/** splitmix32-style generator: a uniform in [0, 1) per call. */
export class Random {
  #state: number;
  #spare: number | undefined;

  constructor(seed: number) {
    this.#state = (seed >>> 0) ^ 0x9e3779b9;
  }

  /** A generator for sub-stream `index` of `seed` (e.g. sample i of a run). */
  static stream(seed: number, index: number): Random {
    return new Random(hash32(seed, index));
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(a: number, b: number): number {
    return a + (b - a) * this.next();
  }

  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.next() * n));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller, the second value kept for the next call). */
  normal(): number {
    if (this.#spare !== undefined) {
      const s = this.#spare;
      this.#spare = undefined;
      return s;
    }
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Index drawn with probability proportional to `weights`. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let u = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i]!;
      if (u < 0) return i;
    }
    return weights.length - 1;
  }
}

export function hash32(a: number, b: number): number {
  let h = Math.imul((a >>> 0) ^ 0x85ebca6b, 0xc2b2ae35) ^ Math.imul((b >>> 0) + 0x27d4eb2f, 0x165667b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Smooth 3D value noise in [-1, 1] (trilinear with smoothstep over a hashed lattice), deterministic per seed. */
export function valueNoise3(x: number, y: number, z: number, seed: number): number {
  const xi = Math.floor(x), yi = Math.floor(y), zi = Math.floor(z);
  const fx = x - xi, fy = y - yi, fz = z - zi;
  const sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy), sz = fz * fz * (3 - 2 * fz);
  const h = (i: number, j: number, k: number) => hash32(hash32(seed, i * 73856093 ^ j * 19349663), k * 83492791) / 2147483648 - 1;
  const c00 = h(xi, yi, zi) + sx * (h(xi + 1, yi, zi) - h(xi, yi, zi));
  const c10 = h(xi, yi + 1, zi) + sx * (h(xi + 1, yi + 1, zi) - h(xi, yi + 1, zi));
  const c01 = h(xi, yi, zi + 1) + sx * (h(xi + 1, yi, zi + 1) - h(xi, yi, zi + 1));
  const c11 = h(xi, yi + 1, zi + 1) + sx * (h(xi + 1, yi + 1, zi + 1) - h(xi, yi + 1, zi + 1));
  const c0 = c00 + sy * (c10 - c00);
  const c1 = c01 + sy * (c11 - c01);
  return c0 + sz * (c1 - c0);
}
