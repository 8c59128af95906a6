/**
 * Public API. Marching cubes at an iso level over an OccupancyGrid (sparse bricks) or a dense Float32Array.
 * Values above the level are inside; triangles are wound counter-clockwise seen from outside (normals point out).
 *
 * npm has no typed-array marching cubes that reads a sparse grid (`surface-nets` is dual contouring on ndarrays,
 * the rest are marching squares), so the tables are built here, at load, from one rule instead of being copied:
 *
 * - In every cell, each face's contour segments depend only on that face's four values. Faces with two crossed
 *   edges have one segment. Ambiguous faces (diagonal corners alike, four crossed edges) are resolved by the
 *   asymptotic decider (Nielson & Hamann 1991): the inside corners are joined when the bilinear saddle is inside,
 *   i.e. when the product of the inside corners' (v - level) exceeds the product of the outside ones'. A product of
 *   two numbers is commutative in IEEE arithmetic, so the two cells sharing a face compute the same decision bit
 *   for bit, and the mesh has no cracks: closed surfaces come out watertight and edge-manifold.
 * - Segments are oriented with the inside on their left seen from outside the cube; every crossed cube edge then
 *   starts exactly one segment and ends exactly one, so the segments chain into cycles, each a polygon that is
 *   fanned into triangles. The table has 256 sign cases x 64 face decisions (only ambiguous faces' bits are used).
 * - Cell interiors are not disambiguated (no tunnels for case 4 / 13 configurations); that never opens a hole.
 *
 * Vertices are welded: one per crossed grid edge, keyed by (lower sample index, axis) in an open-addressing hash,
 * placed by linear interpolation of the two sample values at the level. A fan must not add a chord between two
 * vertices on one cell face (the neighbour across the face could add the same chord: an edge in four triangles);
 * the rare cycles where every fan would (tunnels through an ambiguous face) get one extra vertex at their centre.
 */
import { BRICK_SIZE, type OccupancyGrid, type Vec3Tuple } from './occupancy-grid.js';

export interface IndexedMesh {
  /** n x 3 positions. */
  positions: Float32Array;
  /** m x 3 vertex indices, counter-clockwise seen from outside. */
  indices: Uint32Array;
}

export interface MarchingCubesOptions {
  /** Iso level (default: the grid's level, else 0.5). */
  level?: number;
}

export interface DenseMarchingCubesOptions extends MarchingCubesOptions {
  /** Position of sample (0, 0, 0) (default [-0.5, -0.5, -0.5]). */
  min?: Vec3Tuple;
  /** Position of the last sample (default [0.5, 0.5, 0.5]). */
  max?: Vec3Tuple;
}

// --- Tables -------------------------------------------------------------------------------------------------------
// Corner c of a cell is at (c & 1, (c >> 1) & 1, c >> 2). Edge e runs along axis EDGE_AXIS[e] from corner
// EDGE_CORNER0[e] to EDGE_CORNER0[e] | (1 << axis). Face f = 2 * axis + side.

const EDGE_AXIS = new Uint8Array(12);
const EDGE_CORNER0 = new Uint8Array(12);
/** Edge index between two corners (c0 * 8 + c1), -1 when not an edge. */
const EDGE_OF = new Int8Array(64).fill(-1);
/** Per face, its 4 corners counter-clockwise seen from outside the cell. */
const FACE_CORNERS = new Uint8Array(24);
/** Per sign case, bit f set when face f is ambiguous. */
const AMBIGUOUS_FACES = new Uint8Array(256);
/** Triangles of entry (case * 64 + face decisions): edges TRI_EDGES[TRI_START[entry] .. TRI_START[entry + 1]). */
const TRI_START = new Uint32Array(256 * 64 + 1);
let TRI_EDGES = new Uint8Array(0);

/** Table code of a cell-centre vertex (12, 13, ...: one per cycle that needs one). */
const CENTER_CODE = 12;
const MAX_CELL_VERTICES = 16;

/** Per edge, a bitmask of the (two) faces it lies on. */
const EDGE_FACES = new Uint8Array(12);

/**
 * First vertex of the cycle whose fan adds no chord between two vertices on one face, or -1. Such a chord (possible
 * only across an ambiguous face that the cycle crosses twice) can be produced by the cell on the other side of the
 * face too, and an edge in four triangles is not manifold. Cycles with no such apex (116 of the 1026 distinct
 * cycles, all around tunnels through ambiguous faces) get a vertex at their centre instead.
 */
function fanApex(cycle: readonly number[]): number {
  const n = cycle.length;
  for (let apex = 0; apex < n; apex++) {
    let ok = true;
    for (let t = 2; t < n - 1 && ok; t++) if ((EDGE_FACES[cycle[apex]!]! & EDGE_FACES[cycle[(apex + t) % n]!]!) !== 0) ok = false;
    if (ok) return apex;
  }
  return -1;
}

function buildTables(): void {
  for (let a = 0; a < 3; a++) {
    const u = (a + 1) % 3, w = (a + 2) % 3;
    for (let n = 0; n < 4; n++) {
      const e = a * 4 + n;
      const c0 = ((n & 1) << u) | ((n >> 1) << w);
      EDGE_AXIS[e] = a;
      EDGE_CORNER0[e] = c0;
      EDGE_OF[c0 * 8 + (c0 | (1 << a))] = e;
      EDGE_OF[(c0 | (1 << a)) * 8 + c0] = e;
    }
    for (let side = 0; side < 2; side++) {
      // (e_u, e_w) is right-handed around e_a, so this (u, w) order is counter-clockwise seen from +a; reversed
      // for the face whose outward normal is -a.
      const order = side === 1 ? [[0, 0], [1, 0], [1, 1], [0, 1]] : [[0, 0], [0, 1], [1, 1], [1, 0]];
      for (let q = 0; q < 4; q++) FACE_CORNERS[(2 * a + side) * 4 + q] = (side << a) | (order[q]![0]! << u) | (order[q]![1]! << w);
    }
  }
  for (let f = 0; f < 6; f++) {
    for (let k = 0; k < 4; k++) {
      const e = EDGE_OF[FACE_CORNERS[f * 4 + k]! * 8 + FACE_CORNERS[f * 4 + ((k + 1) & 3)]!]!;
      EDGE_FACES[e] = EDGE_FACES[e]! | (1 << f);
    }
  }
  const edges: number[] = [];
  const next = new Int8Array(12);
  const cycle: number[] = [];
  for (let mask = 0; mask < 256; mask++) {
    const inside = (c: number): boolean => ((mask >> c) & 1) === 1;
    for (let f = 0; f < 6; f++) {
      const q = FACE_CORNERS.subarray(f * 4, f * 4 + 4);
      const i0 = inside(q[0]!), i1 = inside(q[1]!), i2 = inside(q[2]!), i3 = inside(q[3]!);
      if (i0 === i2 && i1 === i3 && i0 !== i1) AMBIGUOUS_FACES[mask] = AMBIGUOUS_FACES[mask]! | (1 << f);
    }
    for (let bits = 0; bits < 64; bits++) {
      const entry = mask * 64 + bits;
      TRI_START[entry] = edges.length;
      if ((bits & ~AMBIGUOUS_FACES[mask]!) !== 0) continue; // decisions on unambiguous faces never occur
      next.fill(-1);
      for (let f = 0; f < 6; f++) {
        const q = FACE_CORNERS.subarray(f * 4, f * 4 + 4);
        const edgeAt = (k: number): number => EDGE_OF[q[k & 3]! * 8 + q[(k + 1) & 3]!]!;
        const ambiguous = ((AMBIGUOUS_FACES[mask]! >> f) & 1) === 1;
        for (let k = 0; k < 4; k++) {
          if (!inside(q[k]!) || inside(q[(k + 1) & 3]!)) continue; // segments start where the walk leaves the inside
          if (ambiguous) {
            // Joined inside: go on around the next (outside) corner; separated: back around this inside corner.
            const joined = ((bits >> f) & 1) === 1;
            next[edgeAt(k)] = edgeAt(joined ? k + 1 : k + 3);
          } else {
            for (let m = 1; m < 4; m++) {
              const s = (k + m) & 3;
              if (!inside(q[s]!) && inside(q[(s + 1) & 3]!)) next[edgeAt(k)] = edgeAt(s);
            }
          }
        }
      }
      const used = new Uint8Array(12);
      let centers = 0;
      for (let start = 0; start < 12; start++) {
        if (next[start]! < 0 || used[start]) continue;
        cycle.length = 0;
        for (let e = start; !used[e]; e = next[e]!) {
          used[e] = 1;
          cycle.push(e);
        }
        // The segments have the inside on their left seen from outside, i.e. the cycle runs clockwise seen from
        // outside the surface: triangles are emitted reversed so that they are counter-clockwise (normals out).
        const apex = fanApex(cycle);
        const n = cycle.length;
        if (apex >= 0) {
          for (let t = 1; t + 1 < n; t++) edges.push(cycle[apex]!, cycle[(apex + t + 1) % n]!, cycle[(apex + t) % n]!);
        } else {
          const center = CENTER_CODE + centers++;
          for (let t = 0; t < n; t++) edges.push(cycle[(t + 1) % n]!, cycle[t]!, center);
        }
      }
    }
  }
  TRI_START[256 * 64] = edges.length;
  TRI_EDGES = Uint8Array.from(edges);
}
buildTables();

// --- Output -------------------------------------------------------------------------------------------------------

/** Open-addressing hash from an edge key (a non-negative integer below 2^53) to a vertex index. */
class EdgeVertexMap {
  private keys: Float64Array;
  private values: Int32Array;
  private mask: number;
  private size = 0;
  private slot = 0;

  constructor(capacity = 1 << 16) {
    this.keys = new Float64Array(capacity).fill(-1);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  private static hash(key: number): number {
    const lo = key >>> 0;
    const hi = (key / 4294967296) >>> 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca6b);
    return h ^ (h >>> 13);
  }

  /** The vertex of `key`, or -1; remembers where to insert it. */
  get(key: number): number {
    // Half full at most, so probes stay short; grow before probing so the remembered slot stays valid.
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    let s = EdgeVertexMap.hash(key) & this.mask;
    for (;;) {
      const k = this.keys[s]!;
      if (k === key) return this.values[s]!;
      if (k < 0) {
        this.slot = s;
        return -1;
      }
      s = (s + 1) & this.mask;
    }
  }

  /** Inserts at the slot found by the last get (which returned -1). */
  insert(key: number, value: number): void {
    this.keys[this.slot] = key;
    this.values[this.slot] = value;
    this.size++;
  }

  private grow(): void {
    const oldKeys = this.keys, oldValues = this.values;
    this.keys = new Float64Array(oldKeys.length * 2).fill(-1);
    this.values = new Int32Array(oldKeys.length * 2);
    this.mask = this.keys.length - 1;
    for (let s = 0; s < oldKeys.length; s++) {
      const k = oldKeys[s]!;
      if (k < 0) continue;
      let t = EdgeVertexMap.hash(k) & this.mask;
      while (this.keys[t]! >= 0) t = (t + 1) & this.mask;
      this.keys[t] = k;
      this.values[t] = oldValues[s]!;
    }
  }
}

/** Everything one extraction shares: level, sample geometry, welded vertices and the growing output. */
class MarchState {
  readonly level: number;
  /** Samples per axis, for edge keys. */
  readonly nx: number;
  readonly ny: number;
  readonly origin: Vec3Tuple;
  readonly spacing: Vec3Tuple;
  private readonly map = new EdgeVertexMap();
  positions: Float32Array = new Float32Array(3 * 4096);
  vertexCount = 0;
  indices: Uint32Array = new Uint32Array(3 * 8192);
  indexCount = 0;
  /** Corner values of the current cell. */
  readonly corner = new Float64Array(8);
  private readonly cellVertex = new Int32Array(MAX_CELL_VERTICES);
  private readonly cellStamp = new Uint32Array(MAX_CELL_VERTICES);
  /** Per centre slot: x, y, z sums and reference count. */
  private readonly centerSum = new Float64Array((MAX_CELL_VERTICES - CENTER_CODE) * 4);
  private stamp = 0;

  constructor(level: number, nx: number, ny: number, origin: Vec3Tuple, spacing: Vec3Tuple) {
    this.level = level;
    this.nx = nx;
    this.ny = ny;
    this.origin = origin;
    this.spacing = spacing;
  }

  /** Emits the triangles of the cell whose lowest corner is sample (i, j, k); `corner` holds its values. */
  emitCell(mask: number, i: number, j: number, k: number): void {
    const cv = this.corner;
    const level = this.level;
    let bits = 0;
    const ambiguous = AMBIGUOUS_FACES[mask]!;
    if (ambiguous !== 0) {
      for (let f = 0; f < 6; f++) {
        if (((ambiguous >> f) & 1) === 0) continue;
        const q = f * 4;
        const a = FACE_CORNERS[q]!, b = FACE_CORNERS[q + 1]!, c = FACE_CORNERS[q + 2]!, d = FACE_CORNERS[q + 3]!;
        const ac = (cv[a]! - level) * (cv[c]! - level);
        const bd = (cv[b]! - level) * (cv[d]! - level);
        const joined = ((mask >> a) & 1) === 1 ? ac > bd : bd > ac;
        if (joined) bits |= 1 << f;
      }
    }
    const entry = mask * 64 + bits;
    const begin = TRI_START[entry]!, end = TRI_START[entry + 1]!;
    this.stamp = (this.stamp + 1) >>> 0;
    if (this.indexCount + (end - begin) > this.indices.length) this.indices = grow32(this.indices, this.indexCount + (end - begin));
    let centers = 0;
    for (let t = begin; t < end; t += 3) {
      const a = this.cellVertexOf(TRI_EDGES[t]!, i, j, k);
      const b = this.cellVertexOf(TRI_EDGES[t + 1]!, i, j, k);
      const code = TRI_EDGES[t + 2]!;
      let c: number;
      if (code < CENTER_CODE) {
        c = this.cellVertexOf(code, i, j, k);
      } else {
        // Centre fans list (next, current, centre) around the cycle: each cycle vertex is met twice as a or b, so
        // the mean over these references is the mean of the cycle's vertices.
        const slot = code - CENTER_CODE;
        if (this.cellStamp[code] !== this.stamp) {
          this.cellStamp[code] = this.stamp;
          this.cellVertex[code] = this.newVertex(0, 0, 0);
          this.centerSum.fill(0, slot * 4, slot * 4 + 4);
          centers = Math.max(centers, slot + 1);
        }
        c = this.cellVertex[code]!;
        const sum = this.centerSum, p = this.positions;
        sum[slot * 4] = sum[slot * 4]! + p[a * 3]! + p[b * 3]!;
        sum[slot * 4 + 1] = sum[slot * 4 + 1]! + p[a * 3 + 1]! + p[b * 3 + 1]!;
        sum[slot * 4 + 2] = sum[slot * 4 + 2]! + p[a * 3 + 2]! + p[b * 3 + 2]!;
        sum[slot * 4 + 3] = sum[slot * 4 + 3]! + 2;
      }
      this.indices[this.indexCount++] = a;
      this.indices[this.indexCount++] = b;
      this.indices[this.indexCount++] = c;
    }
    for (let slot = 0; slot < centers; slot++) {
      const v = this.cellVertex[CENTER_CODE + slot]! * 3, sum = this.centerSum, count = sum[slot * 4 + 3]!;
      this.positions[v] = sum[slot * 4]! / count;
      this.positions[v + 1] = sum[slot * 4 + 1]! / count;
      this.positions[v + 2] = sum[slot * 4 + 2]! / count;
    }
  }

  /** Vertex of table code `e` (a cube edge) in the current cell, cached for the cell's other triangles. */
  private cellVertexOf(e: number, i: number, j: number, k: number): number {
    if (this.cellStamp[e] === this.stamp) return this.cellVertex[e]!;
    const v = this.edgeVertex(e, i, j, k);
    this.cellStamp[e] = this.stamp;
    this.cellVertex[e] = v;
    return v;
  }

  private newVertex(x: number, y: number, z: number): number {
    const v = this.vertexCount++;
    if (v * 3 + 3 > this.positions.length) this.positions = growF32(this.positions, v * 3 + 3);
    this.positions[v * 3] = x;
    this.positions[v * 3 + 1] = y;
    this.positions[v * 3 + 2] = z;
    return v;
  }

  private edgeVertex(e: number, i: number, j: number, k: number): number {
    const c0 = EDGE_CORNER0[e]!, axis = EDGE_AXIS[e]!;
    const si = i + (c0 & 1), sj = j + ((c0 >> 1) & 1), sk = k + (c0 >> 2);
    const key = ((sk * this.ny + sj) * this.nx + si) * 3 + axis;
    const found = this.map.get(key);
    if (found >= 0) return found;
    const v0 = this.corner[c0]!, v1 = this.corner[c0 | (1 << axis)]!;
    // One endpoint is > level and the other is not, so v1 != v0.
    const t = (this.level - v0) / (v1 - v0);
    const v = this.newVertex(
      this.origin[0] + this.spacing[0] * (si + (axis === 0 ? t : 0)),
      this.origin[1] + this.spacing[1] * (sj + (axis === 1 ? t : 0)),
      this.origin[2] + this.spacing[2] * (sk + (axis === 2 ? t : 0)),
    );
    this.map.insert(key, v);
    return v;
  }

  finish(): IndexedMesh {
    return { positions: this.positions.slice(0, this.vertexCount * 3), indices: this.indices.slice(0, this.indexCount) };
  }
}

function grow32(a: Uint32Array, need: number): Uint32Array {
  const b = new Uint32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

function growF32(a: Float32Array, need: number): Float32Array {
  const b = new Float32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/**
 * Marches the cells of a block of samples (x fastest, strides 1, sy, sz) whose lowest corner has block coordinates
 * [a0, a1) x [b0, b1) x [c0, c1); (gi, gj, gk) is the block's sample (0, 0, 0) in grid coordinates. `skip`, when
 * given, is asked about cells with a block coordinate 0 (the halo of a brick) and may veto them.
 */
function marchBlock(
  state: MarchState,
  values: Float32Array,
  sy: number,
  sz: number,
  range: readonly [number, number, number, number, number, number],
  gi: number,
  gj: number,
  gk: number,
  skip?: (i: number, j: number, k: number) => boolean,
): void {
  const level = state.level;
  const cv = state.corner;
  const [a0, a1, b0, b1, c0, c1] = range;
  for (let c = c0; c < c1; c++) {
    for (let b = b0; b < b1; b++) {
      let p = a0 + sy * b + sz * c;
      for (let a = a0; a < a1; a++, p++) {
        const v0 = values[p]!, v1 = values[p + 1]!, v2 = values[p + sy]!, v3 = values[p + sy + 1]!;
        const v4 = values[p + sz]!, v5 = values[p + sz + 1]!, v6 = values[p + sz + sy]!, v7 = values[p + sz + sy + 1]!;
        const mask =
          (v0 > level ? 1 : 0) | (v1 > level ? 2 : 0) | (v2 > level ? 4 : 0) | (v3 > level ? 8 : 0) |
          (v4 > level ? 16 : 0) | (v5 > level ? 32 : 0) | (v6 > level ? 64 : 0) | (v7 > level ? 128 : 0);
        if (mask === 0 || mask === 255) continue;
        if (skip && (a === 0 || b === 0 || c === 0) && skip(gi + a, gj + b, gk + c)) continue;
        cv[0] = v0; cv[1] = v1; cv[2] = v2; cv[3] = v3; cv[4] = v4; cv[5] = v5; cv[6] = v6; cv[7] = v7;
        state.emitCell(mask, gi + a, gj + b, gk + c);
      }
    }
  }
}

/**
 * Marching cubes over a dense grid of dims[0] x dims[1] x dims[2] samples (x fastest); sample (i, j, k) sits at
 * min + (max - min) * (i, j, k) / (dims - 1).
 */
export function marchingCubesDense(values: Float32Array, dims: readonly [number, number, number], options: DenseMarchingCubesOptions = {}): IndexedMesh {
  const [nx, ny, nz] = dims;
  if (values.length !== nx * ny * nz || nx < 2 || ny < 2 || nz < 2) {
    throw new RangeError(`marchingCubesDense: ${values.length} values do not fill dims ${dims.join('x')} (each >= 2)`);
  }
  const min = options.min ?? [-0.5, -0.5, -0.5];
  const max = options.max ?? [0.5, 0.5, 0.5];
  const spacing: Vec3Tuple = [(max[0] - min[0]) / (nx - 1), (max[1] - min[1]) / (ny - 1), (max[2] - min[2]) / (nz - 1)];
  const state = new MarchState(options.level ?? 0.5, nx, ny, min, spacing);
  marchBlock(state, values, nx, nx * ny, [0, nx - 1, 0, ny - 1, 0, nz - 1], 0, 0, 0);
  return state.finish();
}

/**
 * Marching cubes over an OccupancyGrid's finest level. Only cells with a corner in a finest-level brick can
 * straddle the level (see occupancy-grid.ts), so each brick marches its own cells plus the halo cells below it
 * whose lowest corner lies in a missing brick; such a halo cell belongs to the first existing brick among those
 * holding one of its corners, so no cell is emitted twice.
 */
export function marchingCubes(grid: OccupancyGrid, options: MarchingCubesOptions = {}): IndexedMesh {
  const level = options.level ?? grid.level;
  const r = grid.resolution;
  const spacing: Vec3Tuple = [(grid.max[0] - grid.min[0]) / r, (grid.max[1] - grid.min[1]) / r, (grid.max[2] - grid.min[2]) / r];
  const state = new MarchState(level, r + 1, r + 1, grid.min, spacing);
  const L = grid.finestLevel;
  if (L === 0) {
    const n = r + 1;
    marchBlock(state, grid.coarse, n, n * n, [0, r, 0, r, 0, r], 0, 0, 0);
    return state.finish();
  }
  const lvl = grid.levels[L - 1]!;
  const nb = lvl.bricksPerAxis;
  const n = BRICK_SIZE + 2;
  const block = new Float32Array(n * n * n);
  let bx = 0, by = 0, bz = 0;
  // A halo cell (lowest corner in brick o, corners reaching into o + d where its index is 7 on that axis) is
  // marched by the first existing brick o + d in d order; the current brick always is one of them.
  const skip = (i: number, j: number, k: number): boolean => {
    const ox = i >> 3, oy = j >> 3, oz = k >> 3;
    for (let d = 0; d < 8; d++) {
      const dx = d & 1, dy = (d >> 1) & 1, dz = d >> 2;
      if ((dx && (i & 7) !== 7) || (dy && (j & 7) !== 7) || (dz && (k & 7) !== 7)) continue;
      if (lvl.hasBrick(ox + dx, oy + dy, oz + dz)) return !(ox + dx === bx && oy + dy === by && oz + dz === bz);
    }
    return false;
  };
  const range: [number, number, number, number, number, number] = [0, 0, 0, 0, 0, 0];
  for (let slot = 0; slot < lvl.brickCount; slot++) {
    const key = lvl.keys[slot]!;
    bx = key % nb;
    by = Math.floor(key / nb) % nb;
    bz = Math.floor(key / (nb * nb));
    grid.fillBrickBlock(L, bx, by, bz, block);
    const gi = bx * BRICK_SIZE - 1, gj = by * BRICK_SIZE - 1, gk = bz * BRICK_SIZE - 1;
    // Cells with lowest corner in [8b - 1, 8b + 7] and inside [0, r - 1].
    range[0] = Math.max(0, -gi); range[1] = Math.min(BRICK_SIZE + 1, r - gi);
    range[2] = Math.max(0, -gj); range[3] = Math.min(BRICK_SIZE + 1, r - gj);
    range[4] = Math.max(0, -gk); range[5] = Math.min(BRICK_SIZE + 1, r - gk);
    marchBlock(state, block, n, n * n, range, gi, gj, gk, skip);
  }
  return state.finish();
}
