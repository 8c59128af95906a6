/**
 * Geometry kernels for the ICT -> FLAME transfer: closest point on a triangle (with barycentrics), a uniform
 * grid over triangles for nearest-surface queries, Umeyama similarity and Kabsch rotation (3x3 SVD through the
 * symmetric eigen-decomposition of a 4x4 quaternion matrix, Horn 1987), adjacency and vertex normals.
 * Scratch arrays live at module scope; callers pass `out` targets (three.js habit).
 */

export type Vec3 = [number, number, number];
/** Row-major 3x3. */
export type Mat3 = [number, number, number, number, number, number, number, number, number];

export interface Similarity {
  /** Row-major rotation. */
  rotation: Mat3;
  scale: number;
  translation: Vec3;
}

export function applySimilarity(s: Similarity, points: ArrayLike<number>, out: Float64Array): Float64Array {
  const r = s.rotation;
  for (let i = 0; i < points.length; i += 3) {
    const x = points[i] as number, y = points[i + 1] as number, z = points[i + 2] as number;
    out[i] = s.scale * (r[0] * x + r[1] * y + r[2] * z) + s.translation[0];
    out[i + 1] = s.scale * (r[3] * x + r[4] * y + r[5] * z) + s.translation[1];
    out[i + 2] = s.scale * (r[6] * x + r[7] * y + r[8] * z) + s.translation[2];
  }
  return out;
}

/** Rotation maximising sum w * (R a_i) . b_i for centred point sets (Horn's quaternion method). */
function bestRotation(cov: number[]): Mat3 {
  // cov[3*i+j] = sum a_i b_j.
  const [sxx, sxy, sxz, syx, syy, syz, szx, szy, szz] = cov as Mat3;
  const n = [
    [sxx + syy + szz, syz - szy, szx - sxz, sxy - syx],
    [syz - szy, sxx - syy - szz, sxy + syx, szx + sxz],
    [szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy],
    [sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz],
  ];
  const q = largestEigenvector4(n);
  const [w, x, y, z] = q;
  return [
    w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z,
  ];
}

/** Jacobi eigen-decomposition of a symmetric 4x4; returns the unit eigenvector of the largest eigenvalue. */
function largestEigenvector4(input: number[][]): [number, number, number, number] {
  const a = input.map((row) => [...row]);
  const v: number[][] = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j): number => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < 4; p++) for (let q = p + 1; q < 4; q++) off += (a[p]![q] as number) ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < 4; p++) {
      for (let q = p + 1; q < 4; q++) {
        const apq = a[p]![q] as number;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = ((a[q]![q] as number) - (a[p]![p] as number)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < 4; k++) {
          const akp = a[k]![p] as number, akq = a[k]![q] as number;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < 4; k++) {
          const apk = a[p]![k] as number, aqk = a[q]![k] as number;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
        for (let k = 0; k < 4; k++) {
          const vkp = v[k]![p] as number, vkq = v[k]![q] as number;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i < 4; i++) if ((a[i]![i] as number) > (a[best]![best] as number)) best = i;
  const q = [0, 1, 2, 3].map((k) => v[k]![best] as number);
  const norm = Math.hypot(...q);
  return q.map((x) => x / norm) as [number, number, number, number];
}

/**
 * Similarity (rotation, uniform scale, translation) taking `source` points onto `target` in the least-squares
 * sense (Umeyama 1991), optional per-point weights. With `allowScale` false it is Kabsch (scale 1).
 */
export function fitSimilarity(source: ArrayLike<number>, target: ArrayLike<number>, weights?: ArrayLike<number>, allowScale = true): Similarity {
  const n = source.length / 3;
  const ca = [0, 0, 0];
  const cb = [0, 0, 0];
  let wsum = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? (weights[i] as number) : 1;
    wsum += w;
    for (let k = 0; k < 3; k++) {
      ca[k] = (ca[k] as number) + w * (source[i * 3 + k] as number);
      cb[k] = (cb[k] as number) + w * (target[i * 3 + k] as number);
    }
  }
  for (let k = 0; k < 3; k++) {
    ca[k] = (ca[k] as number) / wsum;
    cb[k] = (cb[k] as number) / wsum;
  }
  const cov = new Array<number>(9).fill(0);
  let varA = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? (weights[i] as number) : 1;
    for (let r = 0; r < 3; r++) {
      const a = (source[i * 3 + r] as number) - (ca[r] as number);
      varA += w * a * a;
      for (let c = 0; c < 3; c++) cov[r * 3 + c] = (cov[r * 3 + c] as number) + w * a * ((target[i * 3 + c] as number) - (cb[c] as number));
    }
  }
  const rotation = bestRotation(cov);
  let scale = 1;
  if (allowScale) {
    // scale = trace(R^T-applied covariance) / var(source): sum over r,c of R[c][r] * cov[r][c].
    let trace = 0;
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) trace += (rotation[c * 3 + r] as number) * (cov[r * 3 + c] as number);
    scale = trace / varA;
  }
  const rc = (r: number) => (rotation[r * 3] as number) * (ca[0] as number) + (rotation[r * 3 + 1] as number) * (ca[1] as number) + (rotation[r * 3 + 2] as number) * (ca[2] as number);
  const rca = [rc(0), rc(1), rc(2)];
  const translation: Vec3 = [0, 1, 2].map((k) => (cb[k] as number) - scale * (rca[k] as number)) as Vec3;
  return { rotation, scale, translation };
}

export function mat3Multiply(a: Mat3, b: Mat3): Mat3 {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[r * 3 + c] = (out[r * 3 + c] as number) + (a[r * 3 + k] as number) * (b[k * 3 + c] as number);
  return out as Mat3;
}

export function mat3Transpose(a: Mat3): Mat3 {
  return [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]];
}

/** Axis (unit) and angle (radians) of a rotation matrix. */
export function rotationAxisAngle(r: Mat3): { axis: Vec3; angle: number } {
  const angle = Math.acos(Math.max(-1, Math.min(1, (r[0] + r[4] + r[8] - 1) / 2)));
  const axis: Vec3 = [r[7] - r[5], r[2] - r[6], r[3] - r[1]];
  const length = Math.hypot(...axis);
  if (length < 1e-12) return { axis: [1, 0, 0], angle: 0 };
  return { axis: axis.map((x) => x / length) as Vec3, angle };
}

const _closest = new Float64Array(5);
/**
 * Closest point on triangle abc to p (Ericson, Real-Time Collision Detection 5.1.5). Writes
 * [squaredDistance, u, v, w, 0] into `out` with the point = u a + v b + w c.
 */
export function closestPointOnTriangle(
  px: number, py: number, pz: number,
  ax: number, ay: number, az: number,
  bx: number, by: number, bz: number,
  cx: number, cy: number, cz: number,
  out: Float64Array = _closest,
): Float64Array {
  const abx = bx - ax, aby = by - ay, abz = bz - az;
  const acx = cx - ax, acy = cy - ay, acz = cz - az;
  const apx = px - ax, apy = py - ay, apz = pz - az;
  const d1 = abx * apx + aby * apy + abz * apz;
  const d2 = acx * apx + acy * apy + acz * apz;
  let u: number, v: number, w: number;
  if (d1 <= 0 && d2 <= 0) {
    u = 1; v = 0; w = 0;
  } else {
    const bpx = px - bx, bpy = py - by, bpz = pz - bz;
    const d3 = abx * bpx + aby * bpy + abz * bpz;
    const d4 = acx * bpx + acy * bpy + acz * bpz;
    if (d3 >= 0 && d4 <= d3) {
      u = 0; v = 1; w = 0;
    } else {
      const vc = d1 * d4 - d3 * d2;
      if (vc <= 0 && d1 >= 0 && d3 <= 0) {
        const t = d1 / (d1 - d3);
        u = 1 - t; v = t; w = 0;
      } else {
        const cpx = px - cx, cpy = py - cy, cpz = pz - cz;
        const d5 = abx * cpx + aby * cpy + abz * cpz;
        const d6 = acx * cpx + acy * cpy + acz * cpz;
        if (d6 >= 0 && d5 <= d6) {
          u = 0; v = 0; w = 1;
        } else {
          const vb = d5 * d2 - d1 * d6;
          if (vb <= 0 && d2 >= 0 && d6 <= 0) {
            const t = d2 / (d2 - d6);
            u = 1 - t; v = 0; w = t;
          } else {
            const va = d3 * d6 - d5 * d4;
            if (va <= 0 && d4 - d3 >= 0 && d5 - d6 >= 0) {
              const t = (d4 - d3) / (d4 - d3 + (d5 - d6));
              u = 0; v = 1 - t; w = t;
            } else {
              const denom = 1 / (va + vb + vc);
              v = vb * denom;
              w = vc * denom;
              u = 1 - v - w;
            }
          }
        }
      }
    }
  }
  const qx = u * ax + v * bx + w * cx - px;
  const qy = u * ay + v * by + w * cy - py;
  const qz = u * az + v * bz + w * cz - pz;
  out[0] = qx * qx + qy * qy + qz * qz;
  out[1] = u;
  out[2] = v;
  out[3] = w;
  return out;
}

export interface SurfaceHit {
  triangle: number;
  /** Barycentrics of the closest point for the triangle's three corners. */
  u: number;
  v: number;
  w: number;
  distance: number;
}

/** Uniform grid over triangles; nearest-surface queries with an optional normal-compatibility filter. */
export class TriangleGrid {
  readonly #cells = new Map<number, number[]>();
  readonly #stamp: Uint32Array;
  #query = 0;
  readonly #min: Vec3;
  readonly #dims: Vec3;
  readonly faceNormals: Float64Array;

  constructor(
    readonly positions: Float64Array,
    readonly triangles: Uint32Array,
    readonly cellSize: number,
  ) {
    const count = triangles.length / 3;
    this.#stamp = new Uint32Array(count);
    const min: Vec3 = [Infinity, Infinity, Infinity];
    const max: Vec3 = [-Infinity, -Infinity, -Infinity];
    for (let i = 0; i < triangles.length; i++) {
      const v = (triangles[i] as number) * 3;
      for (let k = 0; k < 3; k++) {
        min[k] = Math.min(min[k] as number, positions[v + k] as number);
        max[k] = Math.max(max[k] as number, positions[v + k] as number);
      }
    }
    this.#min = min;
    this.#dims = [0, 1, 2].map((k) => Math.max(1, Math.ceil(((max[k] as number) - (min[k] as number)) / cellSize) + 1)) as Vec3;
    this.faceNormals = new Float64Array(count * 3);
    for (let t = 0; t < count; t++) {
      const a = (triangles[t * 3] as number) * 3, b = (triangles[t * 3 + 1] as number) * 3, c = (triangles[t * 3 + 2] as number) * 3;
      const e1 = [0, 1, 2].map((k) => (positions[b + k] as number) - (positions[a + k] as number));
      const e2 = [0, 1, 2].map((k) => (positions[c + k] as number) - (positions[a + k] as number));
      const n = [
        (e1[1] as number) * (e2[2] as number) - (e1[2] as number) * (e2[1] as number),
        (e1[2] as number) * (e2[0] as number) - (e1[0] as number) * (e2[2] as number),
        (e1[0] as number) * (e2[1] as number) - (e1[1] as number) * (e2[0] as number),
      ];
      const length = Math.hypot(...(n as Vec3)) || 1;
      for (let k = 0; k < 3; k++) this.faceNormals[t * 3 + k] = (n[k] as number) / length;
      const lo = [0, 1, 2].map((k) => this.#cell(k, Math.min(positions[a + k] as number, positions[b + k] as number, positions[c + k] as number)));
      const hi = [0, 1, 2].map((k) => this.#cell(k, Math.max(positions[a + k] as number, positions[b + k] as number, positions[c + k] as number)));
      for (let x = lo[0] as number; x <= (hi[0] as number); x++) {
        for (let y = lo[1] as number; y <= (hi[1] as number); y++) {
          for (let z = lo[2] as number; z <= (hi[2] as number); z++) {
            const key = this.#key(x, y, z);
            const list = this.#cells.get(key);
            if (list) list.push(t);
            else this.#cells.set(key, [t]);
          }
        }
      }
    }
  }

  #cell(axis: number, value: number): number {
    return Math.floor((value - (this.#min[axis] as number)) / this.cellSize);
  }

  #key(x: number, y: number, z: number): number {
    // Offsets keep keys unique for cells slightly outside the bounding box (queries from outside it).
    return ((x + 4096) * 8192 + (y + 4096)) * 8192 + (z + 4096);
  }

  /**
   * Nearest point of the surface to p within maxDistance, considering only triangles whose normal has a dot
   * product of at least `minDot` with `normal` (when given). Returns undefined when none qualifies.
   */
  nearest(px: number, py: number, pz: number, maxDistance: number, normal?: ArrayLike<number>, minDot = -2): SurfaceHit | undefined {
    const stamp = ++this.#query;
    const cx = this.#cell(0, px), cy = this.#cell(1, py), cz = this.#cell(2, pz);
    const p = this.positions;
    let best: SurfaceHit | undefined;
    let bestSq = maxDistance * maxDistance;
    const maxRing = Math.ceil(maxDistance / this.cellSize) + 1;
    for (let ring = 0; ring <= maxRing; ring++) {
      // Cells at Chebyshev ring r+1 are at least r cells away from p.
      if (best && (ring - 1) * this.cellSize > best.distance) break;
      for (let x = cx - ring; x <= cx + ring; x++) {
        for (let y = cy - ring; y <= cy + ring; y++) {
          for (let z = cz - ring; z <= cz + ring; z++) {
            if (Math.max(Math.abs(x - cx), Math.abs(y - cy), Math.abs(z - cz)) !== ring) continue;
            const list = this.#cells.get(this.#key(x, y, z));
            if (!list) continue;
            for (const t of list) {
              if (this.#stamp[t] === stamp) continue;
              this.#stamp[t] = stamp;
              if (normal) {
                const dot = (normal[0] as number) * (this.faceNormals[t * 3] as number) + (normal[1] as number) * (this.faceNormals[t * 3 + 1] as number) + (normal[2] as number) * (this.faceNormals[t * 3 + 2] as number);
                if (dot < minDot) continue;
              }
              const a = (this.triangles[t * 3] as number) * 3, b = (this.triangles[t * 3 + 1] as number) * 3, c = (this.triangles[t * 3 + 2] as number) * 3;
              const r = closestPointOnTriangle(px, py, pz, p[a] as number, p[a + 1] as number, p[a + 2] as number, p[b] as number, p[b + 1] as number, p[b + 2] as number, p[c] as number, p[c + 1] as number, p[c + 2] as number);
              const sq = r[0] as number;
              if (sq < bestSq) {
                bestSq = sq;
                best = { triangle: t, u: r[1] as number, v: r[2] as number, w: r[3] as number, distance: Math.sqrt(sq) };
              }
            }
          }
        }
      }
    }
    return best;
  }
}

/** Area-weighted vertex normals in double precision; zero normals stay zero. */
export function vertexNormals(positions: ArrayLike<number>, faces: ArrayLike<number>, out = new Float64Array(positions.length)): Float64Array {
  out.fill(0);
  for (let f = 0; f < faces.length; f += 3) {
    const a = (faces[f] as number) * 3, b = (faces[f + 1] as number) * 3, c = (faces[f + 2] as number) * 3;
    const e1x = (positions[b] as number) - (positions[a] as number), e1y = (positions[b + 1] as number) - (positions[a + 1] as number), e1z = (positions[b + 2] as number) - (positions[a + 2] as number);
    const e2x = (positions[c] as number) - (positions[a] as number), e2y = (positions[c + 1] as number) - (positions[a + 1] as number), e2z = (positions[c + 2] as number) - (positions[a + 2] as number);
    const nx = e1y * e2z - e1z * e2y, ny = e1z * e2x - e1x * e2z, nz = e1x * e2y - e1y * e2x;
    for (const v of [a, b, c]) {
      out[v] = (out[v] as number) + nx;
      out[v + 1] = (out[v + 1] as number) + ny;
      out[v + 2] = (out[v + 2] as number) + nz;
    }
  }
  for (let i = 0; i < out.length; i += 3) {
    const length = Math.hypot(out[i] as number, out[i + 1] as number, out[i + 2] as number);
    if (length > 0) for (let k = 0; k < 3; k++) out[i + k] = (out[i + k] as number) / length;
  }
  return out;
}

/** Vertex adjacency (unique neighbours) as CSR arrays. */
export function vertexAdjacency(vertexCount: number, faces: ArrayLike<number>): { offsets: Uint32Array; neighbours: Uint32Array } {
  const sets = Array.from({ length: vertexCount }, () => new Set<number>());
  for (let f = 0; f < faces.length; f += 3) {
    for (let k = 0; k < 3; k++) {
      const a = faces[f + k] as number, b = faces[f + ((k + 1) % 3)] as number;
      sets[a]!.add(b);
      sets[b]!.add(a);
    }
  }
  const offsets = new Uint32Array(vertexCount + 1);
  for (let v = 0; v < vertexCount; v++) offsets[v + 1] = (offsets[v] as number) + sets[v]!.size;
  const neighbours = new Uint32Array(offsets[vertexCount] as number);
  for (let v = 0; v < vertexCount; v++) neighbours.set([...sets[v]!].sort((p, q) => p - q), offsets[v] as number);
  return { offsets, neighbours };
}

/** Edge-length Dijkstra distance from a set of seed vertices (distance 0) over the mesh graph. */
export function graphDistance(positions: ArrayLike<number>, adjacency: { offsets: Uint32Array; neighbours: Uint32Array }, seeds: Iterable<number>): Float64Array {
  const count = adjacency.offsets.length - 1;
  const dist = new Float64Array(count).fill(Infinity);
  // Binary heap of [distance, vertex].
  const heap: Array<[number, number]> = [];
  const push = (item: [number, number]) => {
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]![0] <= item[0]) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = item;
  };
  const pop = (): [number, number] => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const r = l + 1;
        const c = r < heap.length && heap[r]![0] < heap[l]![0] ? r : l;
        if (heap[c]![0] >= last[0]) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  };
  for (const s of seeds) {
    dist[s] = 0;
    push([0, s]);
  }
  while (heap.length > 0) {
    const [d, v] = pop();
    if (d > (dist[v] as number)) continue;
    for (let k = adjacency.offsets[v] as number; k < (adjacency.offsets[v + 1] as number); k++) {
      const u = adjacency.neighbours[k] as number;
      const nd = d + Math.hypot((positions[u * 3] as number) - (positions[v * 3] as number), (positions[u * 3 + 1] as number) - (positions[v * 3 + 1] as number), (positions[u * 3 + 2] as number) - (positions[v * 3 + 2] as number));
      if (nd < (dist[u] as number)) {
        dist[u] = nd;
        push([nd, u]);
      }
    }
  }
  return dist;
}

export function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.max(0, Math.min(1, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}
