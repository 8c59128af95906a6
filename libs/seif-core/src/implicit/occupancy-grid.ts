/**
 * Public API. Coarse-to-fine evaluation of an occupancy function over a box (by default the SeIF frame's
 * [-0.5, 0.5]^3), the step between the implicit function and marching cubes (docs/ARCHITECTURE.md).
 *
 * Level 0 is a dense grid of `coarse` cells per axis. Each following level doubles the resolution and evaluates
 * only the corners of the children of cells that straddle `level` (values > level are inside), dilated by `margin`
 * cells; every other sample of that level takes the trilinear interpolation of the level below. Interpolation is a
 * convex combination, so a cell whose parent did not straddle cannot straddle either: inside/outside stays
 * consistent far from the surface and marching cubes only has to visit the refined region.
 *
 * Storage: level 0 is a dense Float32Array ((coarse+1)^3, 1.1 MB at 64). Finer levels are sparse: bricks of 8^3
 * samples, found through a dense brick directory (an Int32Array of (resolution/8+1)^3 slots: 1.1 MB at 512), each
 * brick fully filled (evaluated or interpolated samples) so a lookup never recurses more than one level. A dense
 * Float32 grid at 512 would be 537 MB; a sphere of radius 0.3 (head-sized) at 512 needs 17.5 k bricks, 47 MB, and
 * 3.8 M evaluated points of the dense 135 M (2.8 %; 6.5 % at 256).
 *
 * Limit shared by every coarse-to-fine scheme (PIFu's octree evaluation included): a part thinner than a coarse cell
 * that falls between coarse samples is never seen; `margin` and a finer `coarse` reduce that risk.
 *
 * Invariant that keeps lookups cheap: for every brick at level L, the samples of level L-1 under it, plus one
 * sample of halo, are in bricks of level L-1 (allocated as interpolated bricks when refinement did not create them).
 * Values there equal what interpolation would give, so creating them changes nothing.
 */
import { throwIfAborted } from '../pipeline/stage.js';
import { SeifError } from '../pipeline/errors.js';

export type Vec3Tuple = readonly [number, number, number];

/** n points (x, y, z interleaved) in, n occupancies out. Expensive and async: the real one is an ONNX decoder. */
export type OccupancyEvaluator = (points: Float32Array) => Promise<Float32Array>;

export interface OccupancyGridOptions {
  /** Box corner with the smallest coordinates (default [-0.5, -0.5, -0.5], the SeIF frame). */
  min?: Vec3Tuple;
  /** Box corner with the largest coordinates (default [0.5, 0.5, 0.5]). */
  max?: Vec3Tuple;
  /** Cells per axis of the dense first level (default 64); resolution / coarse must be a power of two. */
  coarse?: number;
  /** Cells per axis of the finest level (default 256, at most 512). */
  resolution?: number;
  /** Iso level; values above it are inside (default 0.5, an occupancy probability). */
  level?: number;
  /** Points per evaluate call (default 65536, a batch onnxruntime runs efficiently on CPU and GPU). */
  batchSize?: number;
  /** Cells of dilation around straddling cells before refining (default 1). */
  margin?: number;
  signal?: AbortSignal;
  /** Fraction 0..1 of the (estimated) points to evaluate; never decreases. */
  onProgress?: (fraction: number) => void;
}

export const OCCUPANCY_GRID_DEFAULTS = Object.freeze({
  min: Object.freeze([-0.5, -0.5, -0.5] as const),
  max: Object.freeze([0.5, 0.5, 0.5] as const),
  coarse: 64,
  resolution: 256,
  level: 0.5,
  batchSize: 65536,
  // One cell of dilation catches surface parts a coarse cell's corners miss (a thin feature between corners)
  // and keeps the refined band at least one fine cell wide on both sides of the surface.
  margin: 1,
});

/** 512^3 is the pipeline's finest grid; the brick directory and cell ids are sized for it. */
export const MAX_OCCUPANCY_RESOLUTION = 512;

/** Samples per brick edge. 8 keeps the per-brick overhead (directory slot, arrays) small against 512 samples. */
export const BRICK_SIZE = 8;
export const BRICK_SHIFT = 3;
export const BRICK_MASK = 7;
export const BRICK_VOLUME = 512;

/** Per-sample state in a brick. */
const INTERPOLATED = 0;
const EXACT = 1;
const PENDING = 2;

const STAGE = 'occupancy';

/** One refined level: bricks of 8^3 samples behind a dense directory. */
export class BrickLevel {
  readonly resolution: number;
  readonly bricksPerAxis: number;
  /** Brick key (bx + n*(by + n*bz)) -> slot, -1 where no brick. */
  readonly directory: Int32Array;
  /** Per slot: 512 sample values, x fastest. */
  readonly values: Float32Array[] = [];
  /** Per slot: 512 sample states (interpolated, exact, pending). */
  readonly states: Uint8Array[] = [];
  /** Per slot: the brick key. */
  keys = new Int32Array(256);

  constructor(resolution: number) {
    this.resolution = resolution;
    this.bricksPerAxis = (resolution >> BRICK_SHIFT) + 1;
    this.directory = new Int32Array(this.bricksPerAxis ** 3).fill(-1);
  }

  get brickCount(): number {
    return this.values.length;
  }

  slotOf(i: number, j: number, k: number): number {
    const n = this.bricksPerAxis;
    return this.directory[(i >> BRICK_SHIFT) + n * ((j >> BRICK_SHIFT) + n * (k >> BRICK_SHIFT))]!;
  }

  hasBrick(bx: number, by: number, bz: number): boolean {
    const n = this.bricksPerAxis;
    if (bx < 0 || by < 0 || bz < 0 || bx >= n || by >= n || bz >= n) return false;
    return this.directory[bx + n * (by + n * bz)]! >= 0;
  }
}

/** Offset of sample (i, j, k) inside its brick. */
export function brickOffset(i: number, j: number, k: number): number {
  return (i & BRICK_MASK) | ((j & BRICK_MASK) << BRICK_SHIFT) | ((k & BRICK_MASK) << (2 * BRICK_SHIFT));
}

/** Level L-1 samples under one brick of level L: 8 / 2 + 1 per axis. */
const PARENT = BRICK_SIZE / 2 + 1;

/**
 * Trilinear interpolation at brick-local sample (a, b, c) from the parent block: the mean of the 1, 2, 4 or 8
 * distinct parent samples around it (same arithmetic as OccupancyGrid.interpolateFromBelow, so a sample has one
 * value whichever path computes it).
 */
function midpointMean(parent: Float64Array, a: number, b: number, c: number): number {
  const a0 = a >> 1, a1 = (a + 1) >> 1, b0 = b >> 1, b1 = (b + 1) >> 1, c0 = c >> 1, c1 = (c + 1) >> 1;
  let sum = 0;
  let count = 0;
  for (let z = c0; z <= c1; z++) {
    for (let y = b0; y <= b1; y++) {
      for (let x = a0; x <= a1; x++) {
        sum += parent[x + PARENT * (y + PARENT * z)]!;
        count++;
      }
    }
  }
  return sum / count;
}

/**
 * The result of evaluateOccupancyGrid: values of the finest level at every sample (i, j, k) in [0, resolution]^3,
 * exact where evaluated, interpolated elsewhere.
 */
export class OccupancyGrid {
  readonly min: Vec3Tuple;
  readonly max: Vec3Tuple;
  readonly level: number;
  readonly coarseResolution: number;
  /** Cells per axis of the finest level. */
  readonly resolution: number;
  /** Level 0, dense, (coarse+1)^3 samples, x fastest. */
  readonly coarse: Float32Array;
  /** Levels 1..n (index L-1), each twice the resolution of the one below. */
  readonly levels: BrickLevel[];
  /** Points passed to the evaluator. */
  pointsEvaluated = 0;
  evaluateCalls = 0;
  private readonly parentScratch = new Float64Array(PARENT ** 3);
  private readonly parentExactScratch = new Uint8Array(PARENT ** 3);

  constructor(min: Vec3Tuple, max: Vec3Tuple, coarse: number, resolution: number, level: number) {
    this.min = min;
    this.max = max;
    this.level = level;
    this.coarseResolution = coarse;
    this.resolution = resolution;
    this.coarse = new Float32Array((coarse + 1) ** 3);
    this.levels = [];
    for (let r = coarse * 2; r <= resolution; r *= 2) this.levels.push(new BrickLevel(r));
  }

  /** Samples a dense grid of the final resolution would have evaluated: (resolution+1)^3. */
  get denseEquivalent(): number {
    return (this.resolution + 1) ** 3;
  }

  /** Index of the finest level (0 = the dense coarse grid only). */
  get finestLevel(): number {
    return this.levels.length;
  }

  get brickCount(): number {
    let n = 0;
    for (const l of this.levels) n += l.brickCount;
    return n;
  }

  /** Bytes held by sample storage (values, states, directories), for memory reports. */
  get storedBytes(): number {
    let bytes = this.coarse.byteLength;
    for (const l of this.levels) bytes += l.directory.byteLength + l.brickCount * BRICK_VOLUME * 5 + l.keys.byteLength;
    return bytes;
  }

  /** Cells per axis of level L. */
  levelResolution(L: number): number {
    return this.coarseResolution << L;
  }

  /** Value of the finest level at sample (i, j, k), each in [0, resolution]. */
  valueAt(i: number, j: number, k: number): number {
    return this.levelValue(this.levels.length, i, j, k);
  }

  /** Value of level L at sample (i, j, k): stored, else the midpoint interpolation of level L-1. */
  levelValue(L: number, i: number, j: number, k: number): number {
    if (L === 0) {
      const n = this.coarseResolution + 1;
      return this.coarse[i + n * (j + n * k)]!;
    }
    const lvl = this.levels[L - 1]!;
    const slot = lvl.slotOf(i, j, k);
    if (slot >= 0) return lvl.values[slot]![brickOffset(i, j, k)]!;
    return this.interpolateFromBelow(L, i, j, k);
  }

  /**
   * Trilinear interpolation of level L-1 at level-L sample (i, j, k). Samples sit at cell midpoints of the level
   * below or on its samples, so the interpolant is the mean of the 1, 2, 4 or 8 distinct corners around it.
   */
  interpolateFromBelow(L: number, i: number, j: number, k: number): number {
    const i0 = i >> 1, i1 = (i + 1) >> 1;
    const j0 = j >> 1, j1 = (j + 1) >> 1;
    const k0 = k >> 1, k1 = (k + 1) >> 1;
    let sum = 0;
    let count = 0;
    for (let kk = k0; kk <= k1; kk++) {
      for (let jj = j0; jj <= j1; jj++) {
        for (let ii = i0; ii <= i1; ii++) {
          sum += this.levelValue(L - 1, ii, jj, kk);
          count++;
        }
      }
    }
    // Rounded as a brick would store it, so a sample's value does not depend on whether its brick exists yet.
    return Math.fround(sum / count);
  }

  /** Whether level L's sample holds an evaluated (or exactly inherited) value. */
  levelExact(L: number, i: number, j: number, k: number): boolean {
    if (L === 0) return true;
    const lvl = this.levels[L - 1]!;
    const slot = lvl.slotOf(i, j, k);
    return slot >= 0 && lvl.states[slot]![brickOffset(i, j, k)] === EXACT;
  }

  /**
   * Fills `out` (10^3, x fastest) with level L's samples [8b-1, 8b+8] around brick (bx, by, bz): the brick's own
   * 8^3 plus a one-sample halo on each side, so every cell with a corner in the brick can be read from one array.
   * Samples outside [0, resolution] are left NaN (no cell uses them).
   */
  fillBrickBlock(L: number, bx: number, by: number, bz: number, out: Float32Array): void {
    const lvl = this.levels[L - 1]!;
    const r = lvl.resolution;
    const own = lvl.values[lvl.directory[bx + lvl.bricksPerAxis * (by + lvl.bricksPerAxis * bz)]!]!;
    const i0 = bx * BRICK_SIZE - 1, j0 = by * BRICK_SIZE - 1, k0 = bz * BRICK_SIZE - 1;
    const n = BRICK_SIZE + 2;
    for (let c = 0; c < n; c++) {
      const k = k0 + c;
      for (let b = 0; b < n; b++) {
        const j = j0 + b;
        const row = n * (b + n * c);
        for (let a = 0; a < n; a++) {
          const i = i0 + a;
          if (i < 0 || j < 0 || k < 0 || i > r || j > r || k > r) {
            out[row + a] = Number.NaN;
          } else if (a > 0 && b > 0 && c > 0 && a <= BRICK_SIZE && b <= BRICK_SIZE && c <= BRICK_SIZE) {
            out[row + a] = own[(a - 1) | ((b - 1) << BRICK_SHIFT) | ((c - 1) << (2 * BRICK_SHIFT))]!;
          } else {
            out[row + a] = this.levelValue(L, i, j, k);
          }
        }
      }
    }
  }

  /**
   * Slot of level L's brick (bx, by, bz), creating it if needed: even samples copy level L-1 (value and exactness),
   * the others interpolate it. Ensures the invariant (level L-1 bricks under it plus halo) first.
   */
  ensureBrick(L: number, bx: number, by: number, bz: number): number {
    const lvl = this.levels[L - 1]!;
    const nb = lvl.bricksPerAxis;
    const key = bx + nb * (by + nb * bz);
    const existing = lvl.directory[key]!;
    if (existing >= 0) return existing;

    if (L >= 2) {
      // Level-(L-1) samples under this brick with one of halo: [4b-1, 4b+4] per axis, at most 2 bricks per axis.
      const rb = this.levels[L - 2]!.resolution;
      const x0 = Math.max(0, 4 * bx - 1) >> BRICK_SHIFT, x1 = Math.min(rb, 4 * bx + 4) >> BRICK_SHIFT;
      const y0 = Math.max(0, 4 * by - 1) >> BRICK_SHIFT, y1 = Math.min(rb, 4 * by + 4) >> BRICK_SHIFT;
      const z0 = Math.max(0, 4 * bz - 1) >> BRICK_SHIFT, z1 = Math.min(rb, 4 * bz + 4) >> BRICK_SHIFT;
      for (let cz = z0; cz <= z1; cz++) {
        for (let cy = y0; cy <= y1; cy++) {
          for (let cx = x0; cx <= x1; cx++) this.ensureBrick(L - 1, cx, cy, cz);
        }
      }
    }

    // Level L-1 samples [4b, 4b+4] under the brick, read once (5^3 lookups instead of up to 8 per sample).
    const parent = this.parentScratch;
    const parentExact = this.parentExactScratch;
    const r = lvl.resolution;
    const rp = r >> 1;
    for (let c = 0; c < PARENT; c++) {
      for (let b = 0; b < PARENT; b++) {
        for (let a = 0; a < PARENT; a++) {
          const i = bx * 4 + a, j = by * 4 + b, k = bz * 4 + c;
          const p = a + PARENT * (b + PARENT * c);
          if (i > rp || j > rp || k > rp) {
            parent[p] = Number.NaN;
            parentExact[p] = 0;
          } else {
            parent[p] = this.levelValue(L - 1, i, j, k);
            parentExact[p] = this.levelExact(L - 1, i, j, k) ? 1 : 0;
          }
        }
      }
    }
    const values = new Float32Array(BRICK_VOLUME);
    const states = new Uint8Array(BRICK_VOLUME);
    for (let c = 0; c < BRICK_SIZE; c++) {
      const k = bz * BRICK_SIZE + c;
      for (let b = 0; b < BRICK_SIZE; b++) {
        const j = by * BRICK_SIZE + b;
        for (let a = 0; a < BRICK_SIZE; a++) {
          const i = bx * BRICK_SIZE + a;
          const o = a | (b << BRICK_SHIFT) | (c << (2 * BRICK_SHIFT));
          if (i > r || j > r || k > r) {
            // Past the last sample of the grid: never read, never evaluated.
            states[o] = EXACT;
          } else if (((a | b | c) & 1) === 0) {
            const p = (a >> 1) + PARENT * ((b >> 1) + PARENT * (c >> 1));
            values[o] = parent[p]!;
            states[o] = parentExact[p] ? EXACT : INTERPOLATED;
          } else {
            values[o] = midpointMean(parent, a, b, c);
            states[o] = INTERPOLATED;
          }
        }
      }
    }
    const slot = lvl.values.length;
    lvl.values.push(values);
    lvl.states.push(states);
    if (slot >= lvl.keys.length) {
      const grown = new Int32Array(lvl.keys.length * 2);
      grown.set(lvl.keys);
      lvl.keys = grown;
    }
    lvl.keys[slot] = key;
    lvl.directory[key] = slot;
    return slot;
  }
}

interface ResolvedOptions {
  min: Vec3Tuple;
  max: Vec3Tuple;
  coarse: number;
  resolution: number;
  level: number;
  batchSize: number;
  margin: number;
  signal: AbortSignal | undefined;
  onProgress: ((fraction: number) => void) | undefined;
}

function invalid(message: string): SeifError {
  return new SeifError('INVALID_ARGUMENT', message, { stage: STAGE });
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Checks options at the public boundary with messages that say what to pass instead. */
export function resolveOccupancyOptions(options: OccupancyGridOptions = {}): ResolvedOptions {
  const d = OCCUPANCY_GRID_DEFAULTS;
  const min = options.min ?? d.min;
  const max = options.max ?? d.max;
  const coarse = options.coarse ?? d.coarse;
  const resolution = options.resolution ?? d.resolution;
  const level = options.level ?? d.level;
  const batchSize = options.batchSize ?? d.batchSize;
  const margin = options.margin ?? d.margin;
  for (let a = 0; a < 3; a++) {
    if (!(Number.isFinite(min[a]) && Number.isFinite(max[a]) && max[a]! > min[a]!)) throw invalid(`min/max must be finite with max > min on every axis (got min ${min.join(',')}, max ${max.join(',')})`);
  }
  if (!Number.isInteger(coarse) || coarse < 4) throw invalid(`coarse must be an integer >= 4 (got ${coarse})`);
  if (!Number.isInteger(resolution) || resolution > MAX_OCCUPANCY_RESOLUTION) throw invalid(`resolution must be an integer <= ${MAX_OCCUPANCY_RESOLUTION} (got ${resolution})`);
  if (resolution < coarse || !isPowerOfTwo(resolution / coarse)) throw invalid(`resolution / coarse must be a power of two (got ${resolution} / ${coarse}); e.g. coarse 64 with resolution 128, 256 or 512`);
  if (!Number.isFinite(level)) throw invalid(`level must be a finite number (got ${level})`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalid(`batchSize must be a positive integer (got ${batchSize})`);
  if (!Number.isInteger(margin) || margin < 0 || margin > 4) throw invalid(`margin must be an integer in 0..4 (got ${margin})`);
  return { min, max, coarse, resolution, level, batchSize, margin, signal: options.signal, onProgress: options.onProgress };
}

/** Growable Uint32 list without per-item allocation. */
class U32List {
  data: Uint32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Uint32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }
}

/**
 * Batches points for the evaluator and scatters results back. Targets are numbers the caller decodes (a dense
 * index at level 0, slot * 512 + offset at finer levels).
 */
class BatchRunner {
  private readonly points: Float32Array;
  readonly targets: Float64Array;
  count = 0;
  private readonly evaluate: OccupancyEvaluator;
  private readonly options: ResolvedOptions;
  private readonly grid: OccupancyGrid;
  private reported = 0;
  /** Estimate of all points this run will evaluate, refined as levels are planned. */
  expectedTotal = 0;

  constructor(evaluate: OccupancyEvaluator, options: ResolvedOptions, grid: OccupancyGrid) {
    this.evaluate = evaluate;
    this.options = options;
    this.grid = grid;
    this.points = new Float32Array(options.batchSize * 3);
    this.targets = new Float64Array(options.batchSize);
  }

  get full(): boolean {
    return this.count === this.options.batchSize;
  }

  /** Queues sample (i, j, k) of a grid with `r` cells per axis. */
  add(r: number, i: number, j: number, k: number, target: number): void {
    const { min, max } = this.options;
    const p = this.count * 3;
    // Same expression at every level: (i/2)/(r/2) rounds exactly like i/r, so shared samples get identical points.
    this.points[p] = min[0] + ((max[0] - min[0]) * i) / r;
    this.points[p + 1] = min[1] + ((max[1] - min[1]) * j) / r;
    this.points[p + 2] = min[2] + ((max[2] - min[2]) * k) / r;
    this.targets[this.count++] = target;
  }

  /** Runs the evaluator on the queued points; `scatter(target, value)` stores each result. */
  async flush(scatter: (target: number, value: number) => void): Promise<void> {
    const n = this.count;
    if (n === 0) return;
    const context = { signal: this.options.signal };
    throwIfAborted(context, STAGE);
    // onnxruntime wraps the whole underlying buffer of a view, so a partial batch gets its own exact-size copy.
    const batch = n === this.options.batchSize ? this.points : this.points.slice(0, n * 3);
    let result: Float32Array;
    try {
      result = await this.evaluate(batch);
    } catch (thrown) {
      if (thrown instanceof SeifError) throw thrown;
      if (this.options.signal?.aborted) throwIfAborted(context, STAGE);
      throw new SeifError('INTERNAL', `occupancy evaluator failed on a batch of ${n} points: ${thrown instanceof Error ? thrown.message : String(thrown)}`, { cause: thrown, stage: STAGE });
    }
    throwIfAborted(context, STAGE);
    if (!result || result.length !== n) {
      throw new SeifError('INTERNAL', `occupancy evaluator returned ${result?.length} values for ${n} points`, { stage: STAGE, details: { points: n, values: result?.length ?? null } });
    }
    for (let t = 0; t < n; t++) scatter(this.targets[t]!, result[t]!);
    this.grid.pointsEvaluated += n;
    this.grid.evaluateCalls++;
    this.count = 0;
    this.progress();
  }

  progress(): void {
    const onProgress = this.options.onProgress;
    if (!onProgress) return;
    const total = Math.max(this.expectedTotal, this.grid.pointsEvaluated, 1);
    const fraction = Math.max(this.reported, Math.min(1, this.grid.pointsEvaluated / total));
    this.reported = fraction;
    try {
      onProgress(fraction);
    } catch {
      // A progress consumer's bug must not fail a reconstruction.
    }
  }
}

/** Evaluates the dense first level. */
async function evaluateCoarse(grid: OccupancyGrid, runner: BatchRunner): Promise<void> {
  const r = grid.coarseResolution;
  const n = r + 1;
  const values = grid.coarse;
  const scatter = (target: number, value: number): void => {
    values[target] = value;
  };
  for (let k = 0; k <= r; k++) {
    for (let j = 0; j <= r; j++) {
      for (let i = 0; i <= r; i++) {
        runner.add(r, i, j, k, i + n * (j + n * k));
        if (runner.full) await runner.flush(scatter);
      }
    }
  }
  await runner.flush(scatter);
}

/** Corner offsets of a cell in a 10^3 block (x fastest). */
const BLOCK = BRICK_SIZE + 2;
const BLOCK_CORNERS = Int32Array.from([0, 1, BLOCK, BLOCK + 1, BLOCK * BLOCK, BLOCK * BLOCK + 1, BLOCK * BLOCK + BLOCK, BLOCK * BLOCK + BLOCK + 1]);

/** True when the cell's corners lie on both sides of `level` (NaN counts as outside, like in marching cubes). */
function straddles(values: Float32Array, base: number, corners: Int32Array, level: number): boolean {
  let inside = 0;
  for (let c = 0; c < 8; c++) if (values[base + corners[c]!]! > level) inside++;
  return inside > 0 && inside < 8;
}

/**
 * Cells of level L whose corners straddle the level. Only cells with a corner in one of the level's bricks can
 * straddle (elsewhere every sample interpolates a non-straddling parent), so the scan visits bricks and their
 * one-sample halo. Duplicates are possible (neighbouring bricks share halo cells); the dilation removes them.
 */
function straddlingCells(grid: OccupancyGrid, L: number): U32List {
  const out = new U32List();
  const level = grid.level;
  const r = grid.levelResolution(L);
  if (L === 0) {
    const n = r + 1;
    const corners = Int32Array.from([0, 1, n, n + 1, n * n, n * n + 1, n * n + n, n * n + n + 1]);
    for (let k = 0; k < r; k++) {
      for (let j = 0; j < r; j++) {
        for (let i = 0; i < r; i++) {
          if (straddles(grid.coarse, i + n * (j + n * k), corners, level)) out.push(i + r * (j + r * k));
        }
      }
    }
    return out;
  }
  const lvl = grid.levels[L - 1]!;
  const block = new Float32Array(BLOCK ** 3);
  const nb = lvl.bricksPerAxis;
  for (let slot = 0; slot < lvl.brickCount; slot++) {
    const key = lvl.keys[slot]!;
    const bx = key % nb, by = Math.floor(key / nb) % nb, bz = Math.floor(key / (nb * nb));
    grid.fillBrickBlock(L, bx, by, bz, block);
    const i0 = bx * BRICK_SIZE - 1, j0 = by * BRICK_SIZE - 1, k0 = bz * BRICK_SIZE - 1;
    for (let c = 0; c <= BRICK_SIZE; c++) {
      const k = k0 + c;
      if (k < 0 || k >= r) continue;
      for (let b = 0; b <= BRICK_SIZE; b++) {
        const j = j0 + b;
        if (j < 0 || j >= r) continue;
        for (let a = 0; a <= BRICK_SIZE; a++) {
          const i = i0 + a;
          if (i < 0 || i >= r) continue;
          if (straddles(block, a + BLOCK * (b + BLOCK * c), BLOCK_CORNERS, level)) out.push(i + r * (j + r * k));
        }
      }
    }
  }
  return out;
}

/** Unique cells within `margin` (Chebyshev) of the given cells, on a grid of r^3 cells (a bitset of r^3 bits). */
function dilateCells(cells: U32List, r: number, margin: number): U32List {
  const seen = new Uint8Array((r * r * r + 7) >> 3);
  const out = new U32List(Math.max(1024, cells.length * 2));
  const rr = r * r;
  for (let n = 0; n < cells.length; n++) {
    const id = cells.data[n]!;
    const i = id % r, j = Math.floor(id / r) % r, k = Math.floor(id / rr);
    for (let z = Math.max(0, k - margin); z <= Math.min(r - 1, k + margin); z++) {
      for (let y = Math.max(0, j - margin); y <= Math.min(r - 1, j + margin); y++) {
        for (let x = Math.max(0, i - margin); x <= Math.min(r - 1, i + margin); x++) {
          const c = x + r * y + rr * z;
          const bit = 1 << (c & 7);
          if ((seen[c >> 3]! & bit) === 0) {
            seen[c >> 3] = seen[c >> 3]! | bit;
            out.push(c);
          }
        }
      }
    }
  }
  return out;
}

/**
 * Plans level L: bricks for every corner of the children of the marked cells of level L-1, and the list of those
 * corners that still need an evaluation (slot * 512 + offset).
 */
function planLevel(grid: OccupancyGrid, L: number, marked: U32List): U32List {
  const lvl = grid.levels[L - 1]!;
  const rParent = grid.levelResolution(L - 1);
  const r = lvl.resolution;
  const pending = new U32List(Math.max(1024, marked.length * 8));
  const rr = rParent * rParent;
  for (let n = 0; n < marked.length; n++) {
    const id = marked.data[n]!;
    const ci = id % rParent, cj = Math.floor(id / rParent) % rParent, ck = Math.floor(id / rr);
    for (let k = 2 * ck; k <= 2 * ck + 2; k++) {
      for (let j = 2 * cj; j <= 2 * cj + 2; j++) {
        for (let i = 2 * ci; i <= 2 * ci + 2; i++) {
          if (i > r || j > r || k > r) continue;
          let slot = lvl.slotOf(i, j, k);
          if (slot < 0) slot = grid.ensureBrick(L, i >> BRICK_SHIFT, j >> BRICK_SHIFT, k >> BRICK_SHIFT);
          const states = lvl.states[slot]!;
          const o = brickOffset(i, j, k);
          if (states[o] === INTERPOLATED) {
            states[o] = PENDING;
            pending.push(slot * BRICK_VOLUME + o);
          }
        }
      }
    }
  }
  return pending;
}

/** Evaluates the planned samples of level L in batches. */
async function evaluateLevel(grid: OccupancyGrid, L: number, pending: U32List, runner: BatchRunner): Promise<void> {
  const lvl = grid.levels[L - 1]!;
  const nb = lvl.bricksPerAxis;
  const r = lvl.resolution;
  const scatter = (target: number, value: number): void => {
    const slot = Math.floor(target / BRICK_VOLUME), o = target % BRICK_VOLUME;
    lvl.values[slot]![o] = value;
    lvl.states[slot]![o] = EXACT;
  };
  for (let n = 0; n < pending.length; n++) {
    const target = pending.data[n]!;
    const slot = Math.floor(target / BRICK_VOLUME), o = target % BRICK_VOLUME;
    const key = lvl.keys[slot]!;
    const i = (key % nb) * BRICK_SIZE + (o & BRICK_MASK);
    const j = (Math.floor(key / nb) % nb) * BRICK_SIZE + ((o >> BRICK_SHIFT) & BRICK_MASK);
    const k = Math.floor(key / (nb * nb)) * BRICK_SIZE + (o >> (2 * BRICK_SHIFT));
    runner.add(r, i, j, k, target);
    if (runner.full) await runner.flush(scatter);
  }
  await runner.flush(scatter);
}

/**
 * Evaluates `evaluate` over the box coarse to fine (see the file comment) and returns the grid marching cubes
 * reads. Throws SeifError('ABORTED') when `signal` aborts (checked around every evaluator call),
 * SeifError('INVALID_ARGUMENT') for bad options.
 *
 * @example
 *   const grid = await evaluateOccupancyGrid(async (p) => decoder.run(p), { resolution: 256 });
 *   grid.pointsEvaluated / grid.denseEquivalent; // ~0.05 for a head
 */
export async function evaluateOccupancyGrid(evaluate: OccupancyEvaluator, options: OccupancyGridOptions = {}): Promise<OccupancyGrid> {
  const o = resolveOccupancyOptions(options);
  throwIfAborted({ signal: o.signal }, STAGE);
  const grid = new OccupancyGrid(o.min, o.max, o.coarse, o.resolution, o.level);
  const runner = new BatchRunner(evaluate, o, grid);
  const levels = grid.levels.length;
  // A surface's sample count grows ~4x per level; with the coarse grid's size as a floor this keeps the progress
  // estimate from promising completion after level 0.
  const coarsePoints = grid.coarse.length;
  runner.expectedTotal = coarsePoints * (1 + levels);
  await evaluateCoarse(grid, runner);

  for (let L = 1; L <= levels; L++) {
    const straddling = straddlingCells(grid, L - 1);
    const marked = dilateCells(straddling, grid.levelResolution(L - 1), o.margin);
    const pending = planLevel(grid, L, marked);
    let future = 0;
    for (let m = 1, f = 4; L + m <= levels; m++, f *= 4) future += pending.length * f;
    runner.expectedTotal = grid.pointsEvaluated + pending.length + future;
    await evaluateLevel(grid, L, pending, runner);
  }
  runner.expectedTotal = grid.pointsEvaluated;
  runner.progress();
  return grid;
}
