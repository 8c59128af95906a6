/**
 * The SeIF result in the shapes the exporters want, all in model space (metres, +y up, facing +z):
 * - GLB (animatable): the uniformized head at rest = the fitted identity's rest mesh + `restOffsets` (same topology,
 *   so the 52 ARKit shapes and the skin carry over), and the hair at rest with per-vertex skin rows (4 largest
 *   joints), coloured from the photo;
 * - OBJ / PLY: head and hair as in the photo (identity, expression, jaw, gaze) with the head rotation removed,
 *   like the FLAME path's `frontalVertices`;
 * - STL: the reconstructed surface itself (watertight, hair included, capped where it leaves the crop), frontal.
 */
import { type HeadModel, evaluatorFor } from '@seif/flame';
import type { FitOutput } from '../stages/fit.js';
import { topFourSkinRows } from '../stages/export.js';
import { fitPlacement, skinPoints, skinningTransforms, unskinPoints } from '../uniform/skinning.js';
import type { SeifResult } from './stage.js';

export interface SeifHairGeometry {
  /** Rest pose (GLB) and frontal (OBJ/PLY) positions, metres. */
  rest: Float32Array;
  frontal: Float32Array;
  indices: Uint32Array;
  /** Four joints and weights per vertex (glTF skin rows). */
  joints: Uint16Array;
  weights: Float32Array;
  colors: Uint8Array;
  /** Mean colour, linear 0..1 (the OBJ material's Kd). */
  meanColor: [number, number, number];
}

export interface SeifExportGeometry {
  restOffsets: Float32Array;
  /** The uniformized head as in the photo, rotation removed (vertexCount x 3). */
  frontalHead: Float32Array;
  hair: SeifHairGeometry | undefined;
  /** The watertight surface, frontal. */
  surface: { positions: Float32Array; indices: Uint32Array };
}

function srgbToLinear(c: number): number {
  const s = c / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

/** sRGB bytes -> linear floats (the rasterizer's vertex colours). */
export function srgbBytesToLinear(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = srgbToLinear(bytes[i]!);
  return out;
}

export function seifExportGeometry(fit: FitOutput, seif: SeifResult): SeifExportGeometry {
  const model: HeadModel = fit.model;
  const J = model.joints.names.length;
  const evaluator = evaluatorFor(model);
  // Frontal: the photo's expression and local joints, the global rotation removed; model space.
  const pose = Float64Array.from(fit.params.pose);
  pose[0] = pose[1] = pose[2] = 0;
  const frontalTransforms = skinningTransforms(evaluator, { identity: fit.params.identity, expression: fit.params.expression, pose });
  const shaped = evaluator.shaped;
  const restShaped = new Float32Array(shaped.length);
  for (let i = 0; i < shaped.length; i++) restShaped[i] = shaped[i]! + seif.restOffsets[i]!;
  const frontalHead = skinPoints(restShaped, model.skinWeights, J, frontalTransforms);

  let hair: SeifHairGeometry | undefined;
  if (seif.hair) {
    const { skinned, colors, mesh } = seif.hair;
    const rows = topFourSkinRows(skinned.weights, J);
    const mean: [number, number, number] = [0, 0, 0];
    const n = colors.length / 3;
    for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) mean[c] = mean[c]! + srgbToLinear(colors[3 * i + c]!) / n;
    hair = {
      rest: skinned.rest, frontal: skinPoints(skinned.rest, skinned.weights, J, frontalTransforms), indices: mesh.indices,
      joints: rows.joints, weights: rows.weights, colors, meanColor: mean,
    };
  }

  // The surface: frame -> model space through the fit's root transform alone (global rotation, scale, camera),
  // then the frontal root transform (identity): a rigid map, so the surface stays watertight and undistorted.
  const fitTransforms = skinningTransforms(evaluator, fit.params, fitPlacement(fit.camera));
  const count = seif.surface.positions.length / 3;
  const rootWeights = new Float32Array(count * J);
  for (let v = 0; v < count; v++) rootWeights[v * J] = 1;
  const surfaceRest = unskinPoints(seif.surface.positions, rootWeights, J, fitTransforms);
  const surface = { positions: skinPoints(surfaceRest, rootWeights, J, frontalTransforms), indices: seif.surface.indices };
  return { restOffsets: seif.restOffsets, frontalHead, hair, surface };
}
