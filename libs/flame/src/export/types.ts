/**
 * Public API. Input of every exporter: flat typed arrays, item sizes implied by the attribute (3 for positions,
 * normals and deltas, 2 for UVs, 4 for skin joints and weights), the way three.js's BufferGeometry stores them.
 *
 * Units are metres, +y up, +z toward the face (FLAME's head-model frame).
 * UVs use the OBJ convention (origin bottom-left, v up), as FLAME's `vt` do; the GLB writer flips v for glTF.
 * UVs are per vertex: FLAME's per-corner UVs must first go through `splitUvSeams` (uv-seams.ts).
 */

export type TextureMime = 'image/png' | 'image/jpeg';

export interface ExportTexture {
  /** Encoded PNG or JPEG bytes, written as-is (embedded in GLB, a file next to OBJ). */
  bytes: Uint8Array;
  mime: TextureMime;
}

export interface ExportMaterial {
  name?: string;
  /** Linear RGBA; defaults to a light skin tone when there is no texture and white when there is one. */
  baseColor?: [number, number, number, number];
  texture?: ExportTexture;
  /** Default 0.55: skin is a fairly rough dielectric. */
  roughness?: number;
  /** Default 0: no part of a head is metal. */
  metalness?: number;
  doubleSided?: boolean;
}

export interface ExportMorphTarget {
  /** ARKit name (e.g. `jawOpen`, `eyeBlinkLeft`); stored in glTF mesh `extras.targetNames`. */
  name: string;
  /** Per-vertex position deltas (metres), same length as `positions`. */
  deltas: Float32Array;
}

export interface ExportSkin {
  /** One name per joint, e.g. FLAME's `global`, `neck`, `jaw`, `eye_left`, `eye_right`. */
  jointNames: string[];
  /** Parent joint index per joint, -1 for a root. A parent must come before its children. */
  parents: Int32Array | number[];
  /** Rest (bind) position of each joint in model space, metres; 3 per joint. Joints are unrotated at rest. */
  restJoints: Float32Array;
  /** Four joint indices per vertex. */
  joints: Uint16Array | Uint8Array | Uint32Array;
  /** Four weights per vertex; each row is normalised to sum to 1 on export. */
  weights: Float32Array;
}

export interface ExportExtraMesh {
  name: string;
  positions: Float32Array;
  indices: Uint32Array;
  normals?: Float32Array;
  uvs?: Float32Array;
  material?: ExportMaterial;
  /** Attach rigidly to this joint of the main mesh's skin (e.g. an eyeball to its eye joint). */
  joint?: number;
  /**
   * Or skin it per vertex to the main mesh's joints (e.g. hair: weights taken from the nearest head vertices), four
   * joint indices and weights per vertex. Ignored without a main skin; `joint` wins when both are set.
   */
  skinJoints?: Uint16Array | Uint8Array | Uint32Array;
  skinWeights?: Float32Array;
  /** RGB per vertex, 0..255 (COLOR_0), e.g. hair coloured from the photo. */
  colors?: Uint8Array;
}

export interface ExportMesh {
  name?: string;
  /** xyz per vertex, metres. */
  positions: Float32Array;
  /** Three vertex indices per triangle, counter-clockwise seen from outside. */
  indices: Uint32Array;
  /** Unit normals per vertex; computed (area-weighted) when absent. */
  normals?: Float32Array;
  /** uv per vertex (OBJ convention, v up). */
  uvs?: Float32Array;
  /** RGB (or RGBA when `colorItemSize` is 4) per vertex, 0..255; written by PLY and GLB (COLOR_0). */
  colors?: Uint8Array;
  colorItemSize?: 3 | 4;
  material?: ExportMaterial;
  morphTargets?: ExportMorphTarget[];
  skin?: ExportSkin;
  extras?: ExportExtraMesh[];
}

export type ExportFormat = 'glb' | 'obj' | 'ply' | 'stl';
export const EXPORT_FORMATS: readonly ExportFormat[] = Object.freeze(['glb', 'obj', 'ply', 'stl']);
