/**
 * Public API. Small pure functions on indexed triangle meshes ({ positions, indices }, counter-clockwise seen from
 * outside): measures (area, signed volume, edge manifoldness, Euler characteristic), largest connected component,
 * hole closing, Taubin smoothing, decimation (meshoptimizer) and vertex normals. Inputs are never modified; each
 * function returns new arrays (indices may be shared when unchanged).
 *
 * Connectivity is read from directed half-edges grouped by source vertex (CSR typed arrays, no per-vertex objects):
 * on a closed, consistently oriented mesh every half-edge a->b has exactly one twin b->a.
 */
import { MeshoptSimplifier } from 'meshoptimizer';
import { computeVertexNormals } from '../render/mesh.js';
import type { IndexedMesh } from './marching-cubes.js';

export type { IndexedMesh } from './marching-cubes.js';

/** Directed half-edges a->b of every triangle, grouped by a: targets[offsets[a] .. offsets[a + 1]). */
export interface HalfEdges {
  offsets: Uint32Array;
  targets: Uint32Array;
}

export function vertexCountOf(mesh: IndexedMesh): number {
  return mesh.positions.length / 3;
}

export function halfEdges(mesh: IndexedMesh): HalfEdges {
  const nv = vertexCountOf(mesh);
  const idx = mesh.indices;
  const offsets = new Uint32Array(nv + 1);
  for (let t = 0; t < idx.length; t++) offsets[idx[t]! + 1] = offsets[idx[t]! + 1]! + 1;
  for (let v = 0; v < nv; v++) offsets[v + 1] = offsets[v + 1]! + offsets[v]!;
  const fill = offsets.slice(0, nv);
  const targets = new Uint32Array(idx.length);
  for (let t = 0; t < idx.length; t += 3) {
    const a = idx[t]!, b = idx[t + 1]!, c = idx[t + 2]!;
    targets[fill[a]!++] = b;
    targets[fill[b]!++] = c;
    targets[fill[c]!++] = a;
  }
  return { offsets, targets };
}

/** How many half-edges a->b exist. */
export function countHalfEdge(he: HalfEdges, a: number, b: number): number {
  let n = 0;
  for (let s = he.offsets[a]!, e = he.offsets[a + 1]!; s < e; s++) if (he.targets[s] === b) n++;
  return n;
}

export interface EdgeReport {
  /** Distinct undirected edges. */
  edges: number;
  /** Edges used by one triangle (hole borders). */
  boundaryEdges: number;
  /** Edges used by three or more triangles. */
  nonManifoldEdges: number;
  /** Edges used by two triangles in the same direction (a winding flip). */
  misorientedEdges: number;
}

export function edgeReport(mesh: IndexedMesh, he: HalfEdges = halfEdges(mesh)): EdgeReport {
  const report: EdgeReport = { edges: 0, boundaryEdges: 0, nonManifoldEdges: 0, misorientedEdges: 0 };
  const nv = vertexCountOf(mesh);
  for (let a = 0; a < nv; a++) {
    for (let s = he.offsets[a]!, e = he.offsets[a + 1]!; s < e; s++) {
      const b = he.targets[s]!;
      let first = true;
      for (let p = he.offsets[a]!; p < s; p++) if (he.targets[p] === b) first = false;
      if (!first) continue;
      const back = countHalfEdge(he, b, a);
      if (back > 0 && b < a) continue; // counted from b's side
      const forward = countHalfEdge(he, a, b);
      const uses = forward + back;
      report.edges++;
      if (uses === 1) report.boundaryEdges++;
      else if (uses > 2) report.nonManifoldEdges++;
      else if (forward !== 1) report.misorientedEdges++;
    }
  }
  return report;
}

/** Every edge in exactly two triangles, once in each direction. */
export function isWatertight(mesh: IndexedMesh): boolean {
  const r = edgeReport(mesh);
  return r.boundaryEdges === 0 && r.nonManifoldEdges === 0 && r.misorientedEdges === 0 && mesh.indices.length > 0;
}

/** V - E + F over referenced vertices: 2 for a sphere, 0 for a torus, 2 per closed genus-0 component. */
export function eulerCharacteristic(mesh: IndexedMesh): number {
  const used = new Uint8Array(vertexCountOf(mesh));
  for (let t = 0; t < mesh.indices.length; t++) used[mesh.indices[t]!] = 1;
  let v = 0;
  for (let i = 0; i < used.length; i++) v += used[i]!;
  return v - edgeReport(mesh).edges + mesh.indices.length / 3;
}

export function meshArea(mesh: IndexedMesh): number {
  const p = mesh.positions, idx = mesh.indices;
  let area = 0;
  for (let t = 0; t < idx.length; t += 3) {
    const a = idx[t]! * 3, b = idx[t + 1]! * 3, c = idx[t + 2]! * 3;
    const ux = p[b]! - p[a]!, uy = p[b + 1]! - p[a + 1]!, uz = p[b + 2]! - p[a + 2]!;
    const vx = p[c]! - p[a]!, vy = p[c + 1]! - p[a + 1]!, vz = p[c + 2]! - p[a + 2]!;
    area += 0.5 * Math.hypot(uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx);
  }
  return area;
}

/** Signed enclosed volume (divergence theorem); positive when a closed mesh's normals point outward. */
export function signedVolume(mesh: IndexedMesh): number {
  const p = mesh.positions, idx = mesh.indices;
  let six = 0;
  for (let t = 0; t < idx.length; t += 3) {
    const a = idx[t]! * 3, b = idx[t + 1]! * 3, c = idx[t + 2]! * 3;
    six +=
      p[a]! * (p[b + 1]! * p[c + 2]! - p[b + 2]! * p[c + 1]!) -
      p[a + 1]! * (p[b]! * p[c + 2]! - p[b + 2]! * p[c]!) +
      p[a + 2]! * (p[b]! * p[c + 1]! - p[b + 1]! * p[c]!);
  }
  return six / 6;
}

/** Drops vertices no triangle uses (indices remapped; vertices in order of first use). */
export function compactMesh(positions: Float32Array, indices: Uint32Array): IndexedMesh {
  return compactWithSource(positions, indices).mesh;
}

/** compactMesh, plus each kept vertex's index in `positions` (callers that carry per-vertex data across). */
export function compactWithSource(positions: Float32Array, indices: Uint32Array): { mesh: IndexedMesh; source: Uint32Array } {
  const nv = positions.length / 3;
  const remap = new Int32Array(nv).fill(-1);
  // Numbered in order of first use by a triangle.
  const used = new Uint32Array(nv);
  let count = 0;
  for (let t = 0; t < indices.length; t++) {
    const v = indices[t]!;
    if (remap[v]! < 0) { remap[v] = count; used[count++] = v; }
  }
  const source = used.slice(0, count);
  const out = new Float32Array(count * 3);
  for (let n = 0; n < count; n++) {
    const v = source[n]!;
    out[n * 3] = positions[v * 3]!;
    out[n * 3 + 1] = positions[v * 3 + 1]!;
    out[n * 3 + 2] = positions[v * 3 + 2]!;
  }
  const idx = new Uint32Array(indices.length);
  for (let t = 0; t < indices.length; t++) idx[t] = remap[indices[t]!]!;
  return { mesh: { positions: out, indices: idx }, source };
}

function findRoot(parent: Int32Array, v: number): number {
  while (parent[v] !== v) {
    parent[v] = parent[parent[v]!]!; // path halving
    v = parent[v]!;
  }
  return v;
}

export interface Components {
  /** Per triangle, its component (0 .. count-1). */
  triangleComponent: Uint32Array;
  count: number;
  /** Per component, surface area. */
  areas: Float64Array;
  /** Per component, triangles. */
  triangles: Uint32Array;
}

/** Components connected through shared vertices. */
export function connectedComponents(mesh: IndexedMesh): Components {
  const nv = vertexCountOf(mesh), idx = mesh.indices, p = mesh.positions;
  const parent = new Int32Array(nv);
  for (let v = 0; v < nv; v++) parent[v] = v;
  for (let t = 0; t < idx.length; t += 3) {
    const a = findRoot(parent, idx[t]!);
    for (let k = 1; k < 3; k++) {
      const b = findRoot(parent, idx[t + k]!);
      if (a !== b) parent[b] = a;
    }
  }
  const label = new Int32Array(nv).fill(-1);
  const triangleComponent = new Uint32Array(idx.length / 3);
  let count = 0;
  for (let t = 0; t < idx.length; t += 3) {
    const root = findRoot(parent, idx[t]!);
    if (label[root]! < 0) label[root] = count++;
    triangleComponent[t / 3] = label[root]!;
  }
  const areas = new Float64Array(count);
  const triangles = new Uint32Array(count);
  for (let t = 0; t < idx.length; t += 3) {
    const a = idx[t]! * 3, b = idx[t + 1]! * 3, c = idx[t + 2]! * 3;
    const ux = p[b]! - p[a]!, uy = p[b + 1]! - p[a + 1]!, uz = p[b + 2]! - p[a + 2]!;
    const vx = p[c]! - p[a]!, vy = p[c + 1]! - p[a + 1]!, vz = p[c + 2]! - p[a + 2]!;
    const comp = triangleComponent[t / 3]!;
    areas[comp] = areas[comp]! + 0.5 * Math.hypot(uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx);
    triangles[comp] = triangles[comp]! + 1;
  }
  return { triangleComponent, count, areas, triangles };
}

/**
 * Keeps the component with the largest area (floaters of the implicit function are small blobs away from the
 * head; area, not triangle count, so a decimated head still wins).
 */
export function keepLargestComponent(mesh: IndexedMesh): { mesh: IndexedMesh; componentsRemoved: number } {
  const comps = connectedComponents(mesh);
  if (comps.count <= 1) return { mesh, componentsRemoved: 0 };
  let best = 0;
  for (let c = 1; c < comps.count; c++) if (comps.areas[c]! > comps.areas[best]!) best = c;
  const kept = new Uint32Array(comps.triangles[best]! * 3);
  let n = 0;
  for (let t = 0; t < mesh.indices.length; t += 3) {
    if (comps.triangleComponent[t / 3] !== best) continue;
    kept[n++] = mesh.indices[t]!;
    kept[n++] = mesh.indices[t + 1]!;
    kept[n++] = mesh.indices[t + 2]!;
  }
  return { mesh: compactMesh(mesh.positions, kept), componentsRemoved: comps.count - 1 };
}

/**
 * Closed loops of boundary half-edges (a->b with no b->a), each as its vertices in half-edge order. A vertex
 * where two holes touch is visited once per hole.
 */
export function boundaryLoops(mesh: IndexedMesh, he: HalfEdges = halfEdges(mesh)): Uint32Array[] {
  const nv = vertexCountOf(mesh);
  // Boundary half-edges by source, same CSR shape as `he`, with a used flag per half-edge slot.
  const isBoundary = new Uint8Array(he.targets.length);
  let any = false;
  for (let a = 0; a < nv; a++) {
    for (let s = he.offsets[a]!, e = he.offsets[a + 1]!; s < e; s++) {
      if (countHalfEdge(he, he.targets[s]!, a) === 0) {
        isBoundary[s] = 1;
        any = true;
      }
    }
  }
  const loops: Uint32Array[] = [];
  if (!any) return loops;
  const nextFrom = (v: number): number => {
    for (let s = he.offsets[v]!, e = he.offsets[v + 1]!; s < e; s++) if (isBoundary[s]) return s;
    return -1;
  };
  const loop: number[] = [];
  for (let a = 0; a < nv; a++) {
    for (let s = nextFrom(a); s >= 0; s = nextFrom(a)) {
      loop.length = 0;
      let v = a;
      let edge = s;
      // A loop cannot be longer than the number of boundary half-edges; the guard stops a corrupt mesh.
      for (let guard = he.targets.length; edge >= 0 && guard > 0; guard--) {
        isBoundary[edge] = 0;
        loop.push(v);
        v = he.targets[edge]!;
        if (v === a) break;
        edge = nextFrom(v);
      }
      if (v === a && loop.length >= 3) loops.push(Uint32Array.from(loop));
    }
  }
  return loops;
}

export interface CloseHolesOptions {
  /**
   * Largest hole closed, in boundary edges (default 64: at 256 cells per unit that is a hole ~5 cm around; real
   * openings such as the neck cut are far longer and stay open).
   */
  maxEdges?: number;
}

/**
 * Closes boundary loops of at most `maxEdges` edges: a triangle for 3 edges, else a fan around a new vertex at the
 * loop's centroid (better shaped than an ear fan from one corner; smoothing afterwards rounds the patch).
 * Fill triangles run against the loop, so they share its orientation.
 */
export function closeHoles(mesh: IndexedMesh, options: CloseHolesOptions = {}): { mesh: IndexedMesh; holesClosed: number; holesLeft: number } {
  const maxEdges = options.maxEdges ?? 64;
  const loops = boundaryLoops(mesh);
  let holesClosed = 0, addedVertices = 0, addedIndices = 0;
  for (const loop of loops) {
    if (loop.length > maxEdges) continue;
    holesClosed++;
    addedVertices += loop.length === 3 ? 0 : 1;
    addedIndices += loop.length === 3 ? 3 : loop.length * 3;
  }
  if (holesClosed === 0) return { mesh, holesClosed: 0, holesLeft: loops.length };
  const nv = vertexCountOf(mesh);
  const positions = new Float32Array((nv + addedVertices) * 3);
  positions.set(mesh.positions);
  const indices = new Uint32Array(mesh.indices.length + addedIndices);
  indices.set(mesh.indices);
  let v = nv, t = mesh.indices.length;
  for (const loop of loops) {
    const n = loop.length;
    if (n > maxEdges) continue;
    if (n === 3) {
      indices[t++] = loop[0]!;
      indices[t++] = loop[2]!;
      indices[t++] = loop[1]!;
      continue;
    }
    let cx = 0, cy = 0, cz = 0;
    for (let i = 0; i < n; i++) {
      cx += mesh.positions[loop[i]! * 3]!;
      cy += mesh.positions[loop[i]! * 3 + 1]!;
      cz += mesh.positions[loop[i]! * 3 + 2]!;
    }
    positions[v * 3] = cx / n;
    positions[v * 3 + 1] = cy / n;
    positions[v * 3 + 2] = cz / n;
    for (let i = 0; i < n; i++) {
      indices[t++] = loop[(i + 1) % n]!;
      indices[t++] = loop[i]!;
      indices[t++] = v;
    }
    v++;
  }
  return { mesh: { positions, indices }, holesClosed, holesLeft: loops.length - holesClosed };
}

/** Symmetric vertex adjacency from half-edges (a neighbour across an interior edge is listed twice: harmless for means). */
function symmetricAdjacency(mesh: IndexedMesh): HalfEdges {
  const nv = vertexCountOf(mesh), idx = mesh.indices;
  const offsets = new Uint32Array(nv + 1);
  for (let t = 0; t < idx.length; t++) offsets[idx[t]! + 1] = offsets[idx[t]! + 1]! + 2;
  for (let v = 0; v < nv; v++) offsets[v + 1] = offsets[v + 1]! + offsets[v]!;
  const fill = offsets.slice(0, nv);
  const targets = new Uint32Array(idx.length * 2);
  for (let t = 0; t < idx.length; t += 3) {
    for (let k = 0; k < 3; k++) {
      const a = idx[t + k]!, b = idx[t + ((k + 1) % 3)]!;
      targets[fill[a]!++] = b;
      targets[fill[b]!++] = a;
    }
  }
  return { offsets, targets };
}

/** 1 for vertices on a boundary edge. */
export function boundaryVertices(mesh: IndexedMesh, he: HalfEdges = halfEdges(mesh)): Uint8Array {
  const nv = vertexCountOf(mesh);
  const out = new Uint8Array(nv);
  for (let a = 0; a < nv; a++) {
    for (let s = he.offsets[a]!, e = he.offsets[a + 1]!; s < e; s++) {
      const b = he.targets[s]!;
      if (countHalfEdge(he, b, a) === 0) {
        out[a] = 1;
        out[b] = 1;
      }
    }
  }
  return out;
}

export interface TaubinOptions {
  /** lambda/mu pairs (default 3). */
  iterations?: number;
  /** Shrinking step (default 0.5). */
  lambda?: number;
  /**
   * Inflating step (default -0.53). Pass-band 1/lambda + 1/mu = 0.11: features longer than ~10 edges keep their
   * shape, per-vertex noise (marching cubes' staircase, network jitter) is damped.
   */
  mu?: number;
  /**
   * On a closed mesh, move every vertex along its normal by one common offset so the enclosed volume is what it
   * was (default true): Taubin's steps nearly keep volume; this removes the rest (first order, A * offset = dV).
   */
  keepVolume?: boolean;
}

/**
 * Taubin lambda|mu smoothing (Taubin 1995) with uniform weights: marching-cubes meshes have near-uniform edges, so
 * cotangent weights buy little and can go negative on slivers. Boundary vertices stay fixed, so an open border
 * (the neck cut) does not shrink.
 */
export function taubinSmooth(mesh: IndexedMesh, options: TaubinOptions = {}): IndexedMesh {
  const iterations = options.iterations ?? 3;
  const lambda = options.lambda ?? 0.5;
  const mu = options.mu ?? -0.53;
  const keepVolume = options.keepVolume ?? true;
  const nv = vertexCountOf(mesh);
  const adj = symmetricAdjacency(mesh);
  const he = halfEdges(mesh);
  const fixed = boundaryVertices(mesh, he);
  let hasBoundary = false;
  for (let v = 0; v < nv; v++) if (fixed[v]) hasBoundary = true;
  let from = Float32Array.from(mesh.positions);
  let to = new Float32Array(from.length);
  const step = (factor: number): void => {
    for (let v = 0; v < nv; v++) {
      const p = v * 3;
      const s = adj.offsets[v]!, e = adj.offsets[v + 1]!;
      if (fixed[v] || e === s) {
        to[p] = from[p]!;
        to[p + 1] = from[p + 1]!;
        to[p + 2] = from[p + 2]!;
        continue;
      }
      let x = 0, y = 0, z = 0;
      for (let n = s; n < e; n++) {
        const q = adj.targets[n]! * 3;
        x += from[q]!;
        y += from[q + 1]!;
        z += from[q + 2]!;
      }
      const inv = 1 / (e - s);
      to[p] = from[p]! + factor * (x * inv - from[p]!);
      to[p + 1] = from[p + 1]! + factor * (y * inv - from[p + 1]!);
      to[p + 2] = from[p + 2]! + factor * (z * inv - from[p + 2]!);
    }
    const swap = from;
    from = to;
    to = swap;
  };
  for (let it = 0; it < iterations; it++) {
    step(lambda);
    step(mu);
  }
  const out: IndexedMesh = { positions: from, indices: mesh.indices };
  if (keepVolume && !hasBoundary && mesh.indices.length > 0) {
    const before = signedVolume(mesh);
    const after = signedVolume(out);
    const area = meshArea(out);
    if (area > 0) {
      const offset = (before - after) / area;
      const normals = vertexNormals(out);
      for (let i = 0; i < from.length; i++) from[i] = from[i]! + offset * normals[i]!;
    }
  }
  return out;
}

/**
 * Area-weighted vertex normals (unit length). A vertex without area (unused, or only degenerate triangles) gets
 * +Z, toward the camera, so the result never holds NaN.
 */
export function vertexNormals(mesh: IndexedMesh, out = new Float32Array(mesh.positions.length)): Float32Array {
  return computeVertexNormals(mesh.positions, mesh.indices, out);
}

export interface DecimateOptions {
  /** Fraction of triangles to keep (default 0.5). */
  ratio?: number;
  /** Largest allowed deviation in mesh units (default 0.001 of the frame, ~0.3 mm on a head). */
  maxError?: number;
  /** Keep open borders in place (default true). */
  lockBorder?: boolean;
}

/**
 * Quadric decimation with meshoptimizer's simplifier (WebAssembly, already used by @seif/flame's GLB export).
 * Stops at `ratio` or at `maxError`, whichever comes first; returns the error reached, in mesh units, and each
 * kept vertex's index in the input.
 */
export async function decimateMesh(mesh: IndexedMesh, options: DecimateOptions = {}): Promise<{ mesh: IndexedMesh; error: number; source: Uint32Array }> {
  const ratio = options.ratio ?? 0.5;
  const maxError = options.maxError ?? 0.001;
  if (!(ratio > 0 && ratio <= 1)) throw new RangeError(`decimateMesh: ratio must be in (0, 1] (got ${ratio})`);
  await MeshoptSimplifier.ready;
  const target = Math.floor((mesh.indices.length / 3) * ratio) * 3;
  const flags: ('ErrorAbsolute' | 'LockBorder')[] = ['ErrorAbsolute'];
  if (options.lockBorder ?? true) flags.push('LockBorder');
  const [indices, error] = MeshoptSimplifier.simplify(mesh.indices, mesh.positions, 3, target, maxError, flags);
  // Collapses only drop vertices (the kept ones keep their positions): `source` maps per-vertex data across.
  return { ...compactWithSource(mesh.positions, indices), error };
}
