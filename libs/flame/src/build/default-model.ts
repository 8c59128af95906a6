/**
 * Public API. The default open head model `flame2023-open-arkit`, built deterministically from the asset
 * mirror (ids from models/assets.json) and cached as a .seifhead file:
 *
 *   template, faces, 60 identity components, MediaPipe-105 embedding  flame2023-open-basis   (CC BY 4.0)
 *   joint regressor (5 x 5023)                                         flame2020-joint-regressor (CC BY 4.0)
 *   vertex masks                                                       smirk-flame-masks      (MIT)
 *   UVs (vt + uv faces)                                                smirk-head-template    (MIT)
 *   eyelid shapes (fallback eyeBlink_L/R)                              smirk-l/r-eyelid       (MIT)
 *   iBUG-68 static + dynamic contour embedding                         ringnet-flame-*        (MIT)
 *   MediaPipe canonical mesh (to place the other 373 MediaPipe points) mediapipe-canonical-face-model (Apache-2.0)
 *   52 ARKit expression shapes transferred from ICT-FaceKit            src/ict/transfer.ts    (MIT)
 *
 * Skinning weights are derived here (./skinning.ts). Nothing derived is committed: the cache lives in
 * ${SEIF_CACHE_DIR:-~/.cache/seif}/models/.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlameError } from '../errors.js';
import { type NdArray, expectShape, toFloat32, toUint32 } from '../io/ndarray.js';
import { npyItem, npzGet, parseNpy, parseNpz } from '../io/npy.js';
import { expectDict, unpickle } from '../io/pickle.js';
import { FLAME_JOINT_NAMES, FLAME_JOINT_PARENTS, type DynamicContour, type HeadModel, type LandmarkEmbedding, validateHeadModel } from '../model/head-model.js';
import { readHeadModelFile, writeHeadModelFile } from '../model/model-file.js';
import { HeadEvaluator } from '../model/evaluate.js';
import { deriveMediapipe478 } from './mediapipe.js';
import { type ObjMesh, parseObj } from '../io/obj.js';
import { deriveSkinWeights } from './skinning.js';

export const DEFAULT_MODEL_NAME = 'flame2023-open-arkit';
/** Bump when the builder's output changes; cached files with another version are rebuilt. */
export const DEFAULT_MODEL_BUILDER_VERSION = 1;

export const DEFAULT_MODEL_ATTRIBUTION: readonly string[] = Object.freeze([
  'FLAME 2023 Open (template, identity basis, MediaPipe embedding): Li, Bolkart, Black, Li, Romero, "Learning a model of facial shape and expression from 4D scans", SIGGRAPH Asia 2017; Max Planck Institute for Intelligent Systems, https://flame.is.tue.mpg.de, CC BY 4.0; compact basis from jwj1342/LangerFace web/api/flame_basis.npz',
  'FLAME 2020 joint regressor: Max Planck Institute for Intelligent Systems, CC BY 4.0 (via hannesdelbeke/FLAME-Blender-Add-on)',
  'FLAME masks, UV template, eyelid shapes: SMIRK (Retsinas et al., CVPR 2024), georgeretsi/smirk, MIT licence',
  'iBUG-68 landmark embeddings: RingNet (Sanyal et al., CVPR 2019), soubhiksanyal/RingNet, MIT licence',
  'MediaPipe canonical face mesh: Google LLC, Apache License 2.0',
  'ARKit-named expression shapes: ICT-FaceKit, USC Institute for Creative Technologies (Li et al. 2020), MIT licence',
]);

const ASSETS = {
  basis: 'flame2023-open-basis',
  regressor: 'flame2020-joint-regressor',
  masks: 'smirk-flame-masks',
  uvTemplate: 'smirk-head-template',
  lEyelid: 'smirk-l-eyelid',
  rEyelid: 'smirk-r-eyelid',
  staticEmbedding: 'ringnet-flame-static-embedding',
  dynamicEmbedding: 'ringnet-flame-dynamic-embedding',
  mediapipeCanonical: 'mediapipe-canonical-face-model',
} as const;

export interface IctTransferModule {
  transferIctExpressions(target: { vertices: Float32Array; faces: Uint32Array }): Promise<{
    names: string[];
    deltas: Float32Array[];
    /** When present: ICT's jaw opening as a rotation, and the plain (joint-free) jawOpen delta. */
    report?: { jaw?: { axis: readonly number[]; angle: number; fullDelta: Float32Array } };
  }>;
}

export interface BuildOptions {
  /** Asset id -> verified local path (default: @seif/models assetPath). */
  resolveAsset?: (id: string) => Promise<string>;
  /** The ICT transfer module; default: dynamic import of ../ict/transfer.js when it exists. `null` forces the fallback. */
  ictTransfer?: IctTransferModule | null;
  log?: (message: string) => void;
}

async function defaultResolver(): Promise<(id: string) => Promise<string>> {
  const { assetPath } = await import('@seif/models');
  return assetPath;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const ictDir = path.resolve(here, '../ict');

/** Loads src/ict/transfer.ts when the file exists; undefined otherwise (other import errors propagate). */
export async function loadIctTransfer(): Promise<IctTransferModule | undefined> {
  if (!existsSync(path.join(ictDir, 'transfer.ts')) && !existsSync(path.join(ictDir, 'transfer.js'))) return undefined;
  const specifier = '../ict/transfer.js';
  const module = (await import(/* @vite-ignore */ specifier)) as Partial<IctTransferModule>;
  if (typeof module.transferIctExpressions !== 'function') {
    throw new FlameError('MISSING_INPUT', 'src/ict/transfer.ts exists but does not export transferIctExpressions()');
  }
  return module as IctTransferModule;
}

/** Builds the default model in memory (a few seconds without the ICT transfer). */
export async function buildDefaultHeadModel(options: BuildOptions = {}): Promise<HeadModel> {
  const resolve = options.resolveAsset ?? (await defaultResolver());
  const log = options.log ?? (() => {});
  const read = async (id: string) => new Uint8Array(await readFile(await resolve(id)));

  log('reading FLAME 2023 Open basis');
  const basis = parseNpz(await read(ASSETS.basis), ASSETS.basis);
  const vTemplate = npzGet(basis, 'v_template', ASSETS.basis);
  expectShape(vTemplate, [-1, 3], 'v_template');
  const n = vTemplate.shape[0] as number;
  const template = toFloat32(vTemplate, 'v_template');
  const facesArray = npzGet(basis, 'faces', ASSETS.basis);
  expectShape(facesArray, [-1, 3], 'faces');
  const faces = toUint32(facesArray, 'faces');
  const shapedirs = npzGet(basis, 'shapedirs', ASSETS.basis);
  expectShape(shapedirs, [n, 3, -1], 'shapedirs');
  const identity = componentMajor(shapedirs);
  const identityCount = shapedirs.shape[2] as number;

  log('reading joint regressor, masks, UVs, embeddings');
  const regressorArray = npzGet(parseNpz(await read(ASSETS.regressor), ASSETS.regressor), 'joint_regressor', ASSETS.regressor);
  expectShape(regressorArray, [5, n], 'joint_regressor');
  const regressor = toFloat32(regressorArray, 'joint_regressor');

  const masksDict = expectDict(unpickle(await read(ASSETS.masks)), ASSETS.masks);
  const masks: Record<string, Uint32Array> = {};
  for (const key of [...masksDict.keys()].sort()) masks[key] = toUint32(masksDict.get(key) as NdArray, `mask ${key}`);
  const eyeballs = {
    left: contiguousRange(masks.left_eyeball, 'left_eyeball'),
    right: contiguousRange(masks.right_eyeball, 'right_eyeball'),
  };

  const uvMesh = parseMesh(await read(ASSETS.uvTemplate), ASSETS.uvTemplate);
  const uvFaces = uvMesh.uvFaces;
  if (!uvFaces) throw new FlameError('CORRUPT_FILE', `${ASSETS.uvTemplate}: faces without texture coordinates`);
  if (uvMesh.faces.length !== faces.length || uvMesh.faces.some((v, i) => v !== faces[i])) {
    throw new FlameError('BAD_SHAPE', `${ASSETS.uvTemplate}: faces differ from the FLAME basis; UVs cannot be attached`);
  }

  const known105: LandmarkEmbedding = {
    faceIndex: toUint32(npzGet(basis, 'lmk_face_idx', ASSETS.basis)),
    barycentric: toFloat32(npzGet(basis, 'lmk_b_coords', ASSETS.basis)),
    sourceIndex: toUint32(npzGet(basis, 'landmark_indices', ASSETS.basis)),
  };
  const staticDict = expectDict(unpickle(await read(ASSETS.staticEmbedding)), ASSETS.staticEmbedding);
  const ibugStatic: LandmarkEmbedding = {
    faceIndex: toUint32(staticDict.get('lmk_face_idx') as NdArray, 'static lmk_face_idx'),
    barycentric: toFloat32(staticDict.get('lmk_b_coords') as NdArray, 'static lmk_b_coords'),
    sourceIndex: Uint32Array.from({ length: 51 }, (_, i) => 17 + i),
  };
  const dynamicContour = readDynamicContour(expectDict(npyItem(parseNpy(await read(ASSETS.dynamicEmbedding), ASSETS.dynamicEmbedding)), ASSETS.dynamicEmbedding));

  log('placing the 478 MediaPipe points');
  const canonical = parseMesh(await read(ASSETS.mediapipeCanonical), ASSETS.mediapipeCanonical);
  const faceVertex = new Uint8Array(n);
  for (const name of ['face', 'lips', 'nose', 'eye_region', 'forehead']) for (const v of masks[name] ?? []) faceVertex[v] = 1;
  for (const [s, e] of [eyeballs.left, eyeballs.right]) for (let v = s; v < e; v++) faceVertex[v] = 0;
  const faceTriangles: number[] = [];
  for (let t = 0; t < faces.length / 3; t++) if (faceVertex[faces[3 * t]!] && faceVertex[faces[3 * t + 1]!] && faceVertex[faces[3 * t + 2]!]) faceTriangles.push(t);
  const mp = deriveMediapipe478({ template, faces, known: known105, canonical: canonical.vertices, faceTriangles: Uint32Array.from(faceTriangles), eyeballs });

  log('deriving skinning weights');
  const { weights } = deriveSkinWeights({ template, faces, masks, eyeballs });

  // Expression basis.
  let transfer = options.ictTransfer;
  if (transfer === undefined) transfer = (await loadIctTransfer()) ?? null;
  let expressionNames: string[];
  let expressionDeltas: Float32Array;
  let expressionSource: string;
  let jawOpenRotation: number[] | undefined;
  if (transfer) {
    log('transferring ICT-FaceKit expressions');
    const result = await transfer.transferIctExpressions({ vertices: template, faces });
    if (result.names.length !== result.deltas.length) throw new FlameError('BAD_SHAPE', `ICT transfer returned ${result.names.length} names for ${result.deltas.length} shapes`);
    expressionNames = [...result.names];
    expressionDeltas = new Float32Array(result.names.length * 3 * n);
    result.deltas.forEach((d, i) => {
      if (d.length !== 3 * n) throw new FlameError('BAD_SHAPE', `ICT transfer shape ${result.names[i]} has ${d.length} values, needs ${3 * n}`);
      expressionDeltas.set(d, i * 3 * n);
    });
    expressionSource = 'ict-facekit';
    const jaw = result.report?.jaw;
    const jawIndex = expressionNames.indexOf('jawOpen');
    if (jaw && jawIndex >= 0) {
      // Our skin weights differ from the transfer's estimate: recompute jawOpen as the rest-space corrective
      // that, skinned with the jaw at ICT's angle, lands exactly on ICT's full jawOpen shape.
      jawOpenRotation = [jaw.axis[0]! * jaw.angle, jaw.axis[1]! * jaw.angle, jaw.axis[2]! * jaw.angle];
      expressionDeltas.set(jawCorrective(template, faces, regressor, weights, jawOpenRotation, jaw.fullDelta), jawIndex * 3 * n);
    }
  } else {
    log('ICT transfer not available: expression basis = SMIRK eyelids as eyeBlink_L/R');
    const l = parseNpy(await read(ASSETS.lEyelid), ASSETS.lEyelid);
    const r = parseNpy(await read(ASSETS.rEyelid), ASSETS.rEyelid);
    expectShape(l, [n, 3], ASSETS.lEyelid);
    expectShape(r, [n, 3], ASSETS.rEyelid);
    expressionNames = ['eyeBlinkLeft', 'eyeBlinkRight'];
    expressionDeltas = new Float32Array(2 * 3 * n);
    expressionDeltas.set(toFloat32(l), 0);
    expressionDeltas.set(toFloat32(r), 3 * n);
    expressionSource = 'smirk-eyelids';
  }

  const model: HeadModel = {
    name: DEFAULT_MODEL_NAME,
    version: `${DEFAULT_MODEL_BUILDER_VERSION}`,
    licence: 'CC-BY-4.0 (FLAME 2023 Open and regressor); MIT (SMIRK, RingNet, ICT-FaceKit); Apache-2.0 (MediaPipe mesh)',
    attribution: DEFAULT_MODEL_ATTRIBUTION,
    meta: {
      builderVersion: DEFAULT_MODEL_BUILDER_VERSION,
      expressionSource,
      assets: Object.values(ASSETS),
      mediapipeRegistrationErrorMetres: Number(mp.meanRegistrationError.toFixed(5)),
      rotationConvention: 'axis-angle',
      ...(expressionSource === 'smirk-eyelids'
        ? { missingExpressions: 'only eyeBlinkLeft/Right (SMIRK eyelids); the ICT-FaceKit transfer (src/ict/transfer.ts) was not available at build time' }
        : {}),
      ...(jawOpenRotation ? { jawOpenRotation } : {}),
    },
    vertexCount: n,
    template,
    faces,
    identity: { names: Array.from({ length: identityCount }, (_, i) => `shape${String(i).padStart(3, '0')}`), deltas: identity },
    expression: { names: expressionNames, deltas: expressionDeltas },
    joints: { names: [...FLAME_JOINT_NAMES], parents: Int32Array.from(FLAME_JOINT_PARENTS), regressor },
    skinWeights: weights,
    uv: { coords: uvMesh.uvs, faces: uvFaces },
    landmarks: { mediapipe478: mp.embedding, mediapipe105: known105, ibug68_static: ibugStatic },
    dynamicContour,
    masks,
    eyeballs,
  };
  return validateHeadModel(model);
}

/**
 * Rest-space corrective c with LBS(template + c, jaw = rotation) = template + fullDelta: per vertex,
 * c = L^-1 (t + d - b) - t with x -> L x + b the vertex's blended skinning transform.
 */
function jawCorrective(template: Float32Array, faces: Uint32Array, regressor: Float32Array, weights: Float32Array, rotation: number[], fullDelta: Float32Array): Float32Array {
  const n = template.length / 3;
  const probe: HeadModel = {
    name: 'probe', version: '0', licence: '', attribution: [], meta: {}, vertexCount: n, template, faces,
    identity: { names: [], deltas: new Float32Array() }, expression: { names: [], deltas: new Float32Array() },
    joints: { names: [...FLAME_JOINT_NAMES], parents: Int32Array.from(FLAME_JOINT_PARENTS), regressor },
    skinWeights: weights, landmarks: {}, masks: {},
  };
  const evaluator = new HeadEvaluator(probe);
  const pose = new Float64Array(15);
  pose.set(rotation, 6);
  evaluator.evaluate({ pose });
  const world = evaluator.worldRotations, wj = evaluator.worldJoints, rest = evaluator.restJoints;
  const out = new Float32Array(3 * n);
  const L = new Float64Array(9), b = new Float64Array(3), inv = new Float64Array(9);
  for (let v = 0; v < n; v++) {
    L.fill(0); b.fill(0);
    for (let j = 0; j < 5; j++) {
      const w = weights[5 * v + j]!;
      if (w === 0) continue;
      for (let r = 0; r < 3; r++) {
        let t = wj[3 * j + r]!;
        for (let c = 0; c < 3; c++) { L[3 * r + c] = L[3 * r + c]! + w * world[9 * j + 3 * r + c]!; t -= world[9 * j + 3 * r + c]! * rest[3 * j + c]!; }
        b[r] = b[r]! + w * t;
      }
    }
    const det = L[0]! * (L[4]! * L[8]! - L[5]! * L[7]!) - L[1]! * (L[3]! * L[8]! - L[5]! * L[6]!) + L[2]! * (L[3]! * L[7]! - L[4]! * L[6]!);
    inv[0] = (L[4]! * L[8]! - L[5]! * L[7]!) / det; inv[1] = (L[2]! * L[7]! - L[1]! * L[8]!) / det; inv[2] = (L[1]! * L[5]! - L[2]! * L[4]!) / det;
    inv[3] = (L[5]! * L[6]! - L[3]! * L[8]!) / det; inv[4] = (L[0]! * L[8]! - L[2]! * L[6]!) / det; inv[5] = (L[2]! * L[3]! - L[0]! * L[5]!) / det;
    inv[6] = (L[3]! * L[7]! - L[4]! * L[6]!) / det; inv[7] = (L[1]! * L[6]! - L[0]! * L[7]!) / det; inv[8] = (L[0]! * L[4]! - L[1]! * L[3]!) / det;
    for (let r = 0; r < 3; r++) {
      let s = 0;
      for (let c = 0; c < 3; c++) s += inv[3 * r + c]! * (template[3 * v + c]! + fullDelta[3 * v + c]! - b[c]!);
      out[3 * v + r] = s - template[3 * v + r]!;
    }
  }
  return out;
}

/** (n, 3, k) shapedirs -> k blocks of n*3 deltas. */
export function componentMajor(shapedirs: NdArray): Float32Array {
  const [n, three, k] = shapedirs.shape as [number, number, number];
  const src = shapedirs.data as ArrayLike<number>;
  const out = new Float32Array(n * three * k);
  for (let v = 0; v < n * three; v++) for (let c = 0; c < k; c++) out[c * n * three + v] = src[v * k + c] as number;
  return out;
}

function contiguousRange(indices: Uint32Array | undefined, what: string): [number, number] {
  if (!indices || indices.length === 0) throw new FlameError('MISSING_INPUT', `mask ${what} is missing`);
  const sorted = [...indices].sort((a, b) => a - b);
  const start = sorted[0] as number;
  if (sorted.some((v, i) => v !== start + i)) throw new FlameError('BAD_SHAPE', `mask ${what} is not a contiguous vertex range`);
  return [start, start + sorted.length];
}

/** RingNet/DECA dynamic contour: 79 yaw bins; bin i <= 39 is yaw -i degrees, bin i >= 40 is yaw (i - 39). */
/** An OBJ asset, with parse failures reported as the model file's corruption. */
function parseMesh(bytes: Uint8Array, id: string): ObjMesh {
  try {
    return parseObj(bytes);
  } catch (error) {
    throw new FlameError('CORRUPT_FILE', `${id}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function readDynamicContour(dict: Map<string, unknown>): DynamicContour {
  const faceLists = dict.get('lmk_face_idx') as NdArray[] | undefined;
  const baryLists = dict.get('lmk_b_coords') as NdArray[] | undefined;
  if (!Array.isArray(faceLists) || !Array.isArray(baryLists) || faceLists.length !== baryLists.length) {
    throw new FlameError('CORRUPT_FILE', 'dynamic embedding: expected lists lmk_face_idx and lmk_b_coords of equal length');
  }
  const bins = faceLists.length;
  const points = (faceLists[0] as NdArray).shape[0] as number;
  const faceIndex = new Uint32Array(bins * points);
  const barycentric = new Float32Array(bins * points * 3);
  const yaw = new Float32Array(bins);
  for (let i = 0; i < bins; i++) {
    faceIndex.set(toUint32(faceLists[i] as NdArray), i * points);
    barycentric.set(toFloat32(baryLists[i] as NdArray), i * points * 3);
    yaw[i] = ((i <= 39 ? -i : i - 39) * Math.PI) / 180;
  }
  return { yaw, faceIndex, barycentric, pointsPerBin: points };
}

/** Directory of built models: ${SEIF_CACHE_DIR:-~/.cache/seif}/models. */
export function modelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.SEIF_CACHE_DIR || path.join(os.homedir(), '.cache', 'seif'), 'models');
}

/** A key that changes when the builder, its sources or the ICT transfer code change. */
export async function defaultModelBuildKey(): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`builder ${DEFAULT_MODEL_BUILDER_VERSION}\n`);
  for (const dir of [here, ictDir]) {
    if (!existsSync(dir)) continue;
    for (const file of (await readdir(dir)).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.test.ts')).sort()) {
      hash.update(`${path.basename(dir)}/${file}\n`);
      hash.update(await readFile(path.join(dir, file)));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

export function defaultModelPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(modelCacheDir(env), `${DEFAULT_MODEL_NAME}.seifhead`);
}

let loading: Promise<HeadModel> | undefined;

/**
 * The default model: read from the cache, or built (and cached) when missing or stale. Concurrent callers in
 * one process share one build; concurrent processes each build and the atomic rename makes that harmless.
 */
export function loadDefaultHeadModel(options: BuildOptions & { rebuild?: boolean } = {}): Promise<HeadModel> {
  if (options.rebuild || options.resolveAsset || options.ictTransfer !== undefined) return loadOrBuild(options);
  loading ??= loadOrBuild(options).catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function loadOrBuild(options: BuildOptions & { rebuild?: boolean }): Promise<HeadModel> {
  const file = defaultModelPath();
  const key = await defaultModelBuildKey();
  if (!options.rebuild && existsSync(file)) {
    try {
      const model = await readHeadModelFile(file);
      if (model.meta.buildKey === key) return model;
      options.log?.(`cached ${file} is stale (build key ${String(model.meta.buildKey)} != ${key}); rebuilding`);
    } catch (error) {
      options.log?.(`cached ${file} is unreadable (${error instanceof Error ? error.message : String(error)}); rebuilding`);
    }
  }
  const built = await buildDefaultHeadModel(options);
  const model: HeadModel = { ...built, meta: { ...built.meta, buildKey: key } };
  await mkdir(path.dirname(file), { recursive: true });
  await writeHeadModelFile(file, model);
  return model;
}
