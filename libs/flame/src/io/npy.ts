/**
 * Public API. NumPy .npy (format versions 1-3) and .npz (zip of .npy, stored or deflated) readers.
 * Object arrays (dtype 'O', as RingNet's flame_dynamic_embedding.npy) are unpickled with the safe unpickler.
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { unzipSync } from 'fflate';
import { FlameError, toFlameError } from '../errors.js';
import { type NdArray, isNdArray, ndFromBytes } from './ndarray.js';
import { unpickle } from './pickle.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

function parseHeader(text: string, what: string): NpyHeader {
  // The header is a Python dict literal: {'descr': '<f8', 'fortran_order': False, 'shape': (5023, 3), }
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    if (/'descr'\s*:\s*[[{]/.test(text)) throw new FlameError('UNSUPPORTED_FORMAT', `${what}: structured dtypes are not supported`);
    throw new FlameError('CORRUPT_FILE', `${what}: malformed .npy header ${JSON.stringify(text.slice(0, 120))}`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number.parseInt(s.replace(/L$/, ''), 10));
  if (shape.some((d) => !Number.isFinite(d) || d < 0)) throw new FlameError('CORRUPT_FILE', `${what}: bad shape (${shapeText})`);
  return { descr, fortranOrder: fortran === 'True', shape };
}

/** Parses one .npy file. `what` names it in error messages. */
export function parseNpy(bytes: Uint8Array, what = '.npy file'): NdArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new FlameError('CORRUPT_FILE', `${what}: not a .npy file (bad magic number)`);
  }
  const major = bytes[6] as number;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new FlameError('CORRUPT_FILE', `${what}: truncated header`);
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new FlameError('UNSUPPORTED_FORMAT', `${what}: .npy format version ${major} is not supported (1-3)`);
  }
  if (headerStart + headerLength > bytes.length) throw new FlameError('CORRUPT_FILE', `${what}: truncated header`);
  const header = parseHeader(new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLength)), what);
  const body = bytes.subarray(headerStart + headerLength);
  if (header.descr.replace(/^[|<>=]/, '') === 'O') {
    let value: unknown;
    try {
      value = unpickle(body);
    } catch (error) {
      throw toFlameError('CORRUPT_FILE', `${what}: object array`, error);
    }
    if (isNdArray(value)) return value;
    return { kind: 'ndarray', dtype: '|O', shape: header.shape, data: [value] };
  }
  try {
    return ndFromBytes(header.descr, header.shape, body, header.fortranOrder);
  } catch (error) {
    throw toFlameError('CORRUPT_FILE', what, error);
  }
}

/** Parses a .npz archive into name -> array (names without the .npy suffix). */
export function parseNpz(bytes: Uint8Array, what = '.npz file'): Map<string, NdArray> {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new FlameError('CORRUPT_FILE', `${what}: not a .npz (zip) file (bad magic number)`);
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (error) {
    throw toFlameError('CORRUPT_FILE', `${what}: broken zip archive`, error);
  }
  const out = new Map<string, NdArray>();
  for (const [name, data] of Object.entries(entries)) {
    if (!name.endsWith('.npy')) continue;
    out.set(name.slice(0, -4), parseNpy(data, `${what}/${name}`));
  }
  return out;
}

/** The array `key` of an npz, or a MISSING_INPUT error listing what the archive holds. */
export function npzGet(archive: Map<string, NdArray>, key: string, what: string): NdArray {
  const value = archive.get(key);
  if (!value) throw new FlameError('MISSING_INPUT', `${what}: no array "${key}" (has: ${[...archive.keys()].join(', ')})`);
  return value;
}

/** For 0-d object arrays (np.save of a dict): the object inside. */
export function npyItem(array: NdArray): unknown {
  if (!Array.isArray(array.data) || array.data.length !== 1) {
    throw new FlameError('UNSUPPORTED_FORMAT', `expected a 0-d object array, found dtype ${array.dtype} shape (${array.shape.join(', ')})`);
  }
  return array.data[0];
}
