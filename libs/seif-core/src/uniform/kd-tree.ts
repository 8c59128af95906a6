/**
 * Public API. A static k-d tree over 3D points (flat typed arrays, no node objects): k-nearest queries bounded by a
 * radius, with an optional per-candidate predicate. Uniformization searches it in code space (semantic codes are
 * 3D), hair skinning in frame space.
 *
 * Layout: the points are permuted so that every subtree is a contiguous run [lo, hi) whose median element (at
 * (lo + hi) >> 1) is the node; `axis` holds that node's split axis. The tree therefore needs no child pointers,
 * and a query is a loop over an explicit stack of ranges (no recursion, no allocation).
 */

export class KdTree3 {
  /** Number of points in the tree. */
  readonly size: number;
  /** Original index of each slot. */
  private readonly index: Uint32Array;
  /** Coordinates in slot order (3 per slot), so a query walks memory in tree order. */
  private readonly xyz: Float64Array;
  /** Split axis of the node at each slot (0, 1, 2). */
  private readonly axis: Uint8Array;
  /** Range stack: lo, hi, and the squared distance from the query to the splitting plane that led here. */
  private readonly stackRange: Int32Array;
  private readonly stackDistSq: Float64Array;

  /**
   * `points`: n x 3 coordinates. `subset`: the indices of `points` to include (default all); queries report the
   * original indices.
   */
  constructor(points: ArrayLike<number>, subset?: ArrayLike<number>) {
    const n = subset ? subset.length : points.length / 3;
    this.size = n;
    const index = new Uint32Array(n);
    for (let i = 0; i < n; i++) index[i] = subset ? subset[i]! : i;
    const xyz = new Float64Array(3 * n);
    const axis = new Uint8Array(n);
    // Build on a work stack of ranges; each range picks its widest axis and quickselects the median into place.
    const work: number[] = [0, n];
    while (work.length > 0) {
      const hi = work.pop()!;
      const lo = work.pop()!;
      if (hi - lo <= 0) continue;
      let x0 = Infinity, y0 = Infinity, z0 = Infinity, x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
      for (let s = lo; s < hi; s++) {
        const p = 3 * index[s]!;
        const x = points[p]!, y = points[p + 1]!, z = points[p + 2]!;
        if (x < x0) x0 = x; if (x > x1) x1 = x;
        if (y < y0) y0 = y; if (y > y1) y1 = y;
        if (z < z0) z0 = z; if (z > z1) z1 = z;
      }
      const ex = x1 - x0, ey = y1 - y0, ez = z1 - z0;
      const a = ex >= ey && ex >= ez ? 0 : ey >= ez ? 1 : 2;
      const mid = (lo + hi) >> 1;
      quickselect(index, points, a, lo, hi - 1, mid);
      axis[mid] = a;
      work.push(lo, mid, mid + 1, hi);
    }
    for (let s = 0; s < n; s++) {
      const p = 3 * index[s]!;
      xyz[3 * s] = points[p]!;
      xyz[3 * s + 1] = points[p + 1]!;
      xyz[3 * s + 2] = points[p + 2]!;
    }
    this.index = index;
    this.xyz = xyz;
    this.axis = axis;
    // A balanced tree is ~log2(n) deep; each level pushes at most one pending range.
    const depth = 2 * Math.ceil(Math.log2(n + 2)) + 8;
    this.stackRange = new Int32Array(2 * depth);
    this.stackDistSq = new Float64Array(depth);
  }

  /**
   * The (up to) k points nearest to (x, y, z) with squared distance < `maxDistSq` for which `accept(index)` (when
   * given) is true, nearest first: original indices into `outIndex`, squared distances into `outDistSq` (both at
   * least k long). Returns how many were found.
   */
  nearest(
    x: number, y: number, z: number, k: number, maxDistSq: number,
    outIndex: Int32Array | Uint32Array, outDistSq: Float64Array, accept?: (index: number) => boolean,
  ): number {
    if (this.size === 0 || k <= 0) return 0;
    const P = this.xyz;
    let found = 0;
    // The pruning bound: the k-th best so far once k are held, else the caller's radius.
    let bound = maxDistSq;
    const ranges = this.stackRange;
    const planes = this.stackDistSq;
    let sp = 0;
    ranges[0] = 0; ranges[1] = this.size; planes[0] = 0; sp = 1;
    while (sp > 0) {
      sp--;
      if (planes[sp]! >= bound) continue;
      let lo = ranges[2 * sp]!, hi = ranges[2 * sp + 1]!;
      // Descend toward the query, pushing the far side with its plane distance.
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const o = 3 * mid;
        const dx = P[o]! - x, dy = P[o + 1]! - y, dz = P[o + 2]! - z;
        const d = dx * dx + dy * dy + dz * dz;
        if (d < bound) {
          const original = this.index[mid]!;
          if (!accept || accept(original)) {
            // Insertion into the sorted k-best list (k is small: 4-16).
            let slot = found < k ? found++ : k - 1;
            while (slot > 0 && outDistSq[slot - 1]! > d) {
              outDistSq[slot] = outDistSq[slot - 1]!;
              outIndex[slot] = outIndex[slot - 1]!;
              slot--;
            }
            outDistSq[slot] = d;
            outIndex[slot] = original;
            if (found === k) bound = Math.min(maxDistSq, outDistSq[k - 1]!);
          }
        }
        const a = this.axis[mid]!;
        const diff = (a === 0 ? x : a === 1 ? y : z) - P[o + a]!;
        const planeSq = diff * diff;
        if (diff < 0) {
          if (planeSq < bound && mid + 1 < hi) { ranges[2 * sp] = mid + 1; ranges[2 * sp + 1] = hi; planes[sp] = planeSq; sp++; }
          hi = mid;
        } else {
          if (planeSq < bound && lo < mid) { ranges[2 * sp] = lo; ranges[2 * sp + 1] = mid; planes[sp] = planeSq; sp++; }
          lo = mid + 1;
        }
      }
    }
    return found;
  }
}

/** Reorders index[lo..hi] so index[nth] holds the median on `axis`, smaller before it and larger after (Hoare). */
function quickselect(index: Uint32Array, points: ArrayLike<number>, axis: number, lo: number, hi: number, nth: number): void {
  while (lo < hi) {
    const pivot = points[3 * index[(lo + hi) >> 1]! + axis]!;
    let i = lo, j = hi;
    while (i <= j) {
      while (points[3 * index[i]! + axis]! < pivot) i++;
      while (points[3 * index[j]! + axis]! > pivot) j--;
      if (i <= j) {
        const t = index[i]!; index[i] = index[j]!; index[j] = t;
        i++; j--;
      }
    }
    if (nth <= j) hi = j;
    else if (nth >= i) lo = i;
    else return;
  }
}
