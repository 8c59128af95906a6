/**
 * Loads what the ICT -> FLAME transfer needs through the asset fetcher (models/assets.json):
 * ICT-FaceKit Light (MIT): the neutral mesh, the 53 ARKit-named expression OBJs, vertex_indices.json (68 iBUG
 * landmark vertices); RingNet's FLAME static landmark embedding (iBUG points 18-68 as FLAME face + barycentrics,
 * MIT) and SMIRK's FLAME vertex masks (MIT), both pickles read with the package's own unpickler (io/pickle.ts).
 */
import { readFile } from 'node:fs/promises';
import { assetPath } from '@seif/models';
import { FlameError } from '../errors.js';
import { isNdArray } from '../io/ndarray.js';
import { expectDict, unpickle } from '../io/pickle.js';
import { parseObj } from '../io/obj.js';

/** ICT-FaceKit Light's 53 expression shapes (vertex_indices.json `expressions`), in its order. */
export const ICT_EXPRESSIONS = Object.freeze([
  'browDown_L', 'browDown_R', 'browInnerUp_L', 'browInnerUp_R', 'browOuterUp_L', 'browOuterUp_R', 'cheekPuff_L', 'cheekPuff_R',
  'cheekSquint_L', 'cheekSquint_R', 'eyeBlink_L', 'eyeBlink_R', 'eyeLookDown_L', 'eyeLookDown_R', 'eyeLookIn_L', 'eyeLookIn_R',
  'eyeLookOut_L', 'eyeLookOut_R', 'eyeLookUp_L', 'eyeLookUp_R', 'eyeSquint_L', 'eyeSquint_R', 'eyeWide_L', 'eyeWide_R',
  'jawForward', 'jawLeft', 'jawOpen', 'jawRight', 'mouthClose', 'mouthDimple_L', 'mouthDimple_R', 'mouthFrown_L', 'mouthFrown_R',
  'mouthFunnel', 'mouthLeft', 'mouthLowerDown_L', 'mouthLowerDown_R', 'mouthPress_L', 'mouthPress_R', 'mouthPucker', 'mouthRight',
  'mouthRollLower', 'mouthRollUpper', 'mouthShrugLower', 'mouthShrugUpper', 'mouthSmile_L', 'mouthSmile_R', 'mouthStretch_L',
  'mouthStretch_R', 'mouthUpperUp_L', 'mouthUpperUp_R', 'noseSneer_L', 'noseSneer_R',
] as const);
export type IctExpression = (typeof ICT_EXPRESSIONS)[number];

/** Manifest id of an ICT expression file: `browDown_L` -> `ict-browdown-l`. */
export const ictAssetId = (name: string) => `ict-${name.toLowerCase().replace(/_/g, '-')}`;

/** ICT-FaceKit Light vertex and polygon ranges (README tables; end exclusive). */
export const ICT_RANGES = Object.freeze({
  /** Face, head and neck, mouth socket, eye sockets: the skin surface FLAME's head corresponds to. */
  skinVertices: [0, 14062] as const,
  skinPolygons: [0, 14034] as const,
  faceVertices: [0, 9409] as const,
  lowerTeethVertices: [19247, 21451] as const,
  eyeballVertices: [
    [21451, 23021],
    [23021, 24591],
  ] as const,
});

export interface IctData {
  /** Neutral vertices in ICT's frame (centimetres). */
  neutral: Float32Array;
  /** Neutral triangles (quads split) and the polygon each came from. */
  faces: Uint32Array;
  polygonOfTriangle: Uint32Array;
  /** Absolute vertex positions of each expression (same topology as the neutral). */
  expressions: Map<IctExpression, Float32Array>;
  /** 68 iBUG (Multi-PIE) landmark vertex indices. */
  landmarks: Uint32Array;
}

export interface FlameAuxData {
  /** RingNet static embedding: iBUG landmarks 18..68 (51 points) as FLAME face index + barycentrics. */
  landmarkFaces: Uint32Array;
  landmarkBary: Float64Array;
  /** SMIRK's FLAME masks: name -> vertex indices (face, lips, nose, scalp, left_eyeball, ...). */
  masks: Map<string, Uint32Array>;
}

async function loadObjPositions(id: string): Promise<Float32Array> {
  return parseObj(await readFile(await assetPath(id)), { positionsOnly: true }).vertices;
}

export async function loadIctData(): Promise<IctData> {
  const [neutralBytes, indicesText] = await Promise.all([
    assetPath('ict-generic-neutral-mesh').then((file) => readFile(file)),
    assetPath('ict-vertex-indices').then((file) => readFile(file, 'utf8')),
  ]);
  const neutral = parseObj(neutralBytes);
  const json = JSON.parse(indicesText) as { idx_to_landmark_verts?: number[]; expressions?: string[] };
  const landmarks = json.idx_to_landmark_verts;
  if (!landmarks || landmarks.length !== 68) throw new FlameError('CORRUPT_FILE', 'ICT vertex_indices.json: idx_to_landmark_verts must list 68 vertices');
  const expressions = new Map<IctExpression, Float32Array>();
  // Four at a time: parsing is CPU bound and the machine has two cores.
  for (let start = 0; start < ICT_EXPRESSIONS.length; start += 4) {
    const batch = ICT_EXPRESSIONS.slice(start, start + 4);
    const loaded = await Promise.all(batch.map((name) => loadObjPositions(ictAssetId(name))));
    batch.forEach((name, i) => {
      const vertices = loaded[i] as Float32Array;
      if (vertices.length !== neutral.vertices.length) {
        throw new FlameError('CORRUPT_FILE', `ICT ${name}.obj has ${vertices.length / 3} vertices, the neutral ${neutral.vertices.length / 3}`);
      }
      expressions.set(name, vertices);
    });
  }
  return { neutral: neutral.vertices, faces: neutral.faces, polygonOfTriangle: neutral.polygonOfTriangle, expressions, landmarks: Uint32Array.from(landmarks) };
}

function ndData(value: unknown, what: string): ArrayLike<number> {
  if (!isNdArray(value) || Array.isArray(value.data)) throw new FlameError('CORRUPT_FILE', `${what}: expected a numeric numpy array`);
  return value.data as ArrayLike<number>;
}

export async function loadFlameAuxData(): Promise<FlameAuxData> {
  const [embeddingBytes, maskBytes] = await Promise.all([
    assetPath('ringnet-flame-static-embedding').then((file) => readFile(file)),
    assetPath('smirk-flame-masks').then((file) => readFile(file)),
  ]);
  const embedding = expectDict(unpickle(embeddingBytes), 'flame_static_embedding.pkl');
  const landmarkFaces = Uint32Array.from(ndData(embedding.get('lmk_face_idx'), 'lmk_face_idx'));
  const landmarkBary = Float64Array.from(ndData(embedding.get('lmk_b_coords'), 'lmk_b_coords'));
  if (landmarkFaces.length !== 51 || landmarkBary.length !== 153) {
    throw new FlameError('CORRUPT_FILE', `flame_static_embedding.pkl: expected 51 landmarks, found ${landmarkFaces.length}`);
  }
  const masks = new Map<string, Uint32Array>();
  for (const [name, value] of expectDict(unpickle(maskBytes), 'FLAME_masks.pkl')) masks.set(String(name), Uint32Array.from(ndData(value, `mask ${String(name)}`)));
  return { landmarkFaces, landmarkBary, masks };
}
