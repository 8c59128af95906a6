import { evaluate, loadDefaultHeadModel } from '@seif/flame';
import { closestPointOnTriangle } from '@seif/flame/geometry/bvh';
import { describe, expect, it } from 'vitest';
import { uvSphere } from '../src/render/mesh.js';
import {
  SEMANTIC_CUTOFF, SEMANTIC_SIGMA_SQ, SemanticField, type SemanticSurface, regionWeights, semanticFieldForHead, templateBounds,
} from '../src/semantic/semantic-field.js';
import { semanticWorkerPool } from '../src/semantic/worker-pool.js';
import { rng } from './uniform-fixtures.js';

/**
 * Brute force: every triangle, barycentrics from sub-triangle areas (a different formula from the field's Gram
 * solve), no cutoff pruning. Returns codes and the winning triangle and distance per point, and the gap to the
 * next closest triangle (0 when two triangles are equally close: a tie, where either answer is right).
 */
function bruteForce(surface: SemanticSurface, points: Float32Array, sigmaSq = SEMANTIC_SIGMA_SQ, cutoff = SEMANTIC_CUTOFF) {
  const P = surface.positions, I = surface.indices, T = surface.template;
  const b = surface.bounds ?? templateBounds(T);
  const k = points.length / 3;
  const codes = new Float32Array(3 * k);
  const tri = new Int32Array(k);
  const dist = new Float64Array(k);
  const gap = new Float64Array(k);
  const q = new Float64Array(3);
  const m = I.length / 3;
  for (let i = 0; i < k; i++) {
    const x = points[3 * i]!, y = points[3 * i + 1]!, z = points[3 * i + 2]!;
    let best = Infinity, second = Infinity, bestF = -1, px = 0, py = 0, pz = 0;
    for (let f = 0; f < m; f++) {
      const a = 3 * I[3 * f]!, bb = 3 * I[3 * f + 1]!, c = 3 * I[3 * f + 2]!;
      const d = closestPointOnTriangle(x, y, z, P[a]!, P[a + 1]!, P[a + 2]!, P[bb]!, P[bb + 1]!, P[bb + 2]!, P[c]!, P[c + 1]!, P[c + 2]!, q);
      if (d < best) { second = best; best = d; bestF = f; px = q[0]!; py = q[1]!; pz = q[2]!; } else if (d < second) second = d;
    }
    tri[i] = bestF;
    dist[i] = Math.sqrt(best);
    gap[i] = Math.sqrt(second) - Math.sqrt(best);
    if (Math.sqrt(best) >= cutoff) continue;
    const v = [I[3 * bestF]!, I[3 * bestF + 1]!, I[3 * bestF + 2]!];
    const area = (o: number[], p1: number[], p2: number[]) => {
      const ux = p1[0]! - o[0]!, uy = p1[1]! - o[1]!, uz = p1[2]! - o[2]!;
      const wx = p2[0]! - o[0]!, wy = p2[1]! - o[1]!, wz = p2[2]! - o[2]!;
      return Math.hypot(uy * wz - uz * wy, uz * wx - ux * wz, ux * wy - uy * wx);
    };
    const pt = (j: number) => [P[3 * j]!, P[3 * j + 1]!, P[3 * j + 2]!];
    const p = [px, py, pz];
    const A = area(pt(v[0]!), pt(v[1]!), pt(v[2]!));
    let w = [area(p, pt(v[1]!), pt(v[2]!)) / A, area(pt(v[0]!), p, pt(v[2]!)) / A, area(pt(v[0]!), pt(v[1]!), p) / A];
    if (!(A > 1e-12)) {
      // Degenerate triangle: the field's documented answer is the nearest corner.
      const d = v.map((j) => Math.hypot(P[3 * j]! - px, P[3 * j + 1]! - py, P[3 * j + 2]! - pz));
      const nearest = d[0]! <= d[1]! && d[0]! <= d[2]! ? 0 : d[1]! <= d[2]! ? 1 : 2;
      w = [0, 0, 0];
      w[nearest] = 1;
    }
    let region = 0;
    const t = [0, 0, 0];
    for (let j = 0; j < 3; j++) {
      region += w[j]! * (surface.region ? surface.region[v[j]!]! : 1);
      for (let kk = 0; kk < 3; kk++) t[kk] = t[kk]! + w[j]! * Math.min(1, Math.max(0, (T[3 * v[j]! + kk]! - b.min[kk]!) / (b.max[kk]! - b.min[kk]!)));
    }
    const fade = region * Math.exp(-best / sigmaSq);
    for (let kk = 0; kk < 3; kk++) codes[3 * i + kk] = fade * t[kk]!;
  }
  return { codes, tri, dist, gap };
}

/**
 * Codes and distances (the field's `distance` output) that a field gave for some points, against
 * `ref = bruteForce(surface, points)`.
 */
function againstBruteForce(ref: ReturnType<typeof bruteForce>, codes: Float32Array, distance: Float32Array) {
  let maxErr = 0, maxDistErr = 0, ties = 0;
  for (let i = 0; i < ref.dist.length; i++) {
    if (ref.dist[i]! < SEMANTIC_CUTOFF) maxDistErr = Math.max(maxDistErr, Math.abs(distance[i]! - ref.dist[i]!));
    else expect(distance[i]).toBe(Infinity);
    let err = 0;
    for (let k = 0; k < 3; k++) err = Math.max(err, Math.abs(codes[3 * i + k]! - ref.codes[3 * i + k]!));
    // Exact ties (two triangles at the same distance, e.g. across a fold) may legitimately pick different points.
    if (err > 1e-5 && Math.abs(distance[i]! - ref.dist[i]!) < 1e-7 && ref.gap[i]! < 1e-7) { ties++; continue; }
    maxErr = Math.max(maxErr, err);
  }
  return { maxErr, maxDistErr, ties };
}

function compare(field: SemanticField, surface: SemanticSurface, points: Float32Array) {
  const codes = field.query(points);
  const distance = new Float32Array(points.length / 3);
  field.query(points, new Float32Array(points.length), distance);
  return { codes, ...againstBruteForce(bruteForce(surface, points), codes, distance) };
}

describe('SemanticField', () => {
  it('matches brute force on a sphere with a random template and a half region', () => {
    const r = rng(1);
    const sphere = uvSphere(0.3, 12, 16, [0.02, -0.01, 0.03]);
    const n = sphere.positions.length / 3;
    const template = new Float32Array(3 * n);
    for (let i = 0; i < 3 * n; i++) template[i] = sphere.positions[i]! * 0.5 + 0.01 * (r() - 0.5);
    const region = new Float32Array(n);
    for (let v = 0; v < n; v++) region[v] = sphere.positions[3 * v + 2]! > 0 ? 1 : 0;
    const surface: SemanticSurface = { positions: sphere.positions, indices: sphere.indices, template, region };
    const field = new SemanticField(surface);
    const points = new Float32Array(3 * 600);
    for (let i = 0; i < 600; i++) {
      // Half near the surface (within ~2 sigma), half anywhere in the box.
      const near = i % 2 === 0;
      const dir = [r() - 0.5, r() - 0.5, r() - 0.5];
      const len = Math.hypot(dir[0]!, dir[1]!, dir[2]!);
      const rad = 0.3 + (r() - 0.5) * 0.2;
      for (let k = 0; k < 3; k++) points[3 * i + k] = near ? [0.02, -0.01, 0.03][k]! + (rad * dir[k]!) / len : r() - 0.5;
    }
    const { codes, maxErr, maxDistErr, ties } = compare(field, surface, points);
    expect(maxErr).toBeLessThan(1e-5);
    expect(maxDistErr).toBeLessThan(1e-6);
    expect(ties).toBeLessThan(6);
    for (const c of codes) expect(c >= 0 && c <= 1).toBe(true);
    // Region: points nearest the back half (z < 0, far from the border) get 0.
    const back = field.query(new Float32Array([0.02, -0.01, 0.03 - 0.31]));
    expect(Array.from(back)).toEqual([0, 0, 0]);
    // On the front surface the code is the normalised template coordinate (fade 1).
    const front = field.query(new Float32Array([0.02, -0.01, 0.33]));
    expect(front[2]).toBeGreaterThan(0.9);
  });

  it('matches brute force on a random triangle soup, including degenerate triangles', () => {
    const r = rng(7);
    const n = 60;
    const positions = new Float32Array(3 * n);
    for (let i = 0; i < 3 * n; i++) positions[i] = (r() - 0.5) * 0.6;
    const indices: number[] = [];
    for (let f = 0; f < 80; f++) indices.push(Math.floor(r() * n), Math.floor(r() * n), Math.floor(r() * n));
    indices.push(0, 0, 1, 2, 2, 2); // a segment and a point
    const template = positions.map((v) => v * 2 + 0.1);
    const surface: SemanticSurface = { positions, indices: Uint32Array.from(indices), template };
    const points = new Float32Array(3 * 400);
    for (let i = 0; i < points.length; i++) points[i] = r() - 0.5;
    const { codes, maxErr, ties } = compare(new SemanticField(surface), surface, points);
    expect(maxErr).toBeLessThan(1e-5);
    expect(ties).toBeLessThan(8);
    for (const c of codes) expect(Number.isFinite(c) && c >= 0 && c <= 1).toBe(true);
  });

  it('fades with exp(-d^2/0.0025) and is 0 beyond the cutoff', () => {
    const positions = new Float32Array([-1, -1, 0, 1, -1, 0, 0, 1, 0]);
    const template = new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 1]);
    const field = new SemanticField({ positions, indices: new Uint32Array([0, 1, 2]), template });
    const at = (z: number) => field.query(new Float32Array([0, 0, z]));
    const c0 = at(0);
    for (const d of [0.02, 0.05, 0.1]) {
      const c = at(d);
      for (let k = 0; k < 3; k++) expect(c[k]).toBeCloseTo(c0[k]! * Math.exp(-(d * d) / 0.0025), 6);
    }
    expect(Array.from(at(SEMANTIC_CUTOFF + 0.01))).toEqual([0, 0, 0]);
  });

  it('on the default head model: matches brute force, face/ears only, and reports points/s', async () => {
    const model = await loadDefaultHeadModel();
    // Place the template in the SeIF frame: head height ~0.88 of the crop.
    const b = templateBounds(model.template);
    const s = 0.88 / (b.max[1] - b.min[1]);
    const cy = (b.max[1] + b.min[1]) / 2;
    const vertices = new Float32Array(model.template.length);
    for (let v = 0; v < model.vertexCount; v++) {
      vertices[3 * v] = s * model.template[3 * v]!;
      vertices[3 * v + 1] = s * (model.template[3 * v + 1]! - cy);
      vertices[3 * v + 2] = s * model.template[3 * v + 2]!;
    }
    const field = semanticFieldForHead(model, vertices);
    const surface: SemanticSurface = { positions: vertices, indices: model.faces, template: model.template, region: regionWeights(model) };
    const r = rng(3);
    const check = new Float32Array(3 * 300);
    for (let i = 0; i < 300; i++) {
      const v = Math.floor(r() * model.vertexCount);
      for (let k = 0; k < 3; k++) check[3 * i + k] = vertices[3 * v + k]! + (r() - 0.5) * 0.1;
    }
    const { maxErr, ties } = compare(field, surface, check);
    expect(maxErr).toBeLessThan(1e-5);
    expect(ties).toBeLessThan(10);
    // A point just off the back of the scalp (no face/ear mask there) has code 0.
    let back = 0;
    for (let v = 1; v < model.vertexCount; v++) if (vertices[3 * v + 2]! < vertices[3 * back + 2]!) back = v;
    const behind = field.query(new Float32Array([vertices[3 * back]!, vertices[3 * back + 1]!, vertices[3 * back + 2]! - 0.01]));
    expect(Array.from(behind)).toEqual([0, 0, 0]);

    // Throughput: near-surface points (occupancy samples) and a uniform grid-like set over the box.
    const N = 50_000;
    const near = new Float32Array(3 * N);
    const box = new Float32Array(3 * N);
    for (let i = 0; i < N; i++) {
      const v = Math.floor(r() * model.vertexCount);
      for (let k = 0; k < 3; k++) {
        near[3 * i + k] = vertices[3 * v + k]! + (r() - 0.5) * 0.06;
        box[3 * i + k] = r() - 0.5;
      }
    }
    const out = new Float32Array(3 * N);
    field.query(near.subarray(0, 3000), out); // warm-up
    let t = performance.now();
    field.query(near, out);
    const nearRate = N / ((performance.now() - t) / 1000);
    t = performance.now();
    field.query(box, out);
    const boxRate = N / ((performance.now() - t) / 1000);
    // Grid order (how the coarse-to-fine occupancy stage queries): a 40^3 grid over the box.
    const G = 40;
    const grid = new Float32Array(3 * G * G * G);
    for (let i = 0, a = 0; a < G; a++) for (let bb = 0; bb < G; bb++) for (let c = 0; c < G; c++, i++) {
      grid[3 * i] = (c + 0.5) / G - 0.5; grid[3 * i + 1] = (bb + 0.5) / G - 0.5; grid[3 * i + 2] = (a + 0.5) / G - 0.5;
    }
    const gridOut = new Float32Array(grid.length);
    t = performance.now();
    field.query(grid, gridOut);
    const gridRate = G ** 3 / ((performance.now() - t) / 1000);
    const gridRef = bruteForce(surface, grid.subarray(0, 3 * 4000));
    for (let i = 0; i < 3 * 4000; i++) expect(Math.abs(gridOut[i]! - gridRef.codes[i]!)).toBeLessThan(1e-5);
    const fmt = (x: number) => Math.round(x).toLocaleString('en');
    console.log(`semantic field, ${model.faces.length / 3} triangles: ${fmt(nearRate)} points/s near the surface (random order), ${fmt(boxRate)} points/s uniform in the box (random order), ${fmt(gridRate)} points/s on a ${G}^3 grid (grid order)`);
    expect(nearRate).toBeGreaterThan(5_000);
  });

  it('rejects inconsistent inputs with a message', () => {
    expect(() => new SemanticField({ positions: new Float32Array(9), indices: new Uint32Array([0, 1, 2]), template: new Float32Array(6) })).toThrow(/template/);
  });
});

describe('SemanticField fast path (voxel cache, block order, workers)', () => {
  // The default head in the SeIF frame as the stage sees it: neutral FLAME, model metres x 3.5.
  async function head() {
    const model = await loadDefaultHeadModel();
    const vertices = evaluate(model, {});
    for (let i = 0; i < vertices.length; i++) vertices[i] = vertices[i]! * 3.5;
    const surface: SemanticSurface = { positions: vertices, indices: model.faces, template: model.template, region: regionWeights(model), bounds: templateBounds(model.template) };
    return { model, vertices, surface };
  }

  /** Point sets the field sees: uniform in the box (random order), grid order in 8^3 bricks, near the surface. */
  function pointSets(vertices: Float32Array, vertexCount: number) {
    const r = rng(5);
    const box = new Float32Array(3 * 10_000);
    for (let i = 0; i < box.length; i++) box[i] = r() - 0.5;
    // Bricks of a 256^3 grid around random vertices, brick by brick (evaluateOccupancyGrid's order).
    const grid = new Float32Array(3 * 40 * 512);
    for (let b = 0, n = 0; b < 40; b++) {
      const v = Math.floor(r() * vertexCount);
      const i0 = Math.floor((vertices[3 * v]! + 0.5) * 32) * 8, j0 = Math.floor((vertices[3 * v + 1]! + 0.5) * 32) * 8, k0 = Math.floor((vertices[3 * v + 2]! + 0.5) * 32) * 8;
      for (let o = 0; o < 512; o++, n++) {
        grid[3 * n] = (i0 + (o & 7)) / 256 - 0.5;
        grid[3 * n + 1] = (j0 + ((o >> 3) & 7)) / 256 - 0.5;
        grid[3 * n + 2] = (k0 + (o >> 6)) / 256 - 0.5;
      }
    }
    const near = new Float32Array(3 * 15_000);
    for (let i = 0; i < 15_000; i++) {
      const v = Math.floor(r() * vertexCount);
      // Within +-0.03 of a vertex, a few exactly on vertices (ties between all triangles around them).
      for (let k = 0; k < 3; k++) near[3 * i + k] = vertices[3 * v + k]! + (i % 97 === 0 ? 0 : (r() - 0.5) * 0.06);
    }
    return { box, grid, near };
  }

  const maxDiff = (a: Float32Array, b: Float32Array) => {
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
    return m;
  };

  it('fresh, shared, repeated, small-batch and distance-output queries agree (|diff| <= 1e-6) and match brute force (1e-5) on random, grid and near-surface points', async () => {
    const { model, vertices, surface } = await head();
    const sets = pointSets(vertices, model.vertexCount);
    // Brute force is O(points x triangles) (~10k triangles here): it checks every STRIDE-th point of each set.
    const STRIDE = 15;
    const subsample = (a: Float32Array, width: number) => {
      const count = Math.ceil(a.length / width / STRIDE);
      const out = new Float32Array(width * count);
      for (let j = 0; j < count; j++) out.set(a.subarray(width * j * STRIDE, width * (j * STRIDE + 1)), width * j);
      return out;
    };
    // One field across the sets (caches built by one set serve the next), and a fresh one per set.
    const shared = new SemanticField(surface);
    for (const [name, points] of Object.entries(sets)) {
      const fresh = new SemanticField(surface).query(points);
      const reused = shared.query(points);
      const again = shared.query(points); // every voxel list built now: the scan path for all
      const small = new Float32Array(points.length);
      for (let s = 0; s < points.length; s += 3 * 50) shared.query(points.subarray(s, s + 3 * 50), small.subarray(s, s + 3 * 50)); // unsorted
      const distance = new Float32Array(points.length / 3);
      const withDistance = new SemanticField(surface).query(points, new Float32Array(points.length), distance);
      for (const got of [reused, again, small, withDistance]) expect(maxDiff(got, fresh), name).toBeLessThanOrEqual(1e-6);
      let nonZero = 0;
      for (const c of fresh) if (c !== 0) nonZero++;
      expect(nonZero, `${name}: the set exercises non-zero codes`).toBeGreaterThan(points.length / 20);

      const ref = bruteForce(surface, subsample(points, 3));
      let refNonZero = 0;
      for (const c of ref.codes) if (c !== 0) refNonZero++;
      expect(refNonZero, `${name}: the subsample exercises non-zero codes`).toBeGreaterThan(ref.codes.length / 20);
      const sampledDistance = subsample(distance, 1);
      for (const [path, got] of Object.entries({ fresh, reused, again, small, withDistance })) {
        const { maxErr, maxDistErr, ties } = againstBruteForce(ref, subsample(got, 3), sampledDistance);
        expect(maxErr, `${name}, ${path}: codes against brute force`).toBeLessThan(1e-5);
        expect(maxDistErr, `${name}, ${path}: distances against brute force`).toBeLessThan(1e-6);
        expect(ties, `${name}, ${path}: exact ties`).toBeLessThan(5);
      }
    }
    // NaN and far points: code 0, as before.
    expect(Array.from(shared.query(new Float32Array([NaN, 0, 0, 5, 5, 5, 0, NaN, 0.1])))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('is all zeros without a region, and matches brute force with negative region weights', () => {
    const sphere = uvSphere(0.3, 10, 14, [0, 0, 0]);
    const n = sphere.positions.length / 3;
    const r = rng(9);
    const points = new Float32Array(3 * 2000);
    for (let i = 0; i < points.length; i++) points[i] = (r() - 0.5) * 0.9;
    const none = new SemanticField({ positions: sphere.positions, indices: sphere.indices, template: sphere.positions, region: new Float32Array(n) });
    expect(none.query(points).every((c) => c === 0)).toBe(true);
    // Weights outside [0,1] are the caller's business, but "no region" must mean weight exactly 0.
    const region = new Float32Array(n);
    for (let v = 0; v < n; v++) region[v] = sphere.positions[3 * v]! > 0.1 ? -0.5 : 0;
    const surface: SemanticSurface = { positions: sphere.positions, indices: sphere.indices, template: sphere.positions, region };
    const { maxErr, ties } = compare(new SemanticField(surface), surface, points);
    expect(maxErr).toBeLessThan(1e-5);
    expect(ties).toBeLessThan(4);
  });

  it('gives exactly 0 on the region border edge, whichever of the two triangles there a search returns', () => {
    // A ridge along x (corners 0, 1) sloping down on both sides; only the far corner of the first triangle carries
    // the region. Points straight above the ridge are closest to the edge itself on both triangles: the answer is 0
    // either way (the edge's weight), not the rounding residue the region side's barycentrics leave (~1e-16; the
    // ridge is turned and moved off the axes so that they round). Such a residue made the same photo give different
    // codes depending on which path (voxel cache, BVH, worker) answered.
    const r = rng(21);
    const [a, b, c] = [0.7, -0.4, 1.1];
    const turn = (x: number, y: number, z: number): [number, number, number] => {
      const y1 = Math.cos(a) * y - Math.sin(a) * z, z1 = Math.sin(a) * y + Math.cos(a) * z;
      const x2 = Math.cos(b) * x + Math.sin(b) * z1, z2 = -Math.sin(b) * x + Math.cos(b) * z1;
      const x3 = Math.cos(c) * x2 - Math.sin(c) * y1, y3 = Math.sin(c) * x2 + Math.cos(c) * y1;
      return [0.0131 + x3, -0.0217 + y3, 0.0073 + z2];
    };
    const positions = new Float32Array([...turn(0, 0, 0), ...turn(0.2, 0, 0), ...turn(0.1, -0.15, -0.05), ...turn(0.1, 0.15, -0.05)]);
    const surface: SemanticSurface = {
      positions, indices: new Uint32Array([0, 1, 2, 1, 0, 3]), template: positions.map((v) => v + 0.5),
      region: new Float32Array([0, 0, 1, 0]),
    };
    const points = new Float32Array(3 * 500);
    for (let i = 0; i < 500; i++) points.set(turn(0.01 + 0.18 * r(), 0, 0.001 + 0.02 * r()), 3 * i);
    const field = new SemanticField(surface);
    const viaCache = field.query(points), again = field.query(points);
    const viaBvh = new SemanticField(surface).query(points, new Float32Array(points.length), new Float32Array(500));
    let nonZero = 0;
    for (const codes of [viaCache, again, viaBvh]) for (const c of codes) if (c !== 0) nonZero++;
    expect(nonZero).toBe(0);
  });

  it('queryAsync gives the same codes as query, with worker threads helping once they are up', async () => {
    const { model, vertices, surface } = await head();
    const field = new SemanticField(surface);
    const { grid, near } = pointSets(vertices, model.vertexCount);
    const batch = new Float32Array(grid.length + near.length);
    batch.set(grid);
    batch.set(near, grid.length);
    // The synchronous path, itself checked against brute force above.
    const expected = new SemanticField(surface).query(batch);
    const pool = semanticWorkerPool();
    // The first batches run here while the workers start (they compile the TypeScript module graph).
    const deadline = Date.now() + 30_000;
    for (;;) {
      expect(maxDiff(await field.queryAsync(batch), expected)).toBeLessThanOrEqual(1e-6);
      if (pool.readyWorkers(field.poolId) === pool.size || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (pool.size > 0) expect(pool.readyWorkers(field.poolId)).toBe(pool.size);
    const out = new Float32Array(batch.length);
    expect(await field.queryAsync(batch, out)).toBe(out);
    expect(maxDiff(out, expected)).toBeLessThanOrEqual(1e-6);
    // Small batches stay on this thread; out too small is an error, as for query().
    expect(maxDiff(await field.queryAsync(batch.subarray(0, 300)), expected.subarray(0, 300))).toBeLessThanOrEqual(1e-6);
    await expect(field.queryAsync(batch, new Float32Array(3))).rejects.toThrow(/out holds/);
    field.dispose();
    expect(pool.readyWorkers(field.poolId)).toBe(0);
    await pool.terminate();
  }, 90_000);
});
