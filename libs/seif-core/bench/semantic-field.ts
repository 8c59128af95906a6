/**
 * Throughput of the SeIF semantic field (src/semantic/semantic-field.ts), SemanticField.query against
 * SemanticField.queryAsync, in one run (the machine is shared, so only ratios measured side by side mean anything):
 *
 *   cd /work/main && node --import tsx libs/seif-core/bench/semantic-field.ts [--repeat 3]
 *
 * Field: the default head model at neutral parameters, scaled by 3.5 (model metres -> SeIF frame units, about
 * what the fit's camera gives). Point sets:
 *  - grid: 300k points of a 256^3 grid over [-0.5, 0.5]^3 in 8^3 bricks (1/256 spacing) whose centres lie within
 *    0.06 of the mesh, brick by brick in directory order: the order evaluateOccupancyGrid hands batches over.
 *  - grid128: the same for the 128^3 grid (150k points: 8 per 1/64 voxel instead of 64), the stage's default.
 *  - coarse: the dense 65^3 first level of the occupancy grid (every point of the box, row order).
 *  - near: 200k points within +-0.03 of random mesh vertices, random order (no coherence to exploit);
 *    near-sorted: the same in surface order (sorted by 1/256 cell), as the stage's marching-cubes vertices come.
 * query runs on this thread; queryAsync on this thread plus a worker per further core; both in 65536-point batches
 * like the stage. Wall-clock rates, and queryAsync's speed-up over query (x); "cores" = CPU time / wall time of
 * queryAsync (up to 2 on an idle 2-core machine; near 1 when other work holds the second core); CPU us/point for
 * both (all threads), so the gain and the cost of the split can be told apart on a busy machine. Also prints the
 * max abs difference of the codes.
 *
 * The old-vs-new figures of the change that introduced the candidate grid (src/semantic/candidate-grid.ts) were
 * measured against the implementation at commit 9d0d620 (src/semantic/semantic-field.ts with libs/flame's
 * src/geometry/bvh.ts as they were then): query was 1.1-2.1x faster than it, only x1.1 on grid128 (the 128^3 grid).
 * That implementation is in git history: git show 9d0d620:libs/seif-core/src/semantic/semantic-field.ts.
 */
import { evaluate, loadDefaultHeadModel } from '@seif/flame';
import { rng } from '../test/uniform-fixtures.js';
import { semanticFieldForHead } from '../src/semantic/semantic-field.js';
import { semanticWorkerPool } from '../src/semantic/worker-pool.js';

const repeatArg = process.argv.indexOf('--repeat');
const repeat = repeatArg > 0 ? Number(process.argv[repeatArg + 1]) : 1;

const model = await loadDefaultHeadModel();
const vertices = evaluate(model, {});
for (let i = 0; i < vertices.length; i++) vertices[i] = vertices[i]! * 3.5;

/** Bricks of a res^3 grid near the mesh: a vertex hash on the brick lattice, dilated by `band`. */
function gridPoints(count: number, band: number, res = 256): Float32Array {
  const B = res / 8; // bricks per axis
  const near = new Uint8Array(B * B * B);
  const cell = 1 / B;
  const reach = Math.ceil(band / cell);
  for (let v = 0; v < model.vertexCount; v++) {
    const bi = Math.floor((vertices[3 * v]! + 0.5) / cell), bj = Math.floor((vertices[3 * v + 1]! + 0.5) / cell), bk = Math.floor((vertices[3 * v + 2]! + 0.5) / cell);
    for (let k = bk - reach; k <= bk + reach; k++) for (let j = bj - reach; j <= bj + reach; j++) for (let i = bi - reach; i <= bi + reach; i++) {
      if (i < 0 || j < 0 || k < 0 || i >= B || j >= B || k >= B) continue;
      const cx = (i + 0.5) * cell - 0.5, cy = (j + 0.5) * cell - 0.5, cz = (k + 0.5) * cell - 0.5;
      if (Math.hypot(cx - vertices[3 * v]!, cy - vertices[3 * v + 1]!, cz - vertices[3 * v + 2]!) < band) near[i + B * (j + B * k)] = 1;
    }
  }
  let bricks = 0;
  for (const f of near) bricks += f;
  // Every stride-th brick, so the set spans the head instead of one slab.
  const stride = Math.max(1, Math.floor(bricks / Math.ceil(count / 512)));
  const out = new Float32Array(3 * count);
  let n = 0, seen = 0;
  for (let b = 0; b < B * B * B && n < count; b++) {
    if (!near[b] || seen++ % stride !== 0) continue;
    const i0 = (b % B) * 8, j0 = (Math.floor(b / B) % B) * 8, k0 = Math.floor(b / (B * B)) * 8;
    for (let o = 0; o < 512 && n < count; o++, n++) {
      out[3 * n] = (i0 + (o & 7)) / res - 0.5;
      out[3 * n + 1] = (j0 + ((o >> 3) & 7)) / res - 0.5;
      out[3 * n + 2] = (k0 + (o >> 6)) / res - 0.5;
    }
  }
  return out.subarray(0, 3 * n);
}

function coarsePoints(): Float32Array {
  const N = 65;
  const out = new Float32Array(3 * N * N * N);
  for (let k = 0, n = 0; k < N; k++) for (let j = 0; j < N; j++) for (let i = 0; i < N; i++, n++) {
    out[3 * n] = i / 64 - 0.5; out[3 * n + 1] = j / 64 - 0.5; out[3 * n + 2] = k / 64 - 0.5;
  }
  return out;
}

function nearPoints(count: number): Float32Array {
  const r = rng(11);
  const out = new Float32Array(3 * count);
  for (let i = 0; i < count; i++) {
    const v = Math.floor(r() * model.vertexCount);
    for (let k = 0; k < 3; k++) out[3 * i + k] = vertices[3 * v + k]! + (r() - 0.5) * 0.06;
  }
  return out;
}

/** The near set in surface order (sorted by 1/256 cell, z then y then x), as marching-cubes vertices come. */
function sorted(points: Float32Array): Float32Array {
  const n = points.length / 3;
  const key = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = (k: number) => Math.floor((points[3 * i + k]! + 0.5) * 256);
    key[i] = c(0) + 512 * (c(1) + 512 * c(2));
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => key[a]! - key[b]!);
  const out = new Float32Array(points.length);
  order.forEach((j, i) => out.set(points.subarray(3 * j, 3 * j + 3), 3 * i));
  return out;
}

const near = nearPoints(200_000);
const sets: [string, Float32Array][] = [['grid', gridPoints(300_000, 0.06)], ['grid128', gridPoints(150_000, 0.06, 128)], ['coarse', coarsePoints()], ['near', near], ['near-sorted', sorted(near)]];

let t = performance.now();
const warm = semanticFieldForHead(model, vertices);
console.log(`semantic field: ${model.faces.length / 3} triangles, built in ${(performance.now() - t).toFixed(0)} ms`);

// Warm-up, not timed: the JIT, and the worker threads (started once per process, then reused).
const pool = semanticWorkerPool();
t = performance.now();
for (const [, points] of sets) warm.query(points.subarray(0, 3 * 20_000));
while (pool.readyWorkers(warm.poolId) < pool.size && performance.now() - t < 60_000) {
  await warm.queryAsync(sets[0]![1].subarray(0, 3 * 65536));
  // Let the workers' messages in: a batch run without them resolves at once, which never yields to the event loop.
  await new Promise((resolve) => setTimeout(resolve, 10));
}
console.log(`worker threads: ${pool.readyWorkers(warm.poolId)} besides this one, up after ${(performance.now() - t).toFixed(0)} ms of warm-up`);
warm.dispose();

const BATCH = 65536;
const fmt = (rate: number) => `${(rate / 1000).toFixed(0).padStart(5)} k/s`;
const total = [0, 0], totalCpu = [0, 0];
let totalPoints = 0;
for (const [name, points] of sets) {
  const ms = [0, 0];
  // CPU time of the process (all threads): queryAsync's extra threads show up here, and cpu / wall says how
  // much of a second core it actually got on this (shared) machine.
  const cpu = [0, 0];
  const outs = [0, 1].map(() => new Float32Array(points.length));
  for (let r = 0; r < repeat; r++) {
    // Fresh fields per repeat: lazily built caches (and the workers' replicas) are paid for inside the timing.
    const sync = semanticFieldForHead(model, vertices), parallel = semanticFieldForHead(model, vertices);
    const runs: ((p: Float32Array, out: Float32Array) => Float32Array | Promise<Float32Array>)[] = [
      (p, out) => sync.query(p, out), (p, out) => parallel.queryAsync(p, out),
    ];
    // Batch by batch, the two interleaved, so a busy moment of the machine hits both alike.
    for (let s = 0; s < points.length; s += 3 * BATCH) {
      const end = Math.min(points.length, s + 3 * BATCH);
      for (let k = 0; k < 2; k++) {
        const start = performance.now(), startCpu = process.cpuUsage();
        await runs[k]!(points.subarray(s, end), outs[k]!.subarray(s, end));
        ms[k]! += performance.now() - start;
        const used = process.cpuUsage(startCpu);
        cpu[k]! += (used.user + used.system) / 1000;
      }
    }
    sync.dispose(); parallel.dispose();
  }
  let diff = 0;
  for (let i = 0; i < points.length; i++) diff = Math.max(diff, Math.abs(outs[0]![i]! - outs[1]![i]!));
  const n = (points.length / 3) * repeat;
  totalPoints += n;
  for (let k = 0; k < 2; k++) { total[k]! += ms[k]!; totalCpu[k]! += cpu[k]!; }
  console.log(`${name.padEnd(11)} ${String(points.length / 3).padStart(7)} points: query ${fmt(n / ms[0]! * 1000)}, queryAsync ${fmt(n / ms[1]! * 1000)} (x${(ms[0]! / ms[1]!).toFixed(2)}, ${(cpu[1]! / ms[1]!).toFixed(2)} cores), max |diff| ${diff.toExponential(1)}; CPU us/point query ${(cpu[0]! / n * 1000).toFixed(2)}, queryAsync ${(cpu[1]! / n * 1000).toFixed(2)}`);
}
console.log(`${'all'.padEnd(11)} ${String(totalPoints / repeat).padStart(7)} points: query ${fmt(totalPoints / total[0]! * 1000)}, queryAsync ${fmt(totalPoints / total[1]! * 1000)} (x${(total[0]! / total[1]!).toFixed(2)}, ${(totalCpu[1]! / total[1]!).toFixed(2)} cores); CPU us/point query ${(totalCpu[0]! / totalPoints * 1000).toFixed(2)}, queryAsync ${(totalCpu[1]! / totalPoints * 1000).toFixed(2)}`);
await pool.terminate();
