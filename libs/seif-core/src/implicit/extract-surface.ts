/**
 * Public API. From an evaluated occupancy grid to a clean surface: marching cubes, largest component, small holes
 * closed, Taubin smoothing, optionally decimation; with a report of what each step did and cost.
 */
import { performance } from 'node:perf_hooks';
import { type IndexedMesh, marchingCubes } from './marching-cubes.js';
import { type DecimateOptions, type TaubinOptions, closeHoles, decimateMesh, keepLargestComponent, taubinSmooth } from './mesh-cleanup.js';
import type { OccupancyGrid } from './occupancy-grid.js';

export interface ExtractSurfaceOptions {
  /** Iso level (default: the grid's). */
  level?: number;
  /** Keep only the largest component (default true): the head; floaters go. */
  largestComponent?: boolean;
  /** Close boundary loops up to this many edges (default 64; 0 disables). */
  maxHoleEdges?: number;
  /** Taubin smoothing options, or false to skip (default: 3 iterations, lambda 0.5, mu -0.53). */
  smooth?: TaubinOptions | false;
  /** meshoptimizer decimation, off unless given. */
  decimate?: DecimateOptions;
}

export interface ExtractSurfaceReport {
  vertices: number;
  triangles: number;
  componentsRemoved: number;
  holesClosed: number;
  /** Boundary loops left open (too long to close, e.g. where the surface leaves the box). */
  holesLeft: number;
  /** Milliseconds per step. */
  ms: { marchingCubes: number; largestComponent: number; closeHoles: number; smooth: number; decimate: number; total: number };
}

export async function extractSurface(grid: OccupancyGrid, options: ExtractSurfaceOptions = {}): Promise<{ mesh: IndexedMesh; report: ExtractSurfaceReport }> {
  const ms = { marchingCubes: 0, largestComponent: 0, closeHoles: 0, smooth: 0, decimate: 0, total: 0 };
  const start = performance.now();
  let t = start;
  const lap = (): number => {
    const now = performance.now();
    const d = now - t;
    t = now;
    return d;
  };

  let mesh = marchingCubes(grid, options.level === undefined ? {} : { level: options.level });
  ms.marchingCubes = lap();

  let componentsRemoved = 0;
  if (options.largestComponent ?? true) {
    const kept = keepLargestComponent(mesh);
    mesh = kept.mesh;
    componentsRemoved = kept.componentsRemoved;
  }
  ms.largestComponent = lap();

  let holesClosed = 0, holesLeft = 0;
  const maxHoleEdges = options.maxHoleEdges ?? 64;
  if (maxHoleEdges > 0) {
    const closed = closeHoles(mesh, { maxEdges: maxHoleEdges });
    mesh = closed.mesh;
    holesClosed = closed.holesClosed;
    holesLeft = closed.holesLeft;
  }
  ms.closeHoles = lap();

  if (options.smooth !== false) mesh = taubinSmooth(mesh, options.smooth ?? {});
  ms.smooth = lap();

  if (options.decimate) mesh = (await decimateMesh(mesh, options.decimate)).mesh;
  ms.decimate = lap();
  ms.total = performance.now() - start;

  return {
    mesh,
    report: { vertices: mesh.positions.length / 3, triangles: mesh.indices.length / 3, componentsRemoved, holesClosed, holesLeft, ms },
  };
}
