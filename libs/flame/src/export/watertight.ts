/**
 * Public API. Makes a triangle mesh closed for 3D printing:
 * 1. weld vertices closer than `weldTolerance` (UV-seam splits leave exact duplicates);
 * 2. drop degenerate and duplicate triangles;
 * 3. orient every connected component consistently (breadth-first across manifold edges);
 * 4. close each boundary loop: ear clipping in the loop's best-fit plane (Newell normal), never adding a
 *    diagonal that is already a mesh edge; when no ear is left, a fan around the loop's centroid (a new vertex);
 * 5. flip any component whose signed volume is negative, so normals point out.
 * A manifold input comes out with every edge shared by exactly two triangles; edges shared by more than two
 * faces in the input cannot be repaired here and are counted in the report.
 */

export interface WatertightOptions {
  /** Vertices closer than this (metres) become one. Default 1e-7: merges exact seam duplicates only. */
  weldTolerance?: number;
}

export interface WatertightReport {
  inputVertices: number;
  weldedVertices: number;
  removedTriangles: number;
  flippedTriangles: number;
  cappedLoops: number;
  capTriangles: number;
  /** Loops closed with a centroid fan because ear clipping found no valid ear. */
  fanFallbacks: number;
  /** Edges with more than two triangles (input defects this repair leaves alone). */
  nonManifoldEdges: number;
  components: number;
  /** Sum of component volumes after orientation, cubic metres. */
  volume: number;
}

export interface WatertightMesh {
  positions: Float32Array;
  indices: Uint32Array;
  report: WatertightReport;
}

const edgeKey = (a: number, b: number) => (a < b ? a * 0x200000 + b : b * 0x200000 + a);

export function makeWatertight(positions: Float32Array, indices: Uint32Array, options: WatertightOptions = {}): WatertightMesh {
  const tolerance = options.weldTolerance ?? 1e-7;
  const inputVertices = positions.length / 3;

  // 1. Weld on a grid of cell size `tolerance`; neighbouring cells are checked so near pairs across a cell border merge too.
  const cells = new Map<string, number[]>();
  const canonical = new Uint32Array(inputVertices);
  const welded: number[] = [];
  for (let v = 0; v < inputVertices; v++) {
    const x = positions[v * 3] as number;
    const y = positions[v * 3 + 1] as number;
    const z = positions[v * 3 + 2] as number;
    const cx = Math.round(x / tolerance);
    const cy = Math.round(y / tolerance);
    const cz = Math.round(z / tolerance);
    let match = -1;
    for (let dx = -1; dx <= 1 && match < 0; dx++) {
      for (let dy = -1; dy <= 1 && match < 0; dy++) {
        for (let dz = -1; dz <= 1 && match < 0; dz++) {
          for (const w of cells.get(`${cx + dx},${cy + dy},${cz + dz}`) ?? []) {
            if (Math.hypot((welded[w * 3] as number) - x, (welded[w * 3 + 1] as number) - y, (welded[w * 3 + 2] as number) - z) <= tolerance) {
              match = w;
              break;
            }
          }
        }
      }
    }
    if (match < 0) {
      match = welded.length / 3;
      welded.push(x, y, z);
      const key = `${cx},${cy},${cz}`;
      const list = cells.get(key);
      if (list) list.push(match);
      else cells.set(key, [match]);
    }
    canonical[v] = match;
  }
  const weldedVertices = welded.length / 3;

  // 2. Degenerate and duplicate triangles.
  const faces: number[] = [];
  const seen = new Set<string>();
  for (let f = 0; f < indices.length; f += 3) {
    const a = canonical[indices[f] as number] as number;
    const b = canonical[indices[f + 1] as number] as number;
    const c = canonical[indices[f + 2] as number] as number;
    if (a === b || b === c || c === a) continue;
    const key = [a, b, c].sort((p, q) => p - q).join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    faces.push(a, b, c);
  }
  const removedTriangles = indices.length / 3 - faces.length / 3;

  // 3. Consistent orientation per component.
  const buildEdges = () => {
    const edges = new Map<number, number[]>();
    for (let f = 0; f < faces.length / 3; f++) {
      for (let k = 0; k < 3; k++) {
        const key = edgeKey(faces[f * 3 + k] as number, faces[f * 3 + ((k + 1) % 3)] as number);
        const list = edges.get(key);
        if (list) list.push(f);
        else edges.set(key, [f]);
      }
    }
    return edges;
  };
  let edges = buildEdges();
  const faceCount = faces.length / 3;
  const component = new Int32Array(faceCount).fill(-1);
  let flippedTriangles = 0;
  let components = 0;
  const hasDirected = (f: number, a: number, b: number) => {
    for (let k = 0; k < 3; k++) if (faces[f * 3 + k] === a && faces[f * 3 + ((k + 1) % 3)] === b) return true;
    return false;
  };
  for (let seed = 0; seed < faceCount; seed++) {
    if (component[seed] !== -1) continue;
    const id = components++;
    component[seed] = id;
    const queue = [seed];
    while (queue.length > 0) {
      const f = queue.pop() as number;
      for (let k = 0; k < 3; k++) {
        const a = faces[f * 3 + k] as number;
        const b = faces[f * 3 + ((k + 1) % 3)] as number;
        const neighbours = edges.get(edgeKey(a, b)) as number[];
        if (neighbours.length !== 2) continue;
        const g = neighbours[0] === f ? (neighbours[1] as number) : (neighbours[0] as number);
        if (component[g] !== -1) continue;
        component[g] = id;
        // A consistent neighbour walks the shared edge the other way (b -> a).
        if (hasDirected(g, a, b)) {
          const t = faces[g * 3 + 1] as number;
          faces[g * 3 + 1] = faces[g * 3 + 2] as number;
          faces[g * 3 + 2] = t;
          flippedTriangles++;
        }
        queue.push(g);
      }
    }
  }

  // 4. Boundary loops from half-edges whose edge has one triangle.
  let nonManifoldEdges = 0;
  const outgoing = new Map<number, number[]>();
  const boundaryComponent = new Map<number, number>();
  for (const [, list] of edges) if (list.length > 2) nonManifoldEdges++;
  for (let f = 0; f < faceCount; f++) {
    for (let k = 0; k < 3; k++) {
      const a = faces[f * 3 + k] as number;
      const b = faces[f * 3 + ((k + 1) % 3)] as number;
      if ((edges.get(edgeKey(a, b)) as number[]).length !== 1) continue;
      const list = outgoing.get(a);
      if (list) list.push(b);
      else outgoing.set(a, [b]);
      boundaryComponent.set(a, component[f] as number);
    }
  }
  const capFaces: number[] = [];
  const capComponent: number[] = [];
  let cappedLoops = 0;
  let fanFallbacks = 0;
  for (const start of [...outgoing.keys()].sort((p, q) => p - q)) {
    while ((outgoing.get(start)?.length ?? 0) > 0) {
      const loop = [start];
      let current = (outgoing.get(start) as number[]).pop() as number;
      let guard = 0;
      while (current !== start && guard++ < weldedVertices + 1) {
        loop.push(current);
        const next = outgoing.get(current);
        if (!next || next.length === 0) break;
        current = next.pop() as number;
      }
      if (current !== start || loop.length < 3) continue; // open chain: cannot be capped meaningfully
      cappedLoops++;
      // Cap triangles must traverse each boundary edge backwards: use the reversed loop.
      loop.reverse();
      const comp = boundaryComponent.get(start) ?? 0;
      const added = earClip(loop, welded, edges) ?? fan(loop, welded);
      if (added.fan) fanFallbacks++;
      for (let i = 0; i < added.triangles.length; i += 3) capComponent.push(comp);
      capFaces.push(...added.triangles);
    }
  }
  const capTriangles = capFaces.length / 3;
  faces.push(...capFaces);
  const allComponents = Int32Array.from([...component, ...capComponent]);

  // 5. Outward orientation: flip components with negative signed volume.
  const volumes = new Float64Array(components);
  for (let f = 0; f < faces.length / 3; f++) {
    volumes[allComponents[f] as number] = (volumes[allComponents[f] as number] as number) + signedVolume(welded, faces, f);
  }
  let volume = 0;
  for (let f = 0; f < faces.length / 3; f++) {
    if ((volumes[allComponents[f] as number] as number) < 0) {
      const t = faces[f * 3 + 1] as number;
      faces[f * 3 + 1] = faces[f * 3 + 2] as number;
      faces[f * 3 + 2] = t;
    }
  }
  for (const v of volumes) volume += Math.abs(v);
  edges = new Map();
  return {
    positions: Float32Array.from(welded),
    indices: Uint32Array.from(faces),
    report: {
      inputVertices,
      weldedVertices,
      removedTriangles,
      flippedTriangles,
      cappedLoops,
      capTriangles,
      fanFallbacks,
      nonManifoldEdges,
      components,
      volume,
    },
  };
}

function signedVolume(p: ArrayLike<number>, faces: ArrayLike<number>, f: number): number {
  const a = (faces[f * 3] as number) * 3;
  const b = (faces[f * 3 + 1] as number) * 3;
  const c = (faces[f * 3 + 2] as number) * 3;
  const ax = p[a] as number, ay = p[a + 1] as number, az = p[a + 2] as number;
  const bx = p[b] as number, by = p[b + 1] as number, bz = p[b + 2] as number;
  const cx = p[c] as number, cy = p[c + 1] as number, cz = p[c + 2] as number;
  return (ax * (by * cz - bz * cy) - ay * (bx * cz - bz * cx) + az * (bx * cy - by * cx)) / 6;
}

/** Signed volume of a closed mesh (positive when faces wind counter-clockwise seen from outside). */
export function meshVolume(positions: Float32Array, indices: Uint32Array): number {
  let total = 0;
  for (let f = 0; f < indices.length / 3; f++) total += signedVolume(positions, indices, f);
  return total;
}

/** Edges (undirected) and how many triangles use each; a closed mesh has only 2s. */
export function edgeUseCounts(indices: Uint32Array): Map<number, number> {
  const counts = new Map<number, number>();
  for (let f = 0; f < indices.length; f += 3) {
    for (let k = 0; k < 3; k++) {
      const key = edgeKey(indices[f + k] as number, indices[f + ((k + 1) % 3)] as number);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

interface Cap {
  triangles: number[];
  fan: boolean;
}

/** Newell normal of a polygon (its length is twice the projected area). */
function newell(loop: number[], p: number[]): [number, number, number] {
  let nx = 0, ny = 0, nz = 0;
  for (let i = 0; i < loop.length; i++) {
    const a = (loop[i] as number) * 3;
    const b = (loop[(i + 1) % loop.length] as number) * 3;
    nx += ((p[a + 1] as number) - (p[b + 1] as number)) * ((p[a + 2] as number) + (p[b + 2] as number));
    ny += ((p[a + 2] as number) - (p[b + 2] as number)) * ((p[a] as number) + (p[b] as number));
    nz += ((p[a] as number) - (p[b] as number)) * ((p[a + 1] as number) + (p[b + 1] as number));
  }
  return [nx, ny, nz];
}

function earClip(loop: number[], p: number[], edges: Map<number, number[]>): Cap | undefined {
  if (new Set(loop).size !== loop.length) return undefined; // pinched loop: let the fan handle it
  const [nx, ny, nz] = newell(loop, p);
  const length = Math.hypot(nx, ny, nz);
  if (length < 1e-30) return undefined;
  // Orthonormal basis (u, w) of the plane; (u, w, n) right-handed, so the loop is counter-clockwise in 2D.
  const n = [nx / length, ny / length, nz / length] as const;
  const helper = Math.abs(n[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  let u = [n[1] * (helper[2] as number) - n[2] * (helper[1] as number), n[2] * (helper[0] as number) - n[0] * (helper[2] as number), n[0] * (helper[1] as number) - n[1] * (helper[0] as number)];
  const ul = Math.hypot(...(u as [number, number, number]));
  u = u.map((x) => x / ul);
  const w = [n[1] * (u[2] as number) - n[2] * (u[1] as number), n[2] * (u[0] as number) - n[0] * (u[2] as number), n[0] * (u[1] as number) - n[1] * (u[0] as number)];
  const xy = new Map<number, [number, number]>();
  for (const v of loop) {
    const px = p[v * 3] as number, py = p[v * 3 + 1] as number, pz = p[v * 3 + 2] as number;
    xy.set(v, [px * (u[0] as number) + py * (u[1] as number) + pz * (u[2] as number), px * (w[0] as number) + py * (w[1] as number) + pz * (w[2] as number)]);
  }
  const cross = (o: [number, number], a: [number, number], b: [number, number]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const inside = (q: [number, number], a: [number, number], b: [number, number], c: [number, number]) =>
    cross(a, b, q) > 0 && cross(b, c, q) > 0 && cross(c, a, q) > 0;
  const added = new Set<number>();
  const ring = [...loop];
  const triangles: number[] = [];
  while (ring.length > 3) {
    let clipped = false;
    for (let i = 0; i < ring.length; i++) {
      const ia = ring[(i + ring.length - 1) % ring.length] as number;
      const ib = ring[i] as number;
      const ic = ring[(i + 1) % ring.length] as number;
      const a = xy.get(ia) as [number, number];
      const b = xy.get(ib) as [number, number];
      const c = xy.get(ic) as [number, number];
      if (cross(a, b, c) <= 0) continue; // reflex or flat
      const diagonal = edgeKey(ia, ic);
      if (edges.has(diagonal) || added.has(diagonal)) continue; // would make an edge with three triangles
      let blocked = false;
      for (const v of ring) {
        if (v === ia || v === ib || v === ic) continue;
        if (inside(xy.get(v) as [number, number], a, b, c)) {
          blocked = true;
          break;
        }
      }
      if (blocked) continue;
      triangles.push(ia, ib, ic);
      added.add(diagonal);
      ring.splice(i, 1);
      clipped = true;
      break;
    }
    if (!clipped) return undefined;
  }
  triangles.push(ring[0] as number, ring[1] as number, ring[2] as number);
  return { triangles, fan: false };
}

/** Fan around a new centroid vertex (appended to `p`): always closes the loop without reusing edges. */
function fan(loop: number[], p: number[]): Cap {
  const centre = [0, 0, 0];
  for (const v of loop) for (let k = 0; k < 3; k++) centre[k] = (centre[k] as number) + (p[v * 3 + k] as number) / loop.length;
  const c = p.length / 3;
  p.push(...centre);
  const triangles: number[] = [];
  for (let i = 0; i < loop.length; i++) triangles.push(loop[i] as number, loop[(i + 1) % loop.length] as number, c);
  return { triangles, fan: true };
}
