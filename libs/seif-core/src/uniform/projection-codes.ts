/**
 * Codes for uniformization by projection: at each surface vertex, the template coordinate of the closest point of
 * the fitted FLAME mesh, not faded by distance and over the whole head. Matching FLAME vertices to these codes
 * (uniformize.ts) inverts the closest-point map, i.e. moves each fitted vertex along its normal onto the
 * reconstructed surface, instead of relying on the network's refined codes, which on held-out heads are still
 * ~0.05 template units off at the median (docs/results.md), more than the 0.03 match radius.
 *
 * The network's semantics still decide where: a surface vertex whose refined code is under half of the fit
 * field's code there (the network says "not face", e.g. hair over the forehead or a collar under the chin) gets
 * code 0 and never becomes a target, so the face is not pulled onto hair the fit happens to be close to; so does
 * one where the fit's field itself is 0 (beyond face and ears, where the network has nothing to say).
 */
import type { HeadModel } from '@seif/flame';
import { SemanticField, templateBounds } from '../semantic/semantic-field.js';

/** How far from the fit a surface vertex may be and still carry a projection code, SeIF-frame units (~13 mm). */
export const PROJECTION_CUTOFF = 0.05;

/** Refined code norm below this fraction of the fit field's: the network does not see face there. */
export const NOT_FACE_RATIO = 0.5;

/**
 * n x 3 projection codes at `positions` (n x 3, same frame as `fitVertices`). `networkCodes` and `fieldCodes` are
 * the network's refined codes and the fit's semantic field at the same points (SeifReconstruction); either may be
 * omitted to skip the gate (studies). With the gate, only the points it keeps are searched (about a third of a
 * head's surface) and the rest get 0 directly: the same codes, 1.7x faster on the sample photos (~300 -> ~180 ms).
 */
export function projectionCodes(model: HeadModel, fitVertices: Float32Array, positions: Float32Array, networkCodes?: Float32Array, fieldCodes?: Float32Array): Float32Array {
  const field = new SemanticField(
    { positions: fitVertices, indices: model.faces, template: model.template, bounds: templateBounds(model.template) },
    { sigmaSq: Infinity, cutoff: PROJECTION_CUTOFF },
  );
  try {
    if (!networkCodes || !fieldCodes) return field.query(positions);
    const kept = networkSeesFace(networkCodes, fieldCodes);
    const subset = new Float32Array(3 * kept.length);
    for (let j = 0; j < kept.length; j++) for (let k = 0; k < 3; k++) subset[3 * j + k] = positions[3 * kept[j]! + k]!;
    const found = field.query(subset);
    const codes = new Float32Array(positions.length);
    for (let j = 0; j < kept.length; j++) for (let k = 0; k < 3; k++) codes[3 * kept[j]! + k] = found[3 * j + k]!;
    return codes;
  } finally {
    field.dispose();
  }
}

/**
 * Indices of the points the gate keeps: the fit's field is not 0 there (off face and ears it is, and border
 * vertices of the face would otherwise match the scalp or hair just beyond it) and |network code| >=
 * NOT_FACE_RATIO * |fit field code|.
 */
export function networkSeesFace(networkCodes: Float32Array, fieldCodes: Float32Array): Uint32Array {
  if (networkCodes.length !== fieldCodes.length) throw new RangeError(`networkSeesFace: ${networkCodes.length} network code values, ${fieldCodes.length} field code values`);
  const kept = new Uint32Array(fieldCodes.length / 3);
  let count = 0;
  for (let i = 0; i < fieldCodes.length; i += 3) {
    const net = Math.hypot(networkCodes[i]!, networkCodes[i + 1]!, networkCodes[i + 2]!);
    const fit = Math.hypot(fieldCodes[i]!, fieldCodes[i + 1]!, fieldCodes[i + 2]!);
    if (fit > 0 && net >= NOT_FACE_RATIO * fit) kept[count++] = i / 3;
  }
  return kept.subarray(0, count);
}
