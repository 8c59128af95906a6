/**
 * Internal to the semantic field (semantic-field.ts). A lazily built voxel cache that answers "closest triangle
 * to p, if that can give a non-zero code" with a short scan instead of a BVH descent per point.
 *
 * Two facts make most queries cheap:
 *  - A code is 0 unless the closest triangle is within the cutoff and is a region triangle (one with a vertex of
 *    non-zero region weight): every vertex of any other triangle has weight 0, so the interpolated weight is 0 too.
 *  - Points arrive in cells of space (the occupancy grid's 8^3 bricks, marching-cubes order), so per-cell work is
 *    shared by many points.
 *
 * Per voxel of side s, with centre c and half-diagonal h (every point p of the voxel has |p - c| <= h), and
 * D = distance from c to the mesh: dist(p, mesh) <= D + h, so the closest triangle T of p that matters (one with
 * dist(p, T) < cutoff) satisfies dist(c, T) <= dist(p, T) + h <= min(D + h, cutoff) + h = R. Hence:
 *  - no region triangle within R of c: every point of the voxel has code 0 ("zero" voxel, no search at all);
 *  - else the triangles within R of c hold p's closest one. Sorted by k = distance from c to the triangle's
 *    bounding box (a lower bound: dist(p, T) >= k - |p - c|), the scan stops once k - |p - c| > best.
 * Same answer as a full search: the closest triangle itself (up to exact ties between triangles sharing the tied
 * point, whose codes agree because codes interpolate per-vertex values).
 *
 * Two levels: blocks of BLOCK^3 voxels first get the same zero test with their own (larger) R, which settles the
 * far field and the back of the head for the dense first level of the occupancy grid (a few points per block).
 * A voxel's list is built on its second visit; the first point falls back to the BVH, so a voxel seen once (the
 * dense first level samples each fine voxel about once) costs no more than before. Voxels far from the mesh keep
 * no list (LIST_DISTANCE). Memory: the directory is 1 MB at the default 1/64 voxel; lists grow with the voxels
 * visited (about 100 entries of 12 bytes each).
 */
import { type ClosestHit, TriangleBvh, closestPointOnTriangle, pointBoxDistanceSq } from '@seif/flame/geometry/bvh';

/** Fine voxels per block edge: 1 << BLOCK_SHIFT (4: blocks of 1/16 at the default voxel; 2 measured no better). */
const BLOCK_SHIFT = 2;
const BLOCK = 1 << BLOCK_SHIFT;
/** Buckets of a voxel's list, by distance to its centre. */
const BUCKETS = 16;
/** Voxel states in `voxels` (>= 0: offset of the voxel's list in the pools). */
const ZERO = -1;
const BVH_ONLY = -2;
/**
 * Visits of a voxel answered by the BVH before its list is built: a list only pays if the voxel is visited again
 * (1, 2 and 3 measured alike on grid and random near-surface batches; 1 keeps it simple).
 */
const BVH_VISITS = 1;
/** Build the list on this visit; below it, a countdown of the BVH-searched visits still to go. */
const BUILD_NOW = -3;
/** Block states. */
const BLOCK_UNKNOWN = 0;
const BLOCK_ZERO = 1;
const BLOCK_MIXED = 2;
/**
 * Slack on the geometric bounds: half-diagonals grow by this relative amount so rounding (a point landing a few
 * ulps outside its voxel, a distance computed a few ulps short) can only make a list longer, never drop a triangle.
 */
const SLACK = 1e-6;
/**
 * Voxels whose centre is farther than this fraction of the cutoff from the mesh (0.06 in the SeIF frame) keep no
 * list: measured with bench/semantic-field.ts, lists beyond it cost more to build than the BVH searches they save.
 */
const LIST_DISTANCE = 0.3;
/** The directory may not exceed this many voxels (16 MB of Int32); coarser voxels beyond that. */
const MAX_VOXELS = 1 << 22;

export class CandidateGrid {
  /** Triangle corners, 9 per triangle (original vertex order, so closest points match a plain BVH search). */
  private readonly corners: Float64Array;
  /** Per triangle: min xyz, max xyz. */
  private readonly boxes: Float64Array;
  private readonly cutoff: number;
  private readonly bvh: TriangleBvh;
  /** The region triangles only (indices local to that mesh): "is any region triangle within R?". */
  private readonly regionBvh: TriangleBvh | undefined;
  private readonly ox: number; private readonly oy: number; private readonly oz: number;
  private readonly size: number;
  private readonly invSize: number;
  private readonly nx: number; private readonly ny: number; private readonly nz: number;
  private readonly bx: number; private readonly by: number;
  private readonly half: number;
  private readonly blockHalf: number;
  private readonly voxels: Int32Array;
  private readonly blocks: Uint8Array;
  /**
   * Lists, at a voxel's offset o: tris[o] = count n, tris[o+1..o+n] the triangles, keys[o+1..o+n] the distances
   * from the voxel centre to their bounding boxes (lower bounds of the distances to the triangles, which is all
   * the early stop needs, and cheaper to find), in buckets of increasing key; keys[o] = the bucket width.
   */
  private tris: Int32Array;
  private keys: Float64Array;
  private used = 0;
  private readonly scratchTris: Int32Array;
  private readonly scratchD2: Float64Array;
  private readonly scratchBucket: Uint8Array;
  private readonly probe: ClosestHit = { distanceSq: Infinity, triangle: -1, x: NaN, y: NaN, z: NaN };
  private readonly q = new Float64Array(3);
  /** Triangle of the previous query (coherence bound of the BVH fallback), -1 if none. */
  private prev = -1;
  /** 1 per region triangle. */
  private readonly region: Uint8Array;
  private readonly bucketCounts = new Int32Array(BUCKETS);
  /** D of the last reach() call. */
  private reachDistance = Infinity;
  private readonly listDistance: number;

  constructor(corners: Float64Array, regionTriangle: Uint8Array, bvh: TriangleBvh, cutoff: number, voxelSize: number) {
    this.corners = corners;
    this.cutoff = cutoff;
    this.region = regionTriangle;
    this.listDistance = LIST_DISTANCE * cutoff;
    this.bvh = bvh;
    const m = regionTriangle.length;
    this.boxes = new Float64Array(6 * m);
    for (let f = 0; f < m; f++) {
      for (let k = 0; k < 3; k++) {
        const a = corners[9 * f + k]!, b = corners[9 * f + 3 + k]!, c = corners[9 * f + 6 + k]!;
        this.boxes[6 * f + k] = Math.min(a, b, c);
        this.boxes[6 * f + 3 + k] = Math.max(a, b, c);
      }
    }
    // Region triangles' corners as a soup (3 vertices each) for their own BVH, and their bounding box.
    let regionCount = 0;
    for (let f = 0; f < m; f++) regionCount += regionTriangle[f]!;
    const soup = new Float64Array(9 * regionCount);
    const min = [Infinity, Infinity, Infinity], max = [-Infinity, -Infinity, -Infinity];
    for (let f = 0, r = 0; f < m; f++) {
      if (!regionTriangle[f]) continue;
      for (let j = 0; j < 9; j++) {
        const v = corners[9 * f + j]!;
        soup[9 * r + j] = v;
        if (v < min[j % 3]!) min[j % 3] = v;
        if (v > max[j % 3]!) max[j % 3] = v;
      }
      r++;
    }
    const soupIndices = new Uint32Array(3 * regionCount);
    for (let i = 0; i < soupIndices.length; i++) soupIndices[i] = i;
    this.regionBvh = regionCount > 0 ? new TriangleBvh(soup, soupIndices) : undefined;
    // The directory spans the region's box grown by the cutoff: outside it every point is at least the cutoff
    // away from all region triangles, so its code is 0.
    if (regionCount === 0) { min.fill(0); max.fill(0); }
    const ext = [0, 1, 2].map((k) => max[k]! - min[k]! + 2 * cutoff);
    let size = voxelSize;
    while (Math.ceil(ext[0]! / size) * Math.ceil(ext[1]! / size) * Math.ceil(ext[2]! / size) > MAX_VOXELS) size *= 2;
    this.size = size;
    this.invSize = 1 / size;
    this.ox = min[0]! - cutoff; this.oy = min[1]! - cutoff; this.oz = min[2]! - cutoff;
    // Whole blocks, so a block's voxels are all inside the directory.
    this.nx = BLOCK * Math.max(1, Math.ceil(ext[0]! / size / BLOCK));
    this.ny = BLOCK * Math.max(1, Math.ceil(ext[1]! / size / BLOCK));
    this.nz = BLOCK * Math.max(1, Math.ceil(ext[2]! / size / BLOCK));
    this.bx = this.nx / BLOCK; this.by = this.ny / BLOCK;
    this.voxels = new Int32Array(this.nx * this.ny * this.nz).fill(regionCount > 0 ? BUILD_NOW - BVH_VISITS : ZERO);
    this.blocks = new Uint8Array((this.nx * this.ny * this.nz) / BLOCK ** 3).fill(regionCount > 0 ? BLOCK_UNKNOWN : BLOCK_ZERO);
    this.half = (size * Math.sqrt(3) / 2) * (1 + SLACK);
    this.blockHalf = (BLOCK * size * Math.sqrt(3) / 2) * (1 + SLACK);
    this.tris = new Int32Array(1 << 16);
    this.keys = new Float64Array(1 << 16);
    this.scratchTris = new Int32Array(m);
    this.scratchD2 = new Float64Array(m);
    this.scratchBucket = new Uint8Array(m);
  }

  /** Number of blocks (block ids run from 0 to this - 1). */
  get blockCount(): number {
    return this.blocks.length;
  }

  /** Block of (x, y, z), or -1 outside the directory (where codes are 0). */
  blockOf(x: number, y: number, z: number): number {
    const fx = (x - this.ox) * this.invSize, fy = (y - this.oy) * this.invSize, fz = (z - this.oz) * this.invSize;
    if (!(fx >= 0 && fy >= 0 && fz >= 0 && fx < this.nx && fy < this.ny && fz < this.nz)) return -1;
    return ((fx | 0) >> BLOCK_SHIFT) + this.bx * (((fy | 0) >> BLOCK_SHIFT) + this.by * ((fz | 0) >> BLOCK_SHIFT));
  }

  /**
   * Closest triangle to (x, y, z) strictly within the cutoff, written to `hit` (triangle, squared distance,
   * closest point), or hit.triangle = -1 when the code there is 0 anyway (no region triangle can be the closest
   * one within the cutoff). Non-region triangles may still be returned; their code is 0.
   */
  closest(x: number, y: number, z: number, hit: ClosestHit): void {
    const fx = (x - this.ox) * this.invSize, fy = (y - this.oy) * this.invSize, fz = (z - this.oz) * this.invSize;
    // Negated comparisons so NaN coordinates land here too (code 0, as the BVH search gives them).
    if (!(fx >= 0 && fy >= 0 && fz >= 0 && fx < this.nx && fy < this.ny && fz < this.nz)) { hit.triangle = -1; return; }
    const ix = fx | 0, iy = fy | 0, iz = fz | 0;
    const block = (ix >> BLOCK_SHIFT) + this.bx * ((iy >> BLOCK_SHIFT) + this.by * (iz >> BLOCK_SHIFT));
    let state = this.blocks[block]!;
    if (state === BLOCK_UNKNOWN) state = this.classifyBlock(block, ix >> BLOCK_SHIFT, iy >> BLOCK_SHIFT, iz >> BLOCK_SHIFT);
    if (state === BLOCK_ZERO) { hit.triangle = -1; return; }
    const v = ix + this.nx * (iy + this.ny * iz);
    let slot = this.voxels[v]!;
    if (slot < BUILD_NOW) {
      this.voxels[v] = slot + 1;
      this.searchBvh(x, y, z, hit);
      return;
    }
    if (slot === BUILD_NOW) slot = this.buildVoxel(v, ix, iy, iz);
    if (slot === ZERO) { hit.triangle = -1; return; }
    if (slot === BVH_ONLY) { this.searchBvh(x, y, z, hit); return; }
    const cx = this.ox + (ix + 0.5) * this.size, cy = this.oy + (iy + 0.5) * this.size, cz = this.oz + (iz + 0.5) * this.size;
    const e = Math.sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy) + (z - cz) * (z - cz));
    const n = this.tris[slot]!;
    const tris = this.tris, keys = this.keys, c = this.corners, q = this.q, box = this.boxes;
    let bestSq = this.cutoff * this.cutoff;
    // The scan stops once k - e exceeds this: best distance plus a little, for rounding in k and e.
    let stop = this.cutoff + 1e-12 + e;
    let best = -1, hx = NaN, hy = NaN, hz = NaN;
    const width = keys[slot]!;
    for (let j = slot + 1; j <= slot + n; j++) {
      const key = keys[j]!;
      // Entries are in buckets by key: past `stop` by a bucket width, every later entry is past it too.
      if (key > stop) {
        if (key > stop + width) break;
        continue;
      }
      const t = tris[j]!;
      // Box distance first: a tighter lower bound than k - e for triangles off to the side, at a third of the cost.
      if (pointBoxDistanceSq(box, 6 * t, x, y, z) >= bestSq) continue;
      const o = 9 * t;
      const d = closestPointOnTriangle(x, y, z, c[o]!, c[o + 1]!, c[o + 2]!, c[o + 3]!, c[o + 4]!, c[o + 5]!, c[o + 6]!, c[o + 7]!, c[o + 8]!, q);
      if (d < bestSq) {
        bestSq = d; best = t;
        hx = q[0]!; hy = q[1]!; hz = q[2]!;
        stop = Math.sqrt(d) + 1e-12 + e;
      }
    }
    this.prev = best;
    hit.triangle = best;
    hit.distanceSq = best >= 0 ? bestSq : Infinity;
    hit.x = hx; hit.y = hy; hit.z = hz;
  }

  /** The plain search, bounded by the cutoff and by the previous query's triangle (usually a neighbour's). */
  private searchBvh(x: number, y: number, z: number, hit: ClosestHit): void {
    let bound = this.cutoff * this.cutoff;
    if (this.prev >= 0) {
      const c = this.corners, f = 9 * this.prev;
      const d = closestPointOnTriangle(x, y, z, c[f]!, c[f + 1]!, c[f + 2]!, c[f + 3]!, c[f + 4]!, c[f + 5]!, c[f + 6]!, c[f + 7]!, c[f + 8]!, this.q);
      // Nudged up so that triangle itself is still found (the BVH reports only hits strictly below the bound).
      const nudged = d * (1 + 1e-9) + 1e-30;
      if (nudged < bound) bound = nudged;
    }
    this.bvh.closestPoint(x, y, z, hit, bound);
    this.prev = hit.triangle;
  }

  /**
   * R of a cell (centre c, half-diagonal h): no triangle that can be the closest one within the cutoff of a point
   * of the cell is farther than this from c.
   */
  private reach(cx: number, cy: number, cz: number, h: number): number {
    // D only matters below cutoff - h (beyond, R is cutoff + h either way), which bounds the search.
    const bound = this.cutoff - h;
    let D = Infinity;
    if (bound > 0) {
      this.bvh.closestPoint(cx, cy, cz, this.probe, bound * bound);
      if (this.probe.triangle >= 0) D = Math.sqrt(this.probe.distanceSq);
    }
    this.reachDistance = D;
    return Math.min(D + 2 * h, this.cutoff + h) * (1 + SLACK);
  }

  private anyRegionWithin(cx: number, cy: number, cz: number, r: number): boolean {
    this.regionBvh!.closestPoint(cx, cy, cz, this.probe, r * r);
    return this.probe.triangle >= 0;
  }

  private classifyBlock(block: number, i: number, j: number, k: number): number {
    const s = BLOCK * this.size;
    const cx = this.ox + (i + 0.5) * s, cy = this.oy + (j + 0.5) * s, cz = this.oz + (k + 0.5) * s;
    const state = this.anyRegionWithin(cx, cy, cz, this.reach(cx, cy, cz, this.blockHalf)) ? BLOCK_MIXED : BLOCK_ZERO;
    this.blocks[block] = state;
    return state;
  }

  private buildVoxel(v: number, i: number, j: number, k: number): number {
    const cx = this.ox + (i + 0.5) * this.size, cy = this.oy + (j + 0.5) * this.size, cz = this.oz + (k + 0.5) * this.size;
    const r = this.reach(cx, cy, cz, this.half);
    // Far from the mesh a list would be long (the shell between D and D + 2h meets much of the surface) and
    // seldom reused: those voxels only get the zero test, and their points the BVH.
    if (this.reachDistance > this.listDistance) {
      const state = this.anyRegionWithin(cx, cy, cz, r) ? BVH_ONLY : ZERO;
      this.voxels[v] = state;
      return state;
    }
    const n = this.bvh.trianglesNear(cx, cy, cz, r * r, this.scratchTris, this.scratchD2);
    let regionHits = 0;
    for (let a = 0; a < n; a++) regionHits += this.region[this.scratchTris[a]!]!;
    if (regionHits === 0) {
      this.voxels[v] = ZERO;
      return ZERO;
    }
    if (this.used + n + 1 > this.tris.length) {
      let capacity = 2 * this.tris.length;
      while (this.used + n + 1 > capacity) capacity *= 2;
      const tris = new Int32Array(capacity); tris.set(this.tris.subarray(0, this.used)); this.tris = tris;
      const keys = new Float64Array(capacity); keys.set(this.keys.subarray(0, this.used)); this.keys = keys;
    }
    const slot = this.used;
    this.tris[slot] = n;
    // Bucket order by key (a counting sort: O(n), where a full sort was the dearest part of a build). The scan
    // only needs "no later entry has a key below this one's bucket floor": keys[slot] holds the bucket width.
    const d2 = this.scratchD2, t = this.scratchTris, counts = this.bucketCounts, bucketOf = this.scratchBucket;
    let kmin = Infinity, kmax = -Infinity;
    for (let a = 0; a < n; a++) {
      const key = Math.sqrt(d2[a]!);
      d2[a] = key;
      if (key < kmin) kmin = key;
      if (key > kmax) kmax = key;
    }
    const width = (kmax - kmin) / BUCKETS;
    const scale = width > 0 ? 1 / width : 0;
    counts.fill(0);
    for (let a = 0; a < n; a++) {
      let b = ((d2[a]! - kmin) * scale) | 0;
      if (b >= BUCKETS) b = BUCKETS - 1;
      bucketOf[a] = b;
      counts[b]!++;
    }
    for (let b = 0, at = slot + 1; b < BUCKETS; b++) { const c = counts[b]!; counts[b] = at; at += c; }
    const tris = this.tris, keys = this.keys;
    for (let a = 0; a < n; a++) {
      const at = counts[bucketOf[a]!]!++;
      tris[at] = t[a]!;
      keys[at] = d2[a]!;
    }
    // Slack for rounding in the bucket assignment.
    this.keys[slot] = width * (1 + 1e-9) + 1e-15;
    this.used += n + 1;
    this.voxels[v] = slot;
    return slot;
  }
}
