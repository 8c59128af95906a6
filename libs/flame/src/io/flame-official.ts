/**
 * Public API. Loads official FLAME model files (FLAME 2020 `generic_model.pkl` with chumpy arrays and a scipy
 * sparse joint regressor; FLAME 2023 and FLAME 2023 Open pickles with plain numpy arrays) into a HeadModel.
 * The files cannot ship with the project (FLAME 2020/2023 are under MPI's non-commercial licence); a user
 * points SEIF_FLAME_MODEL at theirs.
 *
 * Keys read: v_template (5023x3), f (9976x3), shapedirs (5023x3xK: the first `identityCount` identity, the rest
 * expression), posedirs (5023x3x36), J_regressor (5x5023, sparse or dense), weights (5023x5), kintree_table
 * (2x5). Masks and landmark embeddings are not in these files; attach them from FLAME's separate downloads or
 * the default model (same topology).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FlameError, toFlameError } from '../errors.js';
import { FLAME_JOINT_NAMES, type HeadModel, validateHeadModel } from '../model/head-model.js';
import { type NdArray, expectShape, isNdArray, toFloat32, toUint32 } from './ndarray.js';
import { expectDict, isSparseMatrix, sparseToDense, unpickle } from './pickle.js';

export interface FlameOfficialOptions {
  /** Model name recorded in results; default from the file name ('flame2020', 'flame2023', 'flame2023-open'). */
  name?: string;
  /** Leading shapedirs components that are identity (FLAME: 300). */
  identityCount?: number;
  /** For error messages. */
  source?: string;
}

const FLAME_VERTEX_COUNT = 5023;

function nameFromFile(file: string): string {
  const base = path.basename(file).toLowerCase();
  if (base.includes('2023') && base.includes('open')) return 'flame2023-open';
  if (base.includes('2023')) return 'flame2023';
  return 'flame2020';
}

export function parseFlameOfficial(bytes: Uint8Array, options: FlameOfficialOptions = {}): HeadModel {
  const source = options.source ?? 'FLAME model';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    throw new FlameError('UNSUPPORTED_FORMAT', `${source} is a zip archive (.npz or a torch file), not a FLAME pickle; give the .pkl from flame.is.tue.mpg.de`);
  }
  let root: unknown;
  try {
    root = unpickle(bytes);
  } catch (error) {
    throw toFlameError('CORRUPT_FILE', `${source} does not unpickle`, error);
  }
  const dict = expectDict(root, source);
  const array = (key: string): NdArray => {
    const value = dict.get(key);
    if (value === undefined) throw new FlameError('MISSING_INPUT', `${source}: no "${key}" (keys: ${[...dict.keys()].join(', ')}); is this a FLAME model file?`);
    if (isSparseMatrix(value)) return { kind: 'ndarray', dtype: '<f8', shape: [...value.shape], data: sparseToDense(value) };
    if (!isNdArray(value)) throw new FlameError('UNSUPPORTED_FORMAT', `${source}: "${key}" is not an array`);
    return value;
  };
  const vTemplate = array('v_template');
  expectShape(vTemplate, [-1, 3], `${source}: v_template`);
  const n = vTemplate.shape[0] as number;
  const faces = array('f');
  expectShape(faces, [-1, 3], `${source}: f`);
  const shapedirs = array('shapedirs');
  expectShape(shapedirs, [n, 3, -1], `${source}: shapedirs`);
  const total = shapedirs.shape[2] as number;
  const identityCount = Math.min(options.identityCount ?? 300, total);
  const expressionCount = total - identityCount;
  const sd = shapedirs.data as ArrayLike<number>;
  const identity = new Float32Array(identityCount * 3 * n);
  const expression = new Float32Array(expressionCount * 3 * n);
  for (let q = 0; q < 3 * n; q++) {
    for (let c = 0; c < identityCount; c++) identity[c * 3 * n + q] = sd[q * total + c] as number;
    for (let c = 0; c < expressionCount; c++) expression[c * 3 * n + q] = sd[q * total + identityCount + c] as number;
  }
  const regressor = array('J_regressor');
  expectShape(regressor, [-1, n], `${source}: J_regressor`);
  const jointCount = regressor.shape[0] as number;
  const weights = array('weights');
  expectShape(weights, [n, jointCount], `${source}: weights`);
  const kintree = array('kintree_table');
  expectShape(kintree, [2, jointCount], `${source}: kintree_table`);
  const parents = new Int32Array(jointCount);
  const kt = kintree.data as ArrayLike<number>;
  for (let j = 0; j < jointCount; j++) {
    const child = kt[jointCount + j] as number;
    const parent = kt[j] as number;
    // The root's parent is stored as uint32(-1) = 4294967295 (or -1).
    if (child >= 0 && child < jointCount) parents[child] = j === 0 || parent >= jointCount || parent < 0 ? -1 : parent;
  }
  let poseCorrectives: Float32Array | undefined;
  if (dict.has('posedirs')) {
    const posedirs = array('posedirs');
    const k = 9 * (jointCount - 1);
    expectShape(posedirs, [n, 3, k], `${source}: posedirs`);
    const pd = posedirs.data as ArrayLike<number>;
    poseCorrectives = new Float32Array(k * 3 * n);
    for (let q = 0; q < 3 * n; q++) for (let c = 0; c < k; c++) poseCorrectives[c * 3 * n + q] = pd[q * k + c] as number;
  }
  const name = options.name ?? 'flame2020';
  const open = name === 'flame2023-open';
  const model: HeadModel = {
    name,
    version: name.replace(/^flame/, '').replace(/-open$/, '') || 'unknown',
    licence: open ? 'CC-BY-4.0' : 'FLAME licence (MPI, non-commercial scientific research); see https://flame.is.tue.mpg.de',
    attribution: [
      'FLAME: Li, Bolkart, Black, Li, Romero, "Learning a model of facial shape and expression from 4D scans", SIGGRAPH Asia 2017; Max Planck Institute for Intelligent Systems',
    ],
    meta: { source: 'official', rotationConvention: 'axis-angle', chumpy: String(dict.get('bs_style') ?? '') },
    vertexCount: n,
    template: toFloat32(vTemplate),
    faces: toUint32(faces, `${source}: f`),
    identity: { names: Array.from({ length: identityCount }, (_, i) => `shape${String(i).padStart(3, '0')}`), deltas: identity },
    expression: { names: Array.from({ length: expressionCount }, (_, i) => `exp${String(i).padStart(3, '0')}`), deltas: expression },
    ...(poseCorrectives ? { poseCorrectives } : {}),
    joints: {
      names: jointCount === FLAME_JOINT_NAMES.length ? [...FLAME_JOINT_NAMES] : Array.from({ length: jointCount }, (_, i) => `joint${i}`),
      parents,
      regressor: toFloat32(regressor),
    },
    skinWeights: toFloat32(weights),
    landmarks: {},
    masks: {},
    ...(n === FLAME_VERTEX_COUNT ? { eyeballs: { left: [3931, 4477] as const, right: [4477, 5023] as const } } : {}),
  };
  return validateHeadModel(model);
}

export async function loadFlameOfficial(file: string, options: Omit<FlameOfficialOptions, 'source'> = {}): Promise<HeadModel> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw new FlameError('MISSING_INPUT', `FLAME model file ${file} cannot be read`, { cause });
  }
  return parseFlameOfficial(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { name: nameFromFile(file), ...options, source: file });
}

/** The user's FLAME model from SEIF_FLAME_MODEL, or undefined when the variable is unset. */
export async function loadFlameOfficialFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<HeadModel | undefined> {
  const file = env.SEIF_FLAME_MODEL;
  return file ? loadFlameOfficial(file) : undefined;
}
