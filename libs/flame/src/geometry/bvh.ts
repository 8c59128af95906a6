/**
 * Public API (`@seif/flame/geometry/bvh`; a subpath, not in the index). Closest point on a triangle mesh: a bounding-volume hierarchy over
 * triangles in flat typed arrays (no objects per node or triangle), built by median split on the longest centroid
 * axis, queried depth-first, nearer child first, pruned by the squared distance to each node's box.
 *
 * Lives in @seif/flame so that both @seif/eval (metrics) and @seif/core (the SeIF semantic field) use one copy:
 * @seif/eval already depends on @seif/core, so the core could not import it from there. Moved from
 * libs/eval/src/bvh.ts, which re-exports it.
 *
 * Why not three-mesh-bvh: it wants a three.js BufferGeometry and returns Vector3 hit objects; our meshes are
 * already flat Float64Array/Uint32Array and the query loop is a few dozen lines, so a dependency bought nothing.
 */

const LEAF_SIZE = 8;

export interface ClosestHit {
  /** Squared distance to the surface. */
  distanceSq: number;
  /** Triangle index. */
  triangle: number;
  /** Closest point. */
  x: number;
  y: number;
  z: number;
}

// Scratch result of closestPointOnTriangle: module scope, so queries allocate nothing.
const _p = new Float64Array(3);

/**
 * Closest point to p on triangle (a, b, c) (Ericson, Real-Time Collision Detection, 5.1.5), written to `out`;
 * returns the squared distance. Degenerate triangles (segments, points) give the right answer too.
 */
export function closestPointOnTriangle(
  px: number, py: number, pz: number,
  ax: number, ay: number, az: number,
  bx: number, by: number, bz: number,
  cx: number, cy: number, cz: number,
  out: Float64Array,
): number {
  const abx = bx - ax, aby = by - ay, abz = bz - az;
  const acx = cx - ax, acy = cy - ay, acz = cz - az;
  const apx = px - ax, apy = py - ay, apz = pz - az;
  const d1 = abx * apx + aby * apy + abz * apz;
  const d2 = acx * apx + acy * apy + acz * apz;
  let rx: number, ry: number, rz: number;
  if (d1 <= 0 && d2 <= 0) {
    rx = ax; ry = ay; rz = az;
  } else {
    const bpx = px - bx, bpy = py - by, bpz = pz - bz;
    const d3 = abx * bpx + aby * bpy + abz * bpz;
    const d4 = acx * bpx + acy * bpy + acz * bpz;
    if (d3 >= 0 && d4 <= d3) {
      rx = bx; ry = by; rz = bz;
    } else {
      const vc = d1 * d4 - d3 * d2;
      if (vc <= 0 && d1 >= 0 && d3 <= 0) {
        const v = d1 / (d1 - d3);
        rx = ax + v * abx; ry = ay + v * aby; rz = az + v * abz;
      } else {
        const cpx = px - cx, cpy = py - cy, cpz = pz - cz;
        const d5 = abx * cpx + aby * cpy + abz * cpz;
        const d6 = acx * cpx + acy * cpy + acz * cpz;
        if (d6 >= 0 && d5 <= d6) {
          rx = cx; ry = cy; rz = cz;
        } else {
          const vb = d5 * d2 - d1 * d6;
          if (vb <= 0 && d2 >= 0 && d6 <= 0) {
            const w = d2 / (d2 - d6);
            rx = ax + w * acx; ry = ay + w * acy; rz = az + w * acz;
          } else {
            const va = d3 * d6 - d5 * d4;
            if (va <= 0 && d4 - d3 >= 0 && d5 - d6 >= 0) {
              const w = (d4 - d3) / (d4 - d3 + (d5 - d6));
              rx = bx + w * (cx - bx); ry = by + w * (cy - by); rz = bz + w * (cz - bz);
            } else {
              const denom = va + vb + vc;
              if (denom === 0) {
                // Degenerate (zero-area) triangle reaching here: nearest vertex is a safe, defined answer.
                const da = apx * apx + apy * apy + apz * apz;
                const db = bpx * bpx + bpy * bpy + bpz * bpz;
                const dc = cpx * cpx + cpy * cpy + cpz * cpz;
                if (da <= db && da <= dc) { rx = ax; ry = ay; rz = az; }
                else if (db <= dc) { rx = bx; ry = by; rz = bz; }
                else { rx = cx; ry = cy; rz = cz; }
              } else {
                const v = vb / denom;
                const w = vc / denom;
                rx = ax + abx * v + acx * w; ry = ay + aby * v + acy * w; rz = az + abz * v + acz * w;
              }
            }
          }
        }
      }
    }
  }
  out[0] = rx; out[1] = ry; out[2] = rz;
  const dx = px - rx, dy = py - ry, dz = pz - rz;
  return dx * dx + dy * dy + dz * dz;
}

/**
 * Squared distance from (x, y, z) to the axis-aligned box stored at boxes[o .. o + 5] as (min x, y, z, max x, y, z);
 * 0 inside. The cheap lower bound the closest-point searches test before the exact triangle distance.
 */
export function pointBoxDistanceSq(boxes: ArrayLike<number>, o: number, x: number, y: number, z: number): number {
  const dx = x < boxes[o]! ? boxes[o]! - x : x > boxes[o + 3]! ? x - boxes[o + 3]! : 0;
  const dy = y < boxes[o + 1]! ? boxes[o + 1]! - y : y > boxes[o + 4]! ? y - boxes[o + 4]! : 0;
  const dz = z < boxes[o + 2]! ? boxes[o + 2]! - z : z > boxes[o + 5]! ? z - boxes[o + 5]! : 0;
  return dx * dx + dy * dy + dz * dz;
}

export class TriangleBvh {
  /** Per node: min xyz, max xyz. */
  private readonly boxes: Float64Array;
  /** Per node: left child (internal) or first triangle slot (leaf). */
  private readonly first: Int32Array;
  /** Per node: -1 for internal nodes, else the triangle count of the leaf. */
  private readonly count: Int32Array;
  /** Triangle indices, reordered so each leaf owns a contiguous run. */
  private readonly order: Uint32Array;
  /** Triangle corners, 9 per triangle, in `order`'s order (cache-friendly leaves). */
  private readonly corners: Float64Array;
  /** Per triangle slot (`order`'s order): min xyz, max xyz of its corners. */
  private readonly triangleBoxes: Float64Array;
  private readonly right: Int32Array;
  private readonly stack: Int32Array;
  private readonly stackDistance: Float64Array;
  readonly triangleCount: number;

  constructor(positions: ArrayLike<number>, indices: ArrayLike<number>) {
    const m = indices.length / 3;
    if (m < 1) throw new RangeError('TriangleBvh: the mesh has no triangles');
    this.triangleCount = m;
    const centroid = new Float64Array(3 * m);
    for (let f = 0; f < m; f++) {
      for (let k = 0; k < 3; k++) {
        centroid[3 * f + k] = (positions[3 * indices[3 * f]! + k]! + positions[3 * indices[3 * f + 1]! + k]! + positions[3 * indices[3 * f + 2]! + k]!) / 3;
      }
    }
    const order = new Uint32Array(m);
    for (let f = 0; f < m; f++) order[f] = f;
    const maxNodes = 2 * Math.ceil(m / (LEAF_SIZE / 2)) + 1;
    const boxes = new Float64Array(6 * maxNodes);
    const first = new Int32Array(maxNodes);
    const count = new Int32Array(maxNodes);
    // Right child of internal nodes (the left child is in `first`).
    const rightChild = new Int32Array(maxNodes);
    let nodes = 0;
    const build = (start: number, end: number, depth: number): number => {
      const node = nodes++;
      let x0 = Infinity, y0 = Infinity, z0 = Infinity, x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
      let c0x = Infinity, c0y = Infinity, c0z = Infinity, c1x = -Infinity, c1y = -Infinity, c1z = -Infinity;
      for (let s = start; s < end; s++) {
        const f = order[s]!;
        for (let k = 0; k < 3; k++) {
          const v = 3 * indices[3 * f + k]!;
          const x = positions[v]!, y = positions[v + 1]!, z = positions[v + 2]!;
          if (x < x0) x0 = x; if (x > x1) x1 = x;
          if (y < y0) y0 = y; if (y > y1) y1 = y;
          if (z < z0) z0 = z; if (z > z1) z1 = z;
        }
        const cx = centroid[3 * f]!, cy = centroid[3 * f + 1]!, cz = centroid[3 * f + 2]!;
        if (cx < c0x) c0x = cx; if (cx > c1x) c1x = cx;
        if (cy < c0y) c0y = cy; if (cy > c1y) c1y = cy;
        if (cz < c0z) c0z = cz; if (cz > c1z) c1z = cz;
      }
      boxes.set([x0, y0, z0, x1, y1, z1], 6 * node);
      const n = end - start;
      const ex = c1x - c0x, ey = c1y - c0y, ez = c1z - c0z;
      if (n <= LEAF_SIZE || depth > 60 || Math.max(ex, ey, ez) <= 0) {
        first[node] = start;
        count[node] = n;
        return node;
      }
      const axis = ex >= ey && ex >= ez ? 0 : ey >= ez ? 1 : 2;
      const mid = (start + end) >> 1;
      // Partial sort (quickselect) of order[start, end) on the axis so the median sits at `mid`.
      let lo = start, hi = end - 1;
      while (lo < hi) {
        const pivot = centroid[3 * order[(lo + hi) >> 1]! + axis]!;
        let i = lo, j = hi;
        while (i <= j) {
          while (centroid[3 * order[i]! + axis]! < pivot) i++;
          while (centroid[3 * order[j]! + axis]! > pivot) j--;
          if (i <= j) {
            const t = order[i]!; order[i] = order[j]!; order[j] = t;
            i++; j--;
          }
        }
        if (mid <= j) hi = j;
        else if (mid >= i) lo = i;
        else break;
      }
      count[node] = -1;
      const left = build(start, mid, depth + 1);
      const right = build(mid, end, depth + 1);
      first[node] = left;
      rightChild[node] = right;
      return node;
    };
    build(0, m, 0);
    this.boxes = boxes.slice(0, 6 * nodes);
    this.first = first.slice(0, nodes);
    this.count = count.slice(0, nodes);
    this.right = rightChild.slice(0, nodes);
    this.order = order;
    this.corners = new Float64Array(9 * m);
    for (let s = 0; s < m; s++) {
      const f = order[s]!;
      for (let k = 0; k < 3; k++) {
        const v = 3 * indices[3 * f + k]!;
        this.corners[9 * s + 3 * k] = positions[v]!;
        this.corners[9 * s + 3 * k + 1] = positions[v + 1]!;
        this.corners[9 * s + 3 * k + 2] = positions[v + 2]!;
      }
    }
    this.triangleBoxes = new Float64Array(6 * m);
    for (let s = 0; s < m; s++) {
      for (let k = 0; k < 3; k++) {
        const a = this.corners[9 * s + k]!, b = this.corners[9 * s + 3 + k]!, cc = this.corners[9 * s + 6 + k]!;
        this.triangleBoxes[6 * s + k] = Math.min(a, b, cc);
        this.triangleBoxes[6 * s + 3 + k] = Math.max(a, b, cc);
      }
    }
    this.stack = new Int32Array(256);
    this.stackDistance = new Float64Array(256);
  }

  private boxDistanceSq(node: number, x: number, y: number, z: number): number {
    return pointBoxDistanceSq(this.boxes, 6 * node, x, y, z);
  }

  /**
   * Closest surface point to (x, y, z). Writes into `out` (reuse one object across calls) and returns it.
   * `maxDistanceSq` bounds the search (hits farther away are not reported: distanceSq stays Infinity).
   */
  closestPoint(x: number, y: number, z: number, out: ClosestHit = { distanceSq: Infinity, triangle: -1, x: NaN, y: NaN, z: NaN }, maxDistanceSq = Infinity): ClosestHit {
    let best = maxDistanceSq;
    let bestSlot = -1;
    let bx = NaN, by = NaN, bz = NaN;
    const stack = this.stack;
    // Each pushed node's box distance, computed once when its parent is expanded (not again when popped).
    const stackDistance = this.stackDistance;
    const c = this.corners;
    const tb = this.triangleBoxes;
    let sp = 0;
    stack[sp] = 0;
    stackDistance[sp++] = this.boxDistanceSq(0, x, y, z);
    while (sp > 0) {
      const node = stack[--sp]!;
      if (stackDistance[sp]! >= best) continue;
      const n = this.count[node]!;
      if (n >= 0) {
        const start = this.first[node]!;
        for (let s = start; s < start + n; s++) {
          // The triangle's own box first: a lower bound on its distance at a fraction of the exact test's cost.
          if (pointBoxDistanceSq(tb, 6 * s, x, y, z) >= best) continue;
          const o = 9 * s;
          const d = closestPointOnTriangle(x, y, z, c[o]!, c[o + 1]!, c[o + 2]!, c[o + 3]!, c[o + 4]!, c[o + 5]!, c[o + 6]!, c[o + 7]!, c[o + 8]!, _p);
          if (d < best) {
            best = d;
            bestSlot = s;
            bx = _p[0]!; by = _p[1]!; bz = _p[2]!;
          }
        }
      } else {
        const l = this.first[node]!;
        const r = this.right[node]!;
        const dl = this.boxDistanceSq(l, x, y, z);
        const dr = this.boxDistanceSq(r, x, y, z);
        // Push the farther child first so the nearer one is popped (and tightens `best`) first.
        if (dl <= dr) {
          if (dr < best) { stack[sp] = r; stackDistance[sp++] = dr; }
          if (dl < best) { stack[sp] = l; stackDistance[sp++] = dl; }
        } else {
          if (dl < best) { stack[sp] = l; stackDistance[sp++] = dl; }
          if (dr < best) { stack[sp] = r; stackDistance[sp++] = dr; }
        }
      }
    }
    out.distanceSq = bestSlot >= 0 ? best : Infinity;
    out.triangle = bestSlot >= 0 ? this.order[bestSlot]! : -1;
    out.x = bx;
    out.y = by;
    out.z = bz;
    return out;
  }

  /**
   * Every triangle whose bounding box is strictly closer than sqrt(maxDistanceSq) to (x, y, z), in no particular
   * order: triangle indices into `triangles`, squared distances to their boxes into `distancesSq` (each needs room
   * for the hits; triangleCount always suffices). Returns the count. A superset of the triangles within that
   * distance, and each box distance a lower bound of its triangle's: enough for a caller that precomputes the
   * candidates of a whole cell of space (the semantic field's voxel cache), and cheaper than exact distances.
   */
  trianglesNear(x: number, y: number, z: number, maxDistanceSq: number, triangles: Int32Array, distancesSq: Float64Array): number {
    const stack = this.stack;
    const tb = this.triangleBoxes;
    let found = 0;
    let sp = 0;
    if (this.boxDistanceSq(0, x, y, z) < maxDistanceSq) stack[sp++] = 0;
    while (sp > 0) {
      const node = stack[--sp]!;
      const n = this.count[node]!;
      if (n >= 0) {
        const start = this.first[node]!;
        for (let s = start; s < start + n; s++) {
          const o = 6 * s;
          const ex = x < tb[o]! ? tb[o]! - x : x > tb[o + 3]! ? x - tb[o + 3]! : 0;
          const ey = y < tb[o + 1]! ? tb[o + 1]! - y : y > tb[o + 4]! ? y - tb[o + 4]! : 0;
          const ez = z < tb[o + 2]! ? tb[o + 2]! - z : z > tb[o + 5]! ? z - tb[o + 5]! : 0;
          const d = ex * ex + ey * ey + ez * ez;
          if (d < maxDistanceSq) {
            triangles[found] = this.order[s]!;
            distancesSq[found++] = d;
          }
        }
      } else {
        const l = this.first[node]!, r = this.right[node]!;
        if (this.boxDistanceSq(r, x, y, z) < maxDistanceSq) stack[sp++] = r;
        if (this.boxDistanceSq(l, x, y, z) < maxDistanceSq) stack[sp++] = l;
      }
    }
    return found;
  }
}
