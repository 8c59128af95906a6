/**
 * Public API. Baseline `mean-template`: ignores the image and returns FLAME's template head (no fitting), so the
 * score is what alignment alone achieves and every other mode must beat it.
 *
 * Assets: `smirk-head-template` (head_template.obj: FLAME topology, 5023 vertices, metres, +1.5 m in y, DECA's
 * convention; the offset is harmless, alignment removes it) and `ringnet-flame-static-embedding` (a pickle with
 * `lmk_face_idx` (51) and `lmk_b_coords` (51 x 3): iBUG points 17-67 as barycentric points on FLAME faces; the
 * jaw contour 0-16 depends on pose in FLAME, so it is left NaN here). The pickle is read with libs/flame's reader.
 */
import { readFile } from 'node:fs/promises';
import { parseObj } from '@seif/core';
import { isNdArray, toFloat64, toUint32 } from '@seif/flame/io/ndarray';
import { unpickle } from '@seif/flame/io/pickle';
import { assetPath } from '@seif/models';
import { EvalError } from '../errors.js';
import type { ReconstructedHead, ReconstructionMode } from './types.js';

/** iBUG index of the first landmark of the static embedding (eyebrows onward). */
const STATIC_FIRST_IBUG = 17;

/** Landmarks from a barycentric embedding: out[l] = sum_k b[l][k] * v[faces[faceIndex[l]][k]]. */
export function embedLandmarks(vertices: ArrayLike<number>, faces: ArrayLike<number>, faceIndex: ArrayLike<number>, bary: ArrayLike<number>, out: Float64Array, firstSlot = 0): void {
  for (let l = 0; l < faceIndex.length; l++) {
    const f = faceIndex[l]!;
    for (let d = 0; d < 3; d++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += bary[3 * l + k]! * vertices[3 * faces[3 * f + k]! + d]!;
      out[3 * (firstSlot + l) + d] = s;
    }
  }
}

export async function readStaticEmbedding(file: string): Promise<{ faceIndex: Uint32Array; barycentric: Float64Array }> {
  const value = unpickle(new Uint8Array(await readFile(file)));
  if (!(value instanceof Map)) throw new EvalError('BAD_SET', `${file}: expected a dict`);
  const idx = value.get('lmk_face_idx');
  const bc = value.get('lmk_b_coords');
  if (!isNdArray(idx) || !isNdArray(bc)) throw new EvalError('BAD_SET', `${file}: needs arrays lmk_face_idx and lmk_b_coords`);
  const faceIndex = toUint32(idx, 'lmk_face_idx');
  const barycentric = toFloat64(bc, 'lmk_b_coords');
  if (faceIndex.length !== 51 || barycentric.length !== 153) throw new EvalError('BAD_SET', `${file}: expected 51 landmarks, found ${faceIndex.length}`);
  return { faceIndex, barycentric };
}

/** FLAME's template with its 68 landmarks (contour NaN), metres. */
export async function loadMeanTemplate(): Promise<ReconstructedHead> {
  const obj = parseObj(await readFile(await assetPath('smirk-head-template'), 'utf8'));
  const { faceIndex, barycentric } = await readStaticEmbedding(await assetPath('ringnet-flame-static-embedding'));
  const vertices = Float64Array.from(obj.positions);
  const landmarks68 = new Float64Array(3 * 68).fill(NaN);
  embedLandmarks(vertices, obj.indices, faceIndex, barycentric, landmarks68, STATIC_FIRST_IBUG);
  return { vertices, faces: obj.indices, landmarks68, unit: 'm', fullHead: true, meta: { model: 'FLAME template (smirk head_template.obj)', landmarks: 'RingNet static embedding (iBUG 17-67)' } };
}

export const meanTemplateMode: ReconstructionMode = {
  description: 'FLAME template, no fitting (baseline: what alignment alone achieves)',
  async create() {
    const head = await loadMeanTemplate();
    return async () => head;
  },
};
