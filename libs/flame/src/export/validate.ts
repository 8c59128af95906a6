/**
 * Argument checks at the exporters' public boundary. Every message names the array and says what is expected.
 */
import { ExportError } from './errors.js';
import type { ExportExtraMesh, ExportMesh, ExportTexture } from './types.js';

type NumericArray = Float32Array | Uint8Array | Uint16Array | Uint32Array | Int32Array | number[];

function checkFinite(label: string, array: NumericArray): void {
  for (let i = 0; i < array.length; i++) {
    const value = array[i] as number;
    if (!Number.isFinite(value)) {
      throw new ExportError(
        'NOT_FINITE',
        `${label}[${i}] is ${value}; a NaN usually means a division by a zero-length vector or an uninitialised buffer upstream`,
      );
    }
  }
}

function checkItems(label: string, array: { length: number }, itemSize: number, count?: number): number {
  if (array.length % itemSize !== 0) {
    throw new ExportError('INVALID_LENGTH', `${label} has length ${array.length}, not a multiple of ${itemSize}`);
  }
  const items = array.length / itemSize;
  if (count !== undefined && items !== count) {
    throw new ExportError(
      'INVALID_LENGTH',
      `${label} has ${items} items of size ${itemSize} but the mesh has ${count} vertices (expected length ${count * itemSize})`,
    );
  }
  return items;
}

function checkIndices(label: string, indices: Uint32Array, vertexCount: number): void {
  checkItems(label, indices, 3);
  if (indices.length === 0) throw new ExportError('INVALID_INPUT', `${label} is empty: nothing to export`);
  for (let i = 0; i < indices.length; i++) {
    if ((indices[i] as number) >= vertexCount) {
      throw new ExportError('INDEX_OUT_OF_RANGE', `${label}[${i}] = ${indices[i]} but there are only ${vertexCount} vertices`);
    }
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function checkTexture(label: string, texture: ExportTexture): void {
  const b = texture.bytes;
  const isPng = b.length > 8 && PNG_SIGNATURE.every((byte, i) => b[i] === byte);
  const isJpeg = b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
  if (texture.mime === 'image/png' ? !isPng : texture.mime === 'image/jpeg' ? !isJpeg : true) {
    throw new ExportError(
      'INVALID_TEXTURE',
      `${label}: mime ${String(texture.mime)} does not match the bytes (PNG: ${isPng}, JPEG: ${isJpeg}); pass encoded PNG or JPEG bytes`,
    );
  }
}

function checkGeometry(label: string, mesh: Pick<ExportExtraMesh, 'positions' | 'indices' | 'normals' | 'uvs' | 'material'>): number {
  const vertexCount = checkItems(`${label}.positions`, mesh.positions, 3);
  if (vertexCount === 0) throw new ExportError('INVALID_INPUT', `${label}.positions is empty: nothing to export`);
  checkFinite(`${label}.positions`, mesh.positions);
  checkIndices(`${label}.indices`, mesh.indices, vertexCount);
  if (mesh.normals) {
    checkItems(`${label}.normals`, mesh.normals, 3, vertexCount);
    checkFinite(`${label}.normals`, mesh.normals);
  }
  if (mesh.uvs) {
    checkItems(`${label}.uvs`, mesh.uvs, 2, vertexCount);
    checkFinite(`${label}.uvs`, mesh.uvs);
  }
  if (mesh.material?.texture) checkTexture(`${label}.material.texture`, mesh.material.texture);
  return vertexCount;
}

/** Throws an ExportError naming the first problem; returns the vertex count. */
export function validateExportMesh(mesh: ExportMesh): number {
  const label = mesh.name ?? 'mesh';
  const vertexCount = checkGeometry(label, mesh);
  if (mesh.colors) {
    checkItems(`${label}.colors`, mesh.colors, mesh.colorItemSize ?? 3, vertexCount);
  }
  const names = new Set<string>();
  for (const [t, target] of (mesh.morphTargets ?? []).entries()) {
    if (!target.name) throw new ExportError('INVALID_INPUT', `${label}.morphTargets[${t}] has no name`);
    if (names.has(target.name)) throw new ExportError('INVALID_INPUT', `morph target name ${target.name} is used twice`);
    names.add(target.name);
    if (target.deltas.length !== mesh.positions.length) {
      throw new ExportError(
        'MORPH_LENGTH_MISMATCH',
        `morph target ${target.name} has ${target.deltas.length} floats but positions have ${mesh.positions.length}; ` +
          'remap deltas through the same seam split as the positions (remapAttribute)',
      );
    }
    checkFinite(`morph target ${target.name}`, target.deltas);
  }
  const skin = mesh.skin;
  let jointCount = 0;
  if (skin) {
    jointCount = skin.jointNames.length;
    if (jointCount === 0) throw new ExportError('INVALID_SKIN', 'skin.jointNames is empty');
    if (skin.parents.length !== jointCount) {
      throw new ExportError('INVALID_SKIN', `skin.parents has ${skin.parents.length} entries for ${jointCount} joints`);
    }
    for (let j = 0; j < jointCount; j++) {
      const parent = skin.parents[j] as number;
      if (parent >= j || parent < -1) {
        throw new ExportError('INVALID_SKIN', `skin.parents[${j}] = ${parent}: a parent must be -1 or an earlier joint`);
      }
    }
    checkItems('skin.restJoints', skin.restJoints, 3, jointCount);
    checkFinite('skin.restJoints', skin.restJoints);
    checkSkinRows('skin', skin.joints, skin.weights, vertexCount, jointCount);
  }
  for (const [e, extra] of (mesh.extras ?? []).entries()) {
    checkGeometry(`extras[${e}] (${extra.name})`, extra);
    if (extra.joint !== undefined && (!skin || extra.joint < 0 || extra.joint >= jointCount)) {
      throw new ExportError('INVALID_SKIN', `extras[${e}].joint = ${extra.joint} but the mesh has ${jointCount} joints`);
    }
    if (extra.skinJoints || extra.skinWeights) {
      if (!skin) throw new ExportError('INVALID_SKIN', `extras[${e}] (${extra.name}) has skin rows but the main mesh has no skin`);
      if (!extra.skinJoints || !extra.skinWeights) throw new ExportError('INVALID_SKIN', `extras[${e}] (${extra.name}) needs both skinJoints and skinWeights`);
      checkSkinRows(`extras[${e}].skin`, extra.skinJoints, extra.skinWeights, extra.positions.length / 3, jointCount);
    }
    if (extra.colors) checkItems(`extras[${e}].colors`, extra.colors, 3, extra.positions.length / 3);
  }
  return vertexCount;
}

/** Four joint indices and weights per vertex: in range, finite, non-negative, not all zero. */
function checkSkinRows(label: string, joints: NumericArray, weights: NumericArray, vertexCount: number, jointCount: number): void {
  checkItems(`${label}.joints`, joints, 4, vertexCount);
  checkItems(`${label}.weights`, weights, 4, vertexCount);
  checkFinite(`${label}.weights`, weights);
  for (let i = 0; i < joints.length; i++) {
    if ((joints[i] as number) >= jointCount) {
      throw new ExportError('INVALID_SKIN', `${label}.joints[${i}] = ${joints[i]} but there are ${jointCount} joints`);
    }
  }
  for (let v = 0; v < vertexCount; v++) {
    let sum = 0;
    for (let k = 0; k < 4; k++) {
      const w = weights[v * 4 + k] as number;
      if (w < 0) throw new ExportError('INVALID_SKIN', `${label}.weights[${v * 4 + k}] = ${w} is negative`);
      sum += w;
    }
    if (sum <= 0) throw new ExportError('INVALID_SKIN', `${label}: vertex ${v} has all-zero skin weights; give it at least one joint`);
  }
}
