/**
 * Public API. SeIF against the FLAME-only path on held-out synthetic heads, where the truth is known: the render of
 * a generated head goes through the production pipeline as if it were a photo (detect, landmarks, segmentation,
 * fit, SeIF), and the results are mapped back into the sample's frame and compared with its ground truth:
 *
 * - face error: mean distance over the face-mask vertices to the ground-truth FLAME part (displacements included),
 *   of the fitted FLAME mesh and of the uniformized mesh (same topology, so vertex to vertex), in mm;
 * - occupancy IoU at the sample's own occupancy points (inside = winding number of the mesh > 0.5), of the SeIF
 *   surface and of the fitted FLAME head made watertight (no hair: what the FLAME path can at best cover);
 * - surface distance: from SeIF surface vertices to the ground truth (head mesh or hair/body implicit), and from
 *   ground-truth head vertices (those not under hair) to the SeIF surface, mean in mm (a two-sided Chamfer).
 *
 * - whole head (outer-surface.ts): mean distance from the true outer surface (skin not under hair, hair and body
 *   outside the skin) to the FLAME-only head, to the animatable SeIF head (uniformized FLAME + its hair mesh) and to
 *   the raw SeIF surface, in mm.
 *
 * Depth: an orthographic photo does not fix the head's depth, so each mesh gets its own Z offset (the mean over the
 * face vertices against the ground truth), the translation part of the usual rigid alignment.
 */
import { type HeadModel, makeWatertight } from '@seif/flame';
import { TriangleBvh } from '@seif/flame/geometry/bvh';
import type { ReconstructionPipeline } from '../pipeline/reconstruct.js';
import { runStage } from '../pipeline/stage.js';
import { type SeifReconstruction, type SeifResult, type SeifStageInput, SeifStage } from '../seif/stage.js';
import type { RgbImage } from '../image/image.js';
import { outerCompleteness, outerSurfacePoints } from './outer-surface.js';
import { generateSample } from './sample.js';
import { windingNumbers } from './winding.js';

export interface HeldoutResult {
  index: number;
  hair: string;
  yaw: number;
  /** Face-mask vertices, vertex to vertex against the ground-truth FLAME part (correspondence error), mm. */
  fitFaceMm: number;
  seifFaceMm: number;
  /**
   * Ground-truth face vertices to a surface (point to surface, as the NoW protocol scores), mm: the fitted FLAME
   * mesh, the raw SeIF surface, the uniformized FLAME mesh. Shape error regardless of correspondence.
   */
  fitFaceSurfaceMm: number;
  seifSurfaceFaceMm: number;
  seifFaceSurfaceMm: number;
  seifIou: number;
  flameIou: number;
  /** SeIF surface -> truth, truth head -> SeIF surface (mm). */
  accuracyMm: number;
  completenessMm: number;
  hairVertices: number;
  /**
   * Whole head: mean distance from samples of the true outer surface (outer-surface.ts: skin not under hair, hair
   * and body outside the skin) to the FLAME-only head, to the animatable SeIF head (uniformized FLAME + hair mesh)
   * and to the raw SeIF surface, mm.
   */
  flameOuterMm: number;
  animatableOuterMm: number;
  seifOuterMm: number;
  seifMs: number;
}

/** SeIF frame of the pipeline -> the sample's frame (X, Y through photo pixels; Z scaled alike, offset later). */
export function mapper(frameToImage: readonly number[], size: number): (src: Float32Array) => Float32Array {
  const [a, b, c, d, e, f] = frameToImage as [number, number, number, number, number, number];
  const k = Math.sqrt(Math.abs(a * e - b * d)) / size;
  return (src) => {
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i += 3) {
      const X = src[i]!, Y = src[i + 1]!;
      out[i] = (a * X + b * Y + c) / size - 0.5;
      out[i + 1] = 0.5 - (d * X + e * Y + f) / size;
      out[i + 2] = k * src[i + 2]!;
    }
    return out;
  };
}

/** Moves `mesh` in Z by the mean offset of `vertices` (indices into both) to `truth`. */
export function alignDepth(mesh: Float32Array, truth: Float32Array, vertices: ArrayLike<number>, ...also: Float32Array[]): void {
  let dz = 0;
  for (let i = 0; i < vertices.length; i++) dz += truth[3 * vertices[i]! + 2]! - mesh[3 * vertices[i]! + 2]!;
  dz /= vertices.length;
  for (const target of [mesh, ...also]) for (let i = 2; i < target.length; i += 3) target[i] = target[i]! + dz;
}

function meanVertexError(a: Float32Array, b: Float32Array, vertices: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < vertices.length; i++) {
    const v = vertices[i]!;
    sum += Math.hypot(a[3 * v]! - b[3 * v]!, a[3 * v + 1]! - b[3 * v + 1]!, a[3 * v + 2]! - b[3 * v + 2]!);
  }
  return sum / vertices.length;
}

/** Mean distance from the `vertices` of `truth` to the triangle mesh (positions, indices). */
function meanPointToSurface(truth: Float32Array, vertices: ArrayLike<number>, positions: Float32Array, indices: Uint32Array): number {
  const bvh = new TriangleBvh(positions, indices);
  let sum = 0;
  for (let i = 0; i < vertices.length; i++) {
    const v = vertices[i]!;
    sum += Math.sqrt(bvh.closestPoint(truth[3 * v]!, truth[3 * v + 1]!, truth[3 * v + 2]!).distanceSq);
  }
  return sum / vertices.length;
}

function iou(inside: Float32Array, occupancy: Uint8Array, count: number): number {
  let inter = 0, union = 0;
  for (let i = 0; i < count; i++) {
    const p = inside[i]! > 0.5, g = occupancy[i]! > 0;
    if (p && g) inter++;
    if (p || g) union++;
  }
  return union > 0 ? inter / union : 1;
}

/** Render size of the held-out heads (the network's input size). */
export const HELDOUT_SIZE = 256;

export interface HeldoutOptions {
  resolution?: number;
  /** Occupancy points scored per head (default 2000: winding numbers over the SeIF mesh are the slow part). */
  points?: number;
  /** Surface vertices scored per direction (default 20000). */
  surfacePoints?: number;
  /** Seeds of the true outer surface's samples (outer-surface.ts, default 4000). */
  outerPoints?: number;
}

/** One held-out head after the front end and the SeIF implicit surface (before uniformization). */
export interface HeldoutHead {
  index: number;
  sample: Awaited<ReturnType<typeof generateSample>>;
  stage: SeifStage;
  input: SeifStageInput;
  reconstruction: SeifReconstruction;
}

/** Generates held-out head (seed, index) and runs its render through the front end and SeifStage.reconstruct. */
export async function prepareHeldout(model: HeadModel, pipeline: ReconstructionPipeline, seed: number, index: number, options: HeldoutOptions = {}): Promise<HeldoutHead> {
  const size = HELDOUT_SIZE;
  const sample = await generateSample(model, seed, index, { size, points: options.points ?? 2000, keepScene: true });
  const image: RgbImage = { data: sample.image, width: size, height: size };
  const context = { timings: {} as Record<string, number> };
  const { face } = (await runStage(pipeline.detect.largest, image, context)).output;
  const marks = (await runStage(pipeline.landmarks, { image, face }, context)).output;
  const segmented = (await runStage(pipeline.segment, { image, landmarks: marks.points }, context)).output;
  const normalised = (await runStage(pipeline.normalise, { image, landmarks: marks.points }, context)).output;
  const fit = (await runStage(pipeline.fit, { landmarks: normalised.landmarks }, context)).output;
  const stage = new SeifStage({ network: await pipeline.seifNetwork(), resolution: options.resolution ?? 128 });
  const input: SeifStageInput = { image, landmarks: marks.points, person: segmented.person, colours: segmented, fit };
  return { index, sample, stage, input, reconstruction: await stage.reconstruct(input) };
}

/** One held-out head: generate (seed, index), reconstruct its render, score. */
export async function evaluateHeldout(model: HeadModel, pipeline: ReconstructionPipeline, seed: number, index: number, options: HeldoutOptions = {}): Promise<HeldoutResult> {
  const head = await prepareHeldout(model, pipeline, seed, index, options);
  const seif = await head.stage.complete(head.input, head.reconstruction);
  // The SeIF stage's own time (its sub-steps), not the generator's or the front end's.
  const seifMs = Object.values(seif.ms).reduce((a, b) => a + b, 0);
  return scoreHeldout(model, head, seif, seifMs, options);
}

/** Scores a completed SeIF result of a prepared held-out head against its ground truth. */
export function scoreHeldout(model: HeadModel, head: HeldoutHead, seif: SeifResult, seifMs: number, options: HeldoutOptions = {}): HeldoutResult {
  const { sample, index, input: { fit } } = head;
  const size = HELDOUT_SIZE;
  const scene = sample.scene!;
  const mmPerUnit = 1000 / (sample.meta.frameScale as number);
  const toSample = mapper(seif.frameToImage, size);
  const faceVertices = model.masks.face!;
  const fitMesh = toSample(fit.frameVertices);
  alignDepth(fitMesh, scene.gtFlame, faceVertices);
  const uniform = toSample(seif.uniformized);
  const surface = toSample(seif.surface.positions);
  const hair = seif.hair ? { positions: toSample(seif.hair.mesh.positions), indices: seif.hair.mesh.indices } : undefined;
  alignDepth(uniform, scene.gtFlame, faceVertices, surface, ...(hair ? [hair.positions] : []));

  const count = sample.occupancy.length;
  const seifInside = windingNumbers(surface, seif.surface.indices, sample.points);
  const flameClosed = makeWatertight(fitMesh, model.faces);
  const flameInside = windingNumbers(flameClosed.positions, flameClosed.indices, sample.points);

  // Accuracy: SeIF vertices (not on the flat caps where the crop box cut the body) to the truth.
  const truthBvh = new TriangleBvh(scene.closed.positions, scene.closed.indices);
  const cap = 0.49;
  const n = surface.length / 3;
  const stride = Math.max(1, Math.floor(n / (options.surfacePoints ?? 20000)));
  let accuracy = 0, accuracyCount = 0;
  for (let v = 0; v < n; v += stride) {
    const x = surface[3 * v]!, y = surface[3 * v + 1]!, z = surface[3 * v + 2]!;
    if (Math.abs(x) > cap || Math.abs(y) > cap || Math.abs(z) > cap) continue;
    const toMesh = Math.sqrt(truthBvh.closestPoint(x, y, z).distanceSq);
    accuracy += Math.min(toMesh, Math.abs(scene.implicit.sdf(x, y, z)));
    accuracyCount++;
  }
  // Completeness: truth head vertices that are not inside hair/body (those are not on the true surface).
  const seifBvh = new TriangleBvh(surface, seif.surface.indices);
  const truth = scene.closed.positions;
  let completeness = 0, completenessCount = 0;
  const m = truth.length / 3;
  const truthStride = Math.max(1, Math.floor(m / (options.surfacePoints ?? 20000)));
  for (let v = 0; v < m; v += truthStride) {
    const x = truth[3 * v]!, y = truth[3 * v + 1]!, z = truth[3 * v + 2]!;
    if (scene.implicit.sdf(x, y, z) < 0 || Math.abs(x) > cap || Math.abs(y) > cap || Math.abs(z) > cap) continue;
    completeness += Math.sqrt(seifBvh.closestPoint(x, y, z).distanceSq);
    completenessCount++;
  }
  // Whole head: the FLAME-only head and the animatable SeIF head against the true outer surface.
  const outer = outerSurfacePoints(scene, options.outerPoints ?? 4000, index + 1);
  const animatable = [{ positions: uniform, indices: model.faces }, ...(hair ? [hair] : [])];
  const meta = sample.meta as { hair: string; yaw: number };
  return {
    index, hair: meta.hair, yaw: meta.yaw,
    fitFaceMm: meanVertexError(fitMesh, scene.gtFlame, faceVertices) * mmPerUnit,
    seifFaceMm: meanVertexError(uniform, scene.gtFlame, faceVertices) * mmPerUnit,
    fitFaceSurfaceMm: meanPointToSurface(scene.gtFlame, faceVertices, fitMesh, model.faces) * mmPerUnit,
    seifSurfaceFaceMm: meanPointToSurface(scene.gtFlame, faceVertices, surface, seif.surface.indices) * mmPerUnit,
    seifFaceSurfaceMm: meanPointToSurface(scene.gtFlame, faceVertices, uniform, model.faces) * mmPerUnit,
    seifIou: iou(seifInside, sample.occupancy, count),
    flameIou: iou(flameInside, sample.occupancy, count),
    accuracyMm: (accuracy / Math.max(1, accuracyCount)) * mmPerUnit,
    completenessMm: (completeness / Math.max(1, completenessCount)) * mmPerUnit,
    hairVertices: seif.hair ? seif.hair.mesh.positions.length / 3 : 0,
    flameOuterMm: outerCompleteness(outer, [{ positions: fitMesh, indices: model.faces }]) * mmPerUnit,
    animatableOuterMm: outerCompleteness(outer, animatable) * mmPerUnit,
    seifOuterMm: outerCompleteness(outer, [{ positions: surface, indices: seif.surface.indices }]) * mmPerUnit,
    seifMs,
  };
}
