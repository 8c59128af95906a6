/**
 * The implicit-surface stages on analytic occupancy fields: coarse-to-fine evaluation against the dense grid,
 * marching cubes' geometry and topology (area, volume, watertightness, orientation, Euler characteristic), the
 * cleanup functions, and abort handling.
 */
import { describe, expect, it } from 'vitest';
import { SeifError } from '../src/pipeline/errors.js';
import { evaluateOccupancyGrid, type OccupancyEvaluator } from '../src/implicit/occupancy-grid.js';
import { type IndexedMesh, marchingCubes, marchingCubesDense } from '../src/implicit/marching-cubes.js';
import {
  boundaryLoops,
  closeHoles,
  connectedComponents,
  decimateMesh,
  edgeReport,
  eulerCharacteristic,
  isWatertight,
  keepLargestComponent,
  meshArea,
  signedVolume,
  taubinSmooth,
  vertexNormals,
} from '../src/implicit/mesh-cleanup.js';
import { extractSurface } from '../src/implicit/extract-surface.js';

type Sdf = (x: number, y: number, z: number) => number;

/**
 * Occupancy = sigmoid(-slope * signed distance): 0.5 exactly on the surface. Slope 100 puts the 0.1..0.9 band
 * ~0.044 wide (11 cells at 256): sharp like a trained network's output, yet smooth enough that linear
 * interpolation along an edge finds the surface to well under a cell.
 */
function occupancyOf(sdf: Sdf, slope = 100): OccupancyEvaluator {
  return async (points) => {
    const n = points.length / 3;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(slope * sdf(points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!)));
    return out;
  };
}

const sphereSdf = (cx: number, cy: number, cz: number, r: number): Sdf => (x, y, z) => Math.hypot(x - cx, y - cy, z - cz) - r;
const torusSdf = (major: number, minor: number): Sdf => (x, y, z) => Math.hypot(Math.hypot(x, y) - major, z) - minor;
const unionSdf = (a: Sdf, b: Sdf): Sdf => (x, y, z) => Math.min(a(x, y, z), b(x, y, z));

/** The field sampled on a dense (n+1)^3 grid over [-0.5, 0.5]^3, for marchingCubesDense. */
async function denseSamples(evaluate: OccupancyEvaluator, n: number): Promise<Float32Array> {
  const points = new Float32Array((n + 1) ** 3 * 3);
  let p = 0;
  for (let k = 0; k <= n; k++) for (let j = 0; j <= n; j++) for (let i = 0; i <= n; i++) {
    points[p++] = -0.5 + i / n;
    points[p++] = -0.5 + j / n;
    points[p++] = -0.5 + k / n;
  }
  return evaluate(points);
}

/** Largest distance from a vertex of `a` to the nearest vertex of `b` (spatial hash with `cell`-sized buckets). */
function directedHausdorff(a: IndexedMesh, b: IndexedMesh, cell: number): number {
  const key = (x: number, y: number, z: number) => `${Math.floor(x / cell)},${Math.floor(y / cell)},${Math.floor(z / cell)}`;
  const buckets = new Map<string, number[]>();
  for (let v = 0; v < b.positions.length; v += 3) {
    const k = key(b.positions[v]!, b.positions[v + 1]!, b.positions[v + 2]!);
    const list = buckets.get(k);
    if (list) list.push(v);
    else buckets.set(k, [v]);
  }
  let worst = 0;
  for (let v = 0; v < a.positions.length; v += 3) {
    const x = a.positions[v]!, y = a.positions[v + 1]!, z = a.positions[v + 2]!;
    let best = Infinity;
    for (let dz = -1; dz <= 1; dz++) for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      for (const u of buckets.get(key(x + dx * cell, y + dy * cell, z + dz * cell)) ?? []) {
        best = Math.min(best, Math.hypot(x - b.positions[u]!, y - b.positions[u + 1]!, z - b.positions[u + 2]!));
      }
    }
    worst = Math.max(worst, best);
  }
  return worst;
}

function hausdorff(a: IndexedMesh, b: IndexedMesh, cell: number): number {
  return Math.max(directedHausdorff(a, b, cell), directedHausdorff(b, a, cell));
}

/** Largest |distance to centre - r| over the vertices. */
function radialDeviation(mesh: IndexedMesh, r: number): { max: number; rms: number } {
  let max = 0, sq = 0;
  const n = mesh.positions.length / 3;
  for (let v = 0; v < n; v++) {
    const d = Math.hypot(mesh.positions[3 * v]!, mesh.positions[3 * v + 1]!, mesh.positions[3 * v + 2]!) - r;
    max = Math.max(max, Math.abs(d));
    sq += d * d;
  }
  return { max, rms: Math.sqrt(sq / n) };
}

/** Deterministic noise in [-1, 1] (a small LCG, so failures reproduce). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 4294967296) * 2 - 1;
  };
}

const R = 0.3;
const SPHERE = occupancyOf(sphereSdf(0, 0, 0, R));

describe('occupancy grid, coarse to fine', () => {
  it('gives the dense grid surface for a torus at 128 with a fraction of the evaluations', async () => {
    const evaluate = occupancyOf(torusSdf(0.25, 0.1));
    const dense = marchingCubesDense(await denseSamples(evaluate, 128), [129, 129, 129]);
    const grid = await evaluateOccupancyGrid(evaluate, { coarse: 32, resolution: 128 });
    const sparse = marchingCubes(grid);
    expect(grid.resolution).toBe(128);
    expect(grid.denseEquivalent).toBe(129 ** 3);
    // Every straddling fine cell has exact corners, so marching cubes sees the same crossings.
    expect(sparse.indices.length).toBe(dense.indices.length);
    expect(sparse.positions.length).toBe(dense.positions.length);
    expect(hausdorff(sparse, dense, 2 / 128)).toBeLessThan(1e-6);
    expect(grid.pointsEvaluated / grid.denseEquivalent).toBeLessThan(0.3);
  });

  it('evaluates under 10 % of the dense grid for a sphere at 256, in batches of at most batchSize', async () => {
    let calls = 0, largest = 0;
    const grid = await evaluateOccupancyGrid(
      async (p) => {
        calls++;
        largest = Math.max(largest, p.length / 3);
        return SPHERE(p);
      },
      { resolution: 256, batchSize: 50_000 },
    );
    expect(grid.finestLevel).toBe(2);
    expect(grid.pointsEvaluated / grid.denseEquivalent).toBeLessThan(0.1);
    expect(largest).toBeLessThanOrEqual(50_000);
    expect(calls).toBe(grid.evaluateCalls);
    // Full batches: one partial batch per level at most (level 0 and two refined levels).
    expect(calls).toBeLessThanOrEqual(Math.ceil(grid.pointsEvaluated / 50_000) + 2);
    // Sparse bricks, not a dense 257^3 Float32 grid (68 MB).
    expect(grid.storedBytes).toBeLessThan(20e6);
  });

  it('stays consistent far from the surface: interpolated samples keep the coarse inside/outside', async () => {
    const grid = await evaluateOccupancyGrid(SPHERE, { resolution: 128, coarse: 32 });
    const n = 128;
    for (const [i, j, k, inside] of [[64, 64, 64, true], [64, 64, 70, true], [2, 3, 5, false], [127, 64, 64, false], [64, 10, 64, false]] as const) {
      expect(grid.valueAt(i, j, k) > 0.5, `sample ${i},${j},${k}`).toBe(inside);
    }
    // A sample on the surface band is exact: equal to the field itself.
    const i = Math.round((0.5 + R) * n);
    const exact = (await SPHERE(Float32Array.of(-0.5 + i / n, 0, 0)))[0]!;
    expect(grid.valueAt(i, 64, 64)).toBeCloseTo(exact, 6);
  });

  it('reports monotonic progress ending at 1', async () => {
    const fractions: number[] = [];
    await evaluateOccupancyGrid(SPHERE, { resolution: 128, batchSize: 20_000, onProgress: (f) => fractions.push(f) });
    expect(fractions.length).toBeGreaterThan(5);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1]!);
    expect(fractions.at(-1)).toBe(1);
  });

  it('stops with SeifError ABORTED when the signal aborts, without further evaluator calls', async () => {
    const controller = new AbortController();
    let calls = 0;
    const run = evaluateOccupancyGrid(
      async (p) => {
        calls++;
        if (calls === 2) controller.abort();
        return SPHERE(p);
      },
      { resolution: 256, batchSize: 10_000, signal: controller.signal },
    );
    await expect(run).rejects.toMatchObject({ name: 'SeifError', code: 'ABORTED' });
    expect(calls).toBe(2);

    const aborted = AbortSignal.abort();
    const error = await evaluateOccupancyGrid(SPHERE, { signal: aborted }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SeifError);
    expect((error as SeifError).code).toBe('ABORTED');
  });

  it('rejects options it cannot honour', async () => {
    for (const options of [{ resolution: 1024 }, { coarse: 48, resolution: 256 }, { coarse: 64, resolution: 32 }, { batchSize: 0 }, { min: [0, 0, 0], max: [0, 1, 1] }] as const) {
      await expect(evaluateOccupancyGrid(SPHERE, options)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });
});

describe('marching cubes', () => {
  it('meshes a sphere at 256 with area and volume within 1 %, watertight, outward, Euler 2', async () => {
    const grid = await evaluateOccupancyGrid(SPHERE, { resolution: 256 });
    const mesh = marchingCubes(grid);
    const area = meshArea(mesh), volume = signedVolume(mesh);
    expect(Math.abs(area / (4 * Math.PI * R * R) - 1)).toBeLessThan(0.01);
    expect(Math.abs(volume / ((4 / 3) * Math.PI * R ** 3) - 1)).toBeLessThan(0.01);
    expect(volume).toBeGreaterThan(0);
    expect(edgeReport(mesh)).toMatchObject({ boundaryEdges: 0, nonManifoldEdges: 0, misorientedEdges: 0 });
    expect(eulerCharacteristic(mesh)).toBe(2);
    // Vertices lie on the sphere to a small fraction of a cell (1/256 = 0.0039).
    expect(radialDeviation(mesh, R).max).toBeLessThan(0.1 / 256);
    // Normals point away from the centre.
    const normals = vertexNormals(mesh);
    let inward = 0;
    for (let v = 0; v < normals.length; v += 3) {
      if (normals[v]! * mesh.positions[v]! + normals[v + 1]! * mesh.positions[v + 1]! + normals[v + 2]! * mesh.positions[v + 2]! <= 0) inward++;
    }
    expect(inward).toBe(0);
  });

  it('meshes a torus with Euler characteristic 0 and two spheres as two closed components', async () => {
    const torus = marchingCubes(await evaluateOccupancyGrid(occupancyOf(torusSdf(0.25, 0.1)), { resolution: 128, coarse: 32 }));
    expect(isWatertight(torus)).toBe(true);
    expect(eulerCharacteristic(torus)).toBe(0);
    const torusVolume = 2 * Math.PI ** 2 * 0.25 * 0.1 ** 2;
    expect(Math.abs(signedVolume(torus) / torusVolume - 1)).toBeLessThan(0.01);

    const two = marchingCubes(await evaluateOccupancyGrid(occupancyOf(unionSdf(sphereSdf(-0.2, 0, 0, 0.15), sphereSdf(0.3, 0.1, 0, 0.08))), { resolution: 128, coarse: 32 }));
    expect(isWatertight(two)).toBe(true);
    expect(connectedComponents(two).count).toBe(2);
    expect(eulerCharacteristic(two)).toBe(4);
  });

  it('stays watertight where faces are ambiguous: a binary-like field and random grids', async () => {
    // A near-step occupancy with ripples at the cell scale, like an under-trained network: many ambiguous faces.
    const ripple: Sdf = (x, y, z) => Math.hypot(x, y, z) - 0.3 + 0.012 * Math.sin(97 * x) * Math.sin(101 * y) * Math.sin(89 * z);
    const grid = await evaluateOccupancyGrid(occupancyOf(ripple, 3000), { resolution: 128, coarse: 32 });
    const mesh = marchingCubes(grid);
    expect(edgeReport(mesh)).toMatchObject({ boundaryEdges: 0, nonManifoldEdges: 0, misorientedEdges: 0 });
    expect(signedVolume(mesh)).toBeGreaterThan(0);

    // Random 6^3 grids with an outside border: every sign pattern and face decision shows up.
    const random = lcg(7);
    let ambiguousSeen = 0;
    for (let trial = 0; trial < 300; trial++) {
      const n = 6;
      const values = new Float32Array(n ** 3);
      for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
        const border = i === 0 || j === 0 || k === 0 || i === n - 1 || j === n - 1 || k === n - 1;
        values[i + n * (j + n * k)] = border ? 0 : 0.5 + 0.5 * random();
      }
      // Count ambiguous faces (checkerboard signs on a z face) to show the test exercises them.
      for (let j = 1; j < n - 2; j++) for (let i = 1; i < n - 2; i++) {
        const s = (a: number, b: number) => values[a + n * (b + n * 2)]! > 0.5;
        if (s(i, j) === s(i + 1, j + 1) && s(i + 1, j) === s(i, j + 1) && s(i, j) !== s(i + 1, j)) ambiguousSeen++;
      }
      const m = marchingCubesDense(values, [n, n, n]);
      if (m.indices.length === 0) continue;
      const report = edgeReport(m);
      expect(report, `trial ${trial}`).toMatchObject({ boundaryEdges: 0, nonManifoldEdges: 0, misorientedEdges: 0 });
      expect(signedVolume(m)).toBeGreaterThan(0);
    }
    expect(ambiguousSeen).toBeGreaterThan(100);
  });

  it('puts one welded vertex on a single inside corner, with the normal pointing away from it', () => {
    const values = new Float32Array(8);
    values[0] = 1; // corner (0,0,0) inside, level 0.5: crossings at the edge midpoints
    const mesh = marchingCubesDense(values, [2, 2, 2], { min: [0, 0, 0], max: [1, 1, 1] });
    expect(Array.from(mesh.positions).sort()).toEqual([0, 0, 0, 0, 0, 0, 0.5, 0.5, 0.5]);
    expect(mesh.indices.length).toBe(3);
    const n = vertexNormals(mesh);
    expect(n[0]! + n[1]! + n[2]!).toBeCloseTo(Math.sqrt(3), 5); // (1,1,1)/sqrt(3): away from the inside corner
  });
});

describe('mesh cleanup', () => {
  async function sphereMesh(resolution = 128): Promise<IndexedMesh> {
    return marchingCubes(await evaluateOccupancyGrid(SPHERE, { resolution, coarse: 32 }));
  }

  it('keeps the larger of two spheres', async () => {
    const mesh = marchingCubes(await evaluateOccupancyGrid(occupancyOf(unionSdf(sphereSdf(-0.2, 0, 0, 0.15), sphereSdf(0.3, 0.1, 0, 0.08))), { resolution: 128, coarse: 32 }));
    const { mesh: kept, componentsRemoved } = keepLargestComponent(mesh);
    expect(componentsRemoved).toBe(1);
    expect(isWatertight(kept)).toBe(true);
    for (let v = 0; v < kept.positions.length; v += 3) {
      expect(Math.hypot(kept.positions[v]! + 0.2, kept.positions[v + 1]!, kept.positions[v + 2]!)).toBeCloseTo(0.15, 2);
    }
    expect(Math.abs(signedVolume(kept) / ((4 / 3) * Math.PI * 0.15 ** 3) - 1)).toBeLessThan(0.01);
  });

  it('closes a sphere whose cap was removed, and leaves holes longer than maxEdges open', async () => {
    const sphere = await sphereMesh();
    const kept: number[] = [];
    for (let t = 0; t < sphere.indices.length; t += 3) {
      const y = (v: number) => sphere.positions[sphere.indices[t + v]! * 3 + 1]!;
      if (y(0) > 0.27 && y(1) > 0.27 && y(2) > 0.27) continue;
      kept.push(sphere.indices[t]!, sphere.indices[t + 1]!, sphere.indices[t + 2]!);
    }
    const open: IndexedMesh = { positions: sphere.positions, indices: Uint32Array.from(kept) };
    const loops = boundaryLoops(open);
    expect(loops.length).toBe(1);
    expect(loops[0]!.length).toBeGreaterThan(40);
    expect(isWatertight(open)).toBe(false);

    const untouched = closeHoles(open, { maxEdges: 20 });
    expect(untouched).toMatchObject({ holesClosed: 0, holesLeft: 1 });

    const { mesh: closed, holesClosed, holesLeft } = closeHoles(open, { maxEdges: 200 });
    expect(holesClosed).toBe(1);
    expect(holesLeft).toBe(0);
    expect(isWatertight(closed)).toBe(true);
    expect(eulerCharacteristic(closed)).toBe(2);
    // The flat patch misses the cap's volume (h = 0.03: 0.7 % of the sphere); anything more is a wrong fill.
    const full = (4 / 3) * Math.PI * R ** 3;
    expect(signedVolume(closed)).toBeGreaterThan(0.99 * full);
    expect(signedVolume(closed)).toBeLessThan(full);
  });

  it('Taubin smoothing reduces the deviation of a noisy sphere and keeps its volume within 1 %', async () => {
    const sphere = await sphereMesh();
    const noisy = Float32Array.from(sphere.positions);
    const random = lcg(11);
    for (let v = 0; v < noisy.length; v += 3) {
      const s = 1 + 0.01 * random(); // radial noise up to 3 mm on a 0.3 radius: a third of a cell at 128
      noisy[v] = noisy[v]! * s;
      noisy[v + 1] = noisy[v + 1]! * s;
      noisy[v + 2] = noisy[v + 2]! * s;
    }
    const noisyMesh: IndexedMesh = { positions: noisy, indices: sphere.indices };
    const before = radialDeviation(noisyMesh, R);
    const smooth = taubinSmooth(noisyMesh);
    const after = radialDeviation(smooth, R);
    // A low-pass filter: per-vertex noise loses its high frequencies (measured 0.54 of the rms after 3 pairs, 0.39
    // after 10); what it leaves is the noise's share in the pass band, which no volume-keeping smoother removes.
    expect(after.rms).toBeLessThan(0.6 * before.rms);
    expect(radialDeviation(taubinSmooth(noisyMesh, { iterations: 10 }), R).rms).toBeLessThan(0.45 * before.rms);
    // The clean sphere stays where it is.
    expect(radialDeviation(taubinSmooth(sphere), R).max).toBeLessThan(0.05 / 128);
    const v0 = (4 / 3) * Math.PI * R ** 3;
    expect(Math.abs(signedVolume(smooth) / v0 - 1)).toBeLessThan(0.01);
    // Without the volume correction Taubin alone still stays within 1 %.
    expect(Math.abs(signedVolume(taubinSmooth(noisyMesh, { keepVolume: false })) / v0 - 1)).toBeLessThan(0.01);
    expect(smooth.indices).toBe(sphere.indices);
    expect(noisyMesh.positions).toBe(noisy); // input untouched
  });

  it('decimates with meshoptimizer within the error bound', async () => {
    const sphere = await sphereMesh();
    const { mesh, error } = await decimateMesh(sphere, { ratio: 0.25, maxError: 0.002 });
    expect(mesh.indices.length / sphere.indices.length).toBeLessThan(0.3);
    expect(error).toBeLessThanOrEqual(0.002);
    expect(Math.abs(signedVolume(mesh) / signedVolume(sphere) - 1)).toBeLessThan(0.01);
    expect(edgeReport(mesh).boundaryEdges).toBe(0);
  });

  it('extractSurface runs the chain and reports each step', async () => {
    const grid = await evaluateOccupancyGrid(occupancyOf(unionSdf(sphereSdf(0, 0, 0, 0.3), sphereSdf(0.42, 0.42, 0.42, 0.03))), { resolution: 128, coarse: 32 });
    const { mesh, report } = await extractSurface(grid);
    expect(report.componentsRemoved).toBe(1);
    expect(report.holesClosed).toBe(0);
    expect(report.vertices).toBe(mesh.positions.length / 3);
    expect(report.triangles).toBe(mesh.indices.length / 3);
    expect(isWatertight(mesh)).toBe(true);
    expect(Math.abs(signedVolume(mesh) / ((4 / 3) * Math.PI * R ** 3) - 1)).toBeLessThan(0.01);
    for (const key of ['marchingCubes', 'largestComponent', 'closeHoles', 'smooth', 'decimate', 'total'] as const) expect(report.ms[key]).toBeGreaterThanOrEqual(0);
  });
});
