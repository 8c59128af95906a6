/**
 * Public API. The compact head-model file (.seifhead): a fixed 24-byte header, a JSON description, then every
 * typed array in its own 16-byte-aligned section, little-endian. Reading makes typed-array views on the one
 * buffer (no per-array copy), so a 10+ MB model loads in a few milliseconds.
 *
 *   0  8 bytes  magic "SEIFHEAD"
 *   8  u32      format version (HEAD_MODEL_FORMAT_VERSION)
 *  12  u32      JSON length in bytes
 *  16  u32      CRC-32 (IEEE) of everything from byte 24 to the end
 *  20  u32      reserved (0)
 *  24  JSON     { model: scalars and names, arrays: [{ key, type, offset, length }] }, padded with spaces
 *  ..  sections at the recorded offsets (from the start of the file)
 */
import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { FlameError } from '../errors.js';
import type { DynamicContour, HeadModel, LandmarkEmbedding } from './head-model.js';
import { validateHeadModel } from './head-model.js';

export const HEAD_MODEL_MAGIC = 'SEIFHEAD';
export const HEAD_MODEL_FORMAT_VERSION = 1;
const FIXED_HEADER = 24;
/** 16 covers every typed array's alignment need (max 8) and matches SIMD-friendly boundaries. */
const ALIGN = 16;

type ArrayType = 'f32' | 'u32' | 'i32';
type Typed = Float32Array | Uint32Array | Int32Array;

interface SectionEntry {
  key: string;
  type: ArrayType;
  offset: number;
  length: number;
}

interface FileJson {
  model: {
    name: string;
    version: string;
    licence: string;
    attribution: string[];
    meta: Record<string, unknown>;
    vertexCount: number;
    identityNames: string[];
    expressionNames: string[];
    jointNames: string[];
    landmarkSets: string[];
    masks: string[];
    pointsPerBin?: number;
    eyeballs?: HeadModel['eyeballs'];
  };
  arrays: SectionEntry[];
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3), as zip and PNG use. */
export function crc32(bytes: Uint8Array, seed = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const table = crcTable;
  let crc = (seed ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = (table[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function typeOf(array: Typed): ArrayType {
  if (array instanceof Float32Array) return 'f32';
  if (array instanceof Uint32Array) return 'u32';
  return 'i32';
}

function collectArrays(model: HeadModel): [string, Typed][] {
  const arrays: [string, Typed][] = [
    ['template', model.template],
    ['faces', model.faces],
    ['identity', model.identity.deltas],
    ['expression', model.expression.deltas],
    ['joints.parents', model.joints.parents],
    ['joints.regressor', model.joints.regressor],
    ['skinWeights', model.skinWeights],
  ];
  if (model.poseCorrectives) arrays.push(['poseCorrectives', model.poseCorrectives]);
  if (model.uv) arrays.push(['uv.coords', model.uv.coords], ['uv.faces', model.uv.faces]);
  for (const [name, lm] of Object.entries(model.landmarks)) {
    arrays.push([`landmarks.${name}.faceIndex`, lm.faceIndex], [`landmarks.${name}.barycentric`, lm.barycentric]);
    if (lm.sourceIndex) arrays.push([`landmarks.${name}.sourceIndex`, lm.sourceIndex]);
  }
  if (model.dynamicContour) {
    arrays.push(
      ['dynamicContour.yaw', model.dynamicContour.yaw],
      ['dynamicContour.faceIndex', model.dynamicContour.faceIndex],
      ['dynamicContour.barycentric', model.dynamicContour.barycentric],
    );
  }
  for (const [name, mask] of Object.entries(model.masks)) arrays.push([`masks.${name}`, mask]);
  return arrays;
}

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** Serialises a model to bytes. */
export function encodeHeadModel(model: HeadModel): Uint8Array {
  validateHeadModel(model);
  const arrays = collectArrays(model);
  const json: FileJson = {
    model: {
      name: model.name,
      version: model.version,
      licence: model.licence,
      attribution: [...model.attribution],
      meta: { ...model.meta },
      vertexCount: model.vertexCount,
      identityNames: [...model.identity.names],
      expressionNames: [...model.expression.names],
      jointNames: [...model.joints.names],
      landmarkSets: Object.keys(model.landmarks),
      masks: Object.keys(model.masks),
      ...(model.dynamicContour ? { pointsPerBin: model.dynamicContour.pointsPerBin } : {}),
      ...(model.eyeballs ? { eyeballs: model.eyeballs } : {}),
    },
    arrays: [],
  };
  // Offsets depend on the JSON length, which depends on the offsets: lay out with a generous JSON size first.
  let jsonBytes = new Uint8Array();
  let dataStart = 0;
  for (let reserve = 4096; ; reserve *= 2) {
    dataStart = align(FIXED_HEADER + reserve);
    let offset = dataStart;
    json.arrays = arrays.map(([key, array]) => {
      const entry = { key, type: typeOf(array), offset, length: array.length };
      offset = align(offset + array.byteLength);
      return entry;
    });
    jsonBytes = new TextEncoder().encode(JSON.stringify(json));
    if (FIXED_HEADER + jsonBytes.length <= dataStart) break;
  }
  const last = json.arrays[json.arrays.length - 1];
  const total = last ? align(last.offset + (arrays[arrays.length - 1]?.[1].byteLength ?? 0)) : dataStart;
  const out = new Uint8Array(total);
  out.set(new TextEncoder().encode(HEAD_MODEL_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, HEAD_MODEL_FORMAT_VERSION, true);
  view.setUint32(12, dataStart - FIXED_HEADER, true);
  out.fill(0x20, FIXED_HEADER, dataStart);
  out.set(jsonBytes, FIXED_HEADER);
  arrays.forEach(([, array], i) => {
    const entry = json.arrays[i] as SectionEntry;
    out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), entry.offset);
  });
  view.setUint32(16, crc32(out.subarray(FIXED_HEADER)), true);
  return out;
}

/**
 * Reads a model from bytes; the returned arrays are views on `bytes`' buffer (copied once only when `bytes`
 * is not 16-byte aligned). `verify` checks the CRC (about 30 ms for the default model).
 */
export function decodeHeadModel(input: Uint8Array, options: { verify?: boolean; source?: string } = {}): HeadModel {
  const source = options.source ?? 'head model file';
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new FlameError('UNSUPPORTED_FORMAT', `${source}: big-endian hosts are not supported`);
  }
  if (input.length < FIXED_HEADER || new TextDecoder().decode(input.subarray(0, 8)) !== HEAD_MODEL_MAGIC) {
    throw new FlameError('CORRUPT_FILE', `${source}: not a SeIF head model file (bad magic number)`);
  }
  const bytes = input.byteOffset % ALIGN === 0 ? input : input.slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== HEAD_MODEL_FORMAT_VERSION) {
    throw new FlameError('UNSUPPORTED_FORMAT', `${source}: format version ${version}, this reader supports ${HEAD_MODEL_FORMAT_VERSION}; rebuild the model`);
  }
  const jsonLength = view.getUint32(12, true);
  if (FIXED_HEADER + jsonLength > bytes.length) throw new FlameError('CORRUPT_FILE', `${source}: truncated header`);
  if (options.verify !== false) {
    const expected = view.getUint32(16, true);
    const actual = crc32(bytes.subarray(FIXED_HEADER));
    if (expected !== actual) {
      throw new FlameError('CORRUPT_FILE', `${source}: checksum mismatch (stored ${expected.toString(16)}, computed ${actual.toString(16)}); the file is damaged or truncated, rebuild it`);
    }
  }
  let json: FileJson;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes.subarray(FIXED_HEADER, FIXED_HEADER + jsonLength))) as FileJson;
  } catch (cause) {
    throw new FlameError('CORRUPT_FILE', `${source}: header JSON does not parse`, { cause });
  }
  const sections = new Map<string, Typed>();
  for (const entry of json.arrays) {
    const ctor = entry.type === 'f32' ? Float32Array : entry.type === 'u32' ? Uint32Array : entry.type === 'i32' ? Int32Array : undefined;
    if (!ctor) throw new FlameError('UNSUPPORTED_FORMAT', `${source}: array ${entry.key} has unknown type ${entry.type}`);
    if (entry.offset % ALIGN !== 0 || entry.offset + entry.length * 4 > bytes.length) {
      throw new FlameError('CORRUPT_FILE', `${source}: array ${entry.key} lies outside the file`);
    }
    sections.set(entry.key, new ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset + entry.offset, entry.length));
  }
  const get = <T extends Typed>(key: string, ctor: new (...args: never[]) => T): T => {
    const array = sections.get(key);
    if (!(array instanceof ctor)) throw new FlameError('CORRUPT_FILE', `${source}: array ${key} is missing or has the wrong type`);
    return array;
  };
  const m = json.model;
  const landmarks: Record<string, LandmarkEmbedding> = {};
  for (const name of m.landmarkSets) {
    const sourceIndex = sections.get(`landmarks.${name}.sourceIndex`);
    landmarks[name] = {
      faceIndex: get(`landmarks.${name}.faceIndex`, Uint32Array),
      barycentric: get(`landmarks.${name}.barycentric`, Float32Array),
      ...(sourceIndex instanceof Uint32Array ? { sourceIndex } : {}),
    };
  }
  const masks: Record<string, Uint32Array> = {};
  for (const name of m.masks) masks[name] = get(`masks.${name}`, Uint32Array);
  const dynamicContour: DynamicContour | undefined = sections.has('dynamicContour.yaw')
    ? {
        yaw: get('dynamicContour.yaw', Float32Array),
        faceIndex: get('dynamicContour.faceIndex', Uint32Array),
        barycentric: get('dynamicContour.barycentric', Float32Array),
        pointsPerBin: m.pointsPerBin ?? 0,
      }
    : undefined;
  const model: HeadModel = {
    name: m.name,
    version: m.version,
    licence: m.licence,
    attribution: m.attribution,
    meta: m.meta,
    vertexCount: m.vertexCount,
    template: get('template', Float32Array),
    faces: get('faces', Uint32Array),
    identity: { names: m.identityNames, deltas: get('identity', Float32Array) },
    expression: { names: m.expressionNames, deltas: get('expression', Float32Array) },
    ...(sections.has('poseCorrectives') ? { poseCorrectives: get('poseCorrectives', Float32Array) } : {}),
    joints: { names: m.jointNames, parents: get('joints.parents', Int32Array), regressor: get('joints.regressor', Float32Array) },
    skinWeights: get('skinWeights', Float32Array),
    ...(sections.has('uv.coords') ? { uv: { coords: get('uv.coords', Float32Array), faces: get('uv.faces', Uint32Array) } } : {}),
    landmarks,
    ...(dynamicContour ? { dynamicContour } : {}),
    masks,
    ...(m.eyeballs ? { eyeballs: m.eyeballs } : {}),
  };
  return validateHeadModel(model);
}

/** Writes atomically: a temp file beside the target, then rename, so readers never see half a file. */
export async function writeHeadModelFile(file: string, model: HeadModel): Promise<void> {
  const bytes = encodeHeadModel(model);
  const temp = `${file}.${randomUUID()}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
}

export async function readHeadModelFile(file: string, options: { verify?: boolean } = {}): Promise<HeadModel> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw new FlameError('MISSING_INPUT', `head model file ${file} cannot be read`, { cause });
  }
  return decodeHeadModel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { ...options, source: file });
}
