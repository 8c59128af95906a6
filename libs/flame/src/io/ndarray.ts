/**
 * Public API. A minimal n-dimensional array as read from .npy/.npz files and pickled numpy arrays: C-ordered data
 * in the natural typed array for its dtype (int64/uint64 become Float64Array: exact up to 2^53, which every
 * index and count in a head model is), plus the numpy dtype string and shape.
 */
import { FlameError } from '../errors.js';

export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

export interface NdArray {
  readonly kind: 'ndarray';
  /** numpy dtype string with byte order, e.g. '<f8', '|u1', '|O'. */
  readonly dtype: string;
  readonly shape: readonly number[];
  /** C-ordered values; object arrays hold the unpickled Python values. */
  readonly data: NumericArray | unknown[];
}

export function isNdArray(value: unknown): value is NdArray {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'ndarray';
}

export function ndSize(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

interface DtypeInfo {
  bytes: number;
  read: (view: DataView, offset: number, little: boolean) => number;
  make: (length: number) => NumericArray;
}

const DTYPES: Record<string, DtypeInfo> = {
  b1: { bytes: 1, read: (v, o) => v.getUint8(o), make: (n) => new Uint8Array(n) },
  u1: { bytes: 1, read: (v, o) => v.getUint8(o), make: (n) => new Uint8Array(n) },
  i1: { bytes: 1, read: (v, o) => v.getInt8(o), make: (n) => new Int8Array(n) },
  u2: { bytes: 2, read: (v, o, l) => v.getUint16(o, l), make: (n) => new Uint16Array(n) },
  i2: { bytes: 2, read: (v, o, l) => v.getInt16(o, l), make: (n) => new Int16Array(n) },
  u4: { bytes: 4, read: (v, o, l) => v.getUint32(o, l), make: (n) => new Uint32Array(n) },
  i4: { bytes: 4, read: (v, o, l) => v.getInt32(o, l), make: (n) => new Int32Array(n) },
  u8: { bytes: 8, read: (v, o, l) => Number(v.getBigUint64(o, l)), make: (n) => new Float64Array(n) },
  i8: { bytes: 8, read: (v, o, l) => Number(v.getBigInt64(o, l)), make: (n) => new Float64Array(n) },
  f2: { bytes: 2, read: (v, o, l) => halfToFloat(v.getUint16(o, l)), make: (n) => new Float32Array(n) },
  f4: { bytes: 4, read: (v, o, l) => v.getFloat32(o, l), make: (n) => new Float32Array(n) },
  f8: { bytes: 8, read: (v, o, l) => v.getFloat64(o, l), make: (n) => new Float64Array(n) },
};

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Splits a numpy dtype string ('<f8', 'float64', '|b1', 'i4') into byte order and canonical code. */
export function parseDtype(descr: string): { code: string; little: boolean } {
  const aliases: Record<string, string> = {
    float64: 'f8', float32: 'f4', float16: 'f2', int64: 'i8', int32: 'i4', int16: 'i2', int8: 'i1',
    uint64: 'u8', uint32: 'u4', uint16: 'u2', uint8: 'u1', bool: 'b1', object: 'O',
    d: 'f8', f: 'f4', e: 'f2', q: 'i8', l: 'i8', i: 'i4', h: 'i2', b: 'i1', Q: 'u8', L: 'u8', I: 'u4', H: 'u2', B: 'u1', '?': 'b1',
  };
  let order = '=';
  let code = descr;
  if ('<>|=!'.includes(code[0] ?? '')) {
    order = code[0] as string;
    code = code.slice(1);
  }
  code = aliases[code] ?? code;
  return { code, little: order !== '>' && order !== '!' };
}

/** Builds a C-ordered NdArray from raw bytes (a copy: the source need not be aligned). */
export function ndFromBytes(
  descr: string,
  shape: readonly number[],
  bytes: Uint8Array,
  fortranOrder = false,
): NdArray {
  const { code, little } = parseDtype(descr);
  const info = DTYPES[code];
  if (!info) throw new FlameError('UNSUPPORTED_FORMAT', `numpy dtype "${descr}" is not supported (numeric dtypes only)`);
  const size = ndSize(shape);
  if (bytes.byteLength < size * info.bytes) {
    throw new FlameError(
      'CORRUPT_FILE',
      `numpy array of dtype ${descr} and shape (${shape.join(', ')}) needs ${size * info.bytes} bytes, found ${bytes.byteLength}`,
    );
  }
  const out = info.make(size);
  const nativeLittle = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (little === nativeLittle && code !== 'f2' && code !== 'i8' && code !== 'u8' && info.bytes === out.BYTES_PER_ELEMENT) {
    new Uint8Array(out.buffer).set(bytes.subarray(0, size * info.bytes));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < size; i++) out[i] = info.read(view, i * info.bytes, little);
  }
  const data = fortranOrder && shape.length > 1 ? fortranToC(out, shape) : out;
  return { kind: 'ndarray', dtype: descr, shape: [...shape], data };
}

function fortranToC(src: NumericArray, shape: readonly number[]): NumericArray {
  const n = shape.length;
  const dst = new (src.constructor as new (length: number) => NumericArray)(src.length);
  const fStride = new Array<number>(n);
  let stride = 1;
  for (let d = 0; d < n; d++) {
    fStride[d] = stride;
    stride *= shape[d] as number;
  }
  const index = new Array<number>(n).fill(0);
  for (let c = 0; c < src.length; c++) {
    let f = 0;
    for (let d = 0; d < n; d++) f += (index[d] as number) * (fStride[d] as number);
    dst[c] = src[f] as number;
    for (let d = n - 1; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (shape[d] as number)) break;
      index[d] = 0;
    }
  }
  return dst;
}

function numeric(array: NdArray, what: string): NumericArray {
  if (Array.isArray(array.data)) {
    throw new FlameError('UNSUPPORTED_FORMAT', `${what}: expected a numeric array, found dtype ${array.dtype}`);
  }
  return array.data;
}

/** Checks the shape; -1 matches any length. */
export function expectShape(array: NdArray, shape: readonly number[], what: string): void {
  const ok = array.shape.length === shape.length && shape.every((dim, i) => dim === -1 || dim === array.shape[i]);
  if (!ok) {
    throw new FlameError(
      'BAD_SHAPE',
      `${what}: expected shape (${shape.map((d) => (d === -1 ? 'any' : d)).join(', ')}), found (${array.shape.join(', ')})`,
    );
  }
}

export function toFloat32(array: NdArray, what = 'array'): Float32Array {
  const data = numeric(array, what);
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

export function toFloat64(array: NdArray, what = 'array'): Float64Array {
  const data = numeric(array, what);
  return data instanceof Float64Array ? data : Float64Array.from(data);
}

export function toUint32(array: NdArray, what = 'array'): Uint32Array {
  const data = numeric(array, what);
  if (data instanceof Uint32Array) return data;
  const out = new Uint32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const value = data[i] as number;
    if (!(value >= 0 && value <= 0xffffffff && Number.isInteger(value))) {
      throw new FlameError('BAD_VALUE', `${what}: value ${value} at ${i} is not a valid unsigned index`);
    }
    out[i] = value;
  }
  return out;
}
