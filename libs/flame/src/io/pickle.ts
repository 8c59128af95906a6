/**
 * Public API. A small, safe Python unpickler (protocols 0-5, no out-of-band buffers) for the data files head
 * models ship as: dicts, lists, tuples, strings, numbers, numpy arrays (numpy.core.multiarray._reconstruct and
 * numpy._core, numpy scalars), scipy.sparse csc/csr/coo matrices and chumpy `Ch` objects (reduced to their
 * array `x`). It never executes anything: every class is looked up in a fixed table, and unknown classes become
 * inert `PickledObject`s carrying their arguments and state, so a caller can still read them or report them.
 *
 * Representation: dict -> Map, list and tuple -> Array, set -> Set, Python 2 `str` -> string (latin-1, as
 * numpy does with encoding='latin1'), bytes -> Uint8Array, int -> number (bigint beyond 2^53), None -> null.
 */
import { FlameError } from '../errors.js';
import { type NdArray, ndFromBytes, isNdArray } from './ndarray.js';

/** An instance of a class the unpickler does not know: its class path, constructor arguments and state. */
export class PickledObject {
  state: unknown = undefined;
  /** Items appended or set by APPEND(S)/SETITEM(S) on objects that are not lists or dicts. */
  readonly items: unknown[] = [];
  constructor(
    readonly module: string,
    readonly name: string,
    readonly args: unknown[],
  ) {}
  get className(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A scipy.sparse matrix in compressed form. */
export interface SparseMatrix {
  readonly kind: 'sparse';
  readonly format: 'csc' | 'csr' | 'coo';
  readonly shape: readonly [number, number];
  readonly data: Float64Array;
  /** csc/csr: row (csc) or column (csr) indices; coo: rows. */
  readonly indices: Float64Array;
  /** csc/csr: pointers; coo: columns. */
  readonly indptr: Float64Array;
}

export function isSparseMatrix(value: unknown): value is SparseMatrix {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'sparse';
}

/** Dense row-major copy of a sparse matrix. */
export function sparseToDense(matrix: SparseMatrix): Float64Array {
  const [rows, cols] = matrix.shape;
  const out = new Float64Array(rows * cols);
  const { data, indices, indptr } = matrix;
  if (matrix.format === 'coo') {
    for (let k = 0; k < data.length; k++) out[(indices[k] as number) * cols + (indptr[k] as number)]! += data[k] as number;
  } else if (matrix.format === 'csc') {
    for (let c = 0; c < cols; c++) {
      for (let k = indptr[c] as number; k < (indptr[c + 1] as number); k++) out[(indices[k] as number) * cols + c]! += data[k] as number;
    }
  } else {
    for (let r = 0; r < rows; r++) {
      for (let k = indptr[r] as number; k < (indptr[r + 1] as number); k++) out[r * cols + (indices[k] as number)]! += data[k] as number;
    }
  }
  return out;
}

const MARK = Symbol('mark');

class NumpyDtype {
  byteorder = '=';
  constructor(readonly code: string) {}
  get descr(): string {
    const order = this.code === 'O' || this.code.endsWith('1') ? '|' : this.byteorder === '|' ? '|' : this.byteorder === '>' ? '>' : '<';
    return `${order}${this.code}`;
  }
}

/** numpy ndarray under construction: `_reconstruct` makes it empty and BUILD fills it. */
class PendingArray {
  value: NdArray | undefined;
}

class Latin1 {
  static decode(bytes: Uint8Array): string {
    let out = '';
    for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
    return out;
  }
  static encode(text: string): Uint8Array {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 255) throw new FlameError('CORRUPT_FILE', 'pickle: latin-1 encoding of a non-latin-1 string');
      out[i] = code;
    }
    return out;
  }
}

/** Python 2 `str`: kept as bytes until the end so numpy can take the raw buffer without a round trip. */
class ByteString {
  constructor(readonly bytes: Uint8Array) {}
  toString(): string {
    return Latin1.decode(this.bytes);
  }
}

type Constructor = (args: unknown[]) => unknown;

const NUMPY_MODULES = new Set(['numpy.core.multiarray', 'numpy._core.multiarray', 'numpy']);

function keyOf(value: unknown): unknown {
  return value instanceof ByteString ? value.toString() : value;
}

function asBytes(value: unknown, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ByteString) return value.bytes;
  if (typeof value === 'string') return Latin1.encode(value);
  throw new FlameError('CORRUPT_FILE', `pickle: ${what} should be bytes, found ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof PickledObject) return `object ${value.className}`;
  if (Array.isArray(value)) return 'list/tuple';
  if (value instanceof Map) return 'dict';
  return typeof value;
}

function dtypeOf(value: unknown): NumpyDtype {
  if (value instanceof NumpyDtype) return value;
  throw new FlameError('CORRUPT_FILE', `pickle: expected a numpy dtype, found ${describe(value)}`);
}

function globalFor(module: string, name: string): unknown {
  if (NUMPY_MODULES.has(module) && name === '_reconstruct') return { ctor: (): unknown => new PendingArray() } satisfies { ctor: Constructor };
  if ((NUMPY_MODULES.has(module) || module === 'numpy') && name === 'ndarray') return { ndarrayClass: true };
  if (module === 'numpy' && name === 'dtype') {
    return {
      ctor: (args: unknown[]) => {
        const code = String(keyOf(args[0]));
        const bare = code.replace(/^[<>|=]/, '');
        return new NumpyDtype(bare.startsWith('O') ? 'O' : bare);
      },
    };
  }
  if (NUMPY_MODULES.has(module) && name === 'scalar') {
    return {
      ctor: (args: unknown[]) => {
        const dtype = dtypeOf(args[0]);
        const array = ndFromBytes(dtype.descr, [1], asBytes(args[1], 'numpy scalar data'));
        return (array.data as ArrayLike<number>)[0];
      },
    };
  }
  if ((module === '_codecs' || module === 'codecs') && name === 'encode') {
    return { ctor: (args: unknown[]) => Latin1.encode(String(keyOf(args[0]))) };
  }
  if ((module === '__builtin__' || module === 'builtins') && (name === 'set' || name === 'frozenset')) {
    return { ctor: (args: unknown[]) => new Set((args[0] as unknown[] | undefined) ?? []) };
  }
  if ((module === '__builtin__' || module === 'builtins') && name === 'bytearray') {
    return { ctor: (args: unknown[]) => (args.length ? asBytes(args[0], 'bytearray') : new Uint8Array()) };
  }
  if (module === 'collections' && name === 'OrderedDict') {
    return { ctor: (args: unknown[]) => new Map((args[0] as [unknown, unknown][] | undefined) ?? []) };
  }
  if ((module === 'copy_reg' || module === 'copyreg') && name === '_reconstructor') {
    return {
      ctor: (args: unknown[]) => {
        const cls = args[0];
        if (cls instanceof ClassRef) return cls.instantiate([]);
        throw new FlameError('CORRUPT_FILE', 'pickle: _reconstructor without a class');
      },
    };
  }
  return new ClassRef(module, name);
}

class ClassRef {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  instantiate(args: unknown[]): unknown {
    return new PickledObject(this.module, this.name, args);
  }
}

function construct(callable: unknown, args: unknown[]): unknown {
  if (callable instanceof ClassRef) return callable.instantiate(args);
  if (typeof callable === 'object' && callable !== null && 'ctor' in callable) return (callable as { ctor: Constructor }).ctor(args);
  if (typeof callable === 'object' && callable !== null && 'ndarrayClass' in callable) return new PendingArray();
  throw new FlameError('CORRUPT_FILE', `pickle: cannot call ${describe(callable)}`);
}

function build(target: unknown, state: unknown): unknown {
  if (target instanceof PendingArray) {
    // numpy ndarray.__setstate__: (version, shape, dtype, is_fortran, rawdata) or without version.
    const tuple = state as unknown[];
    const [shape, dtypeValue, fortran, raw] = tuple.length === 5 ? tuple.slice(1) : tuple;
    const dtype = dtypeOf(dtypeValue);
    const dims = (shape as unknown[]).map((d) => Number(d));
    if (dtype.code === 'O') {
      target.value = { kind: 'ndarray', dtype: '|O', shape: dims, data: [...(raw as unknown[])] };
    } else {
      target.value = ndFromBytes(dtype.descr, dims, asBytes(raw, 'numpy array data'), Boolean(fortran));
    }
    return target;
  }
  if (target instanceof NumpyDtype) {
    // (version, byteorder, subdescr, names, fields, elsize, alignment, flags)
    const tuple = state as unknown[];
    const order = String(keyOf(tuple[1] ?? '='));
    target.byteorder = order;
    return target;
  }
  if (target instanceof PickledObject) {
    target.state = state;
    return target;
  }
  if (target instanceof Map && state instanceof Map) {
    for (const [k, v] of state) target.set(k, v);
    return target;
  }
  throw new FlameError('CORRUPT_FILE', `pickle: BUILD on ${describe(target)}`);
}

/** The state dict of an object (BUILD state may be a dict or a (dict, slots) pair). */
export function objectState(object: PickledObject): Map<unknown, unknown> {
  const state = object.state;
  if (state instanceof Map) return state;
  if (Array.isArray(state) && state[0] instanceof Map) return state[0] as Map<unknown, unknown>;
  return new Map();
}

/** Turns the raw parse result into plain values (arrays, sparse matrices, Ch reduced to x). */
function finalize(value: unknown, seen: Map<unknown, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value);
  if (value instanceof ByteString) return value.toString();
  if (value instanceof Uint8Array) return value;
  if (value instanceof PendingArray) {
    if (!value.value) throw new FlameError('CORRUPT_FILE', 'pickle: numpy array without data (missing BUILD)');
    const array = value.value;
    if (Array.isArray(array.data)) {
      const out: NdArray = { ...array, data: [] };
      seen.set(value, out);
      (out.data as unknown[]).push(...array.data.map((item) => finalize(item, seen)));
      return out;
    }
    seen.set(value, array);
    return array;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(finalize(item, seen));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    seen.set(value, out);
    for (const [k, v] of value) out.set(finalize(k, seen), finalize(v, seen));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set<unknown>();
    seen.set(value, out);
    for (const item of value) out.add(finalize(item, seen));
    return out;
  }
  if (value instanceof PickledObject) {
    const converted = convertKnownObject(value, seen);
    if (converted !== undefined) {
      seen.set(value, converted);
      return converted;
    }
    const out = new PickledObject(value.module, value.name, []);
    seen.set(value, out);
    out.args.push(...value.args.map((a) => finalize(a, seen)));
    out.state = finalize(value.state, seen);
    out.items.push(...value.items.map((a) => finalize(a, seen)));
    return out;
  }
  if (value instanceof NumpyDtype) return value.descr;
  if (value instanceof ClassRef) return `<class ${value.module}.${value.name}>`;
  return value;
}

const SPARSE = /^scipy\.sparse\.(?:_?(csc|csr|coo)(?:matrix)?|_arrays|compressed|_compressed)$/;

function convertKnownObject(object: PickledObject, seen: Map<unknown, unknown>): unknown {
  const module = object.module;
  // chumpy: FLAME 2020 stores several arrays as chumpy.ch.Ch (or subclasses in chumpy.*); the value is `x`.
  if (module === 'chumpy' || module.startsWith('chumpy.')) {
    const x = objectState(object).get('x');
    if (x === undefined) {
      throw new FlameError('UNSUPPORTED_FORMAT', `pickle: chumpy object ${object.className} has no array "x" in its state`);
    }
    return finalize(x, seen);
  }
  const sparseMatch = SPARSE.exec(module) ?? (module.startsWith('scipy.sparse') ? [module, ''] : null);
  if (sparseMatch) {
    const name = object.name;
    const format = /^(csc|csr|coo)_(matrix|array)$/.exec(name)?.[1] as 'csc' | 'csr' | 'coo' | undefined;
    if (!format) throw new FlameError('UNSUPPORTED_FORMAT', `pickle: scipy.sparse class ${name} is not supported (csc, csr, coo only)`);
    const state = objectState(object);
    const get = (key: string): NdArray => {
      const value = finalize(state.get(key), seen);
      if (!isNdArray(value) || Array.isArray(value.data)) {
        throw new FlameError('CORRUPT_FILE', `pickle: scipy.sparse ${format} matrix without numeric "${key}"`);
      }
      return value;
    };
    const shapeValue = (finalize(state.get('_shape') ?? state.get('shape'), seen) as unknown[] | undefined) ?? [];
    const shape: [number, number] = [Number(shapeValue[0]), Number(shapeValue[1])];
    if (!Number.isFinite(shape[0]) || !Number.isFinite(shape[1])) throw new FlameError('CORRUPT_FILE', 'pickle: scipy.sparse matrix without a shape');
    const f64 = (a: NdArray) => (a.data instanceof Float64Array ? a.data : Float64Array.from(a.data as ArrayLike<number>));
    if (format === 'coo') {
      return { kind: 'sparse', format, shape, data: f64(get('data')), indices: f64(get('row')), indptr: f64(get('col')) } satisfies SparseMatrix;
    }
    return { kind: 'sparse', format, shape, data: f64(get('data')), indices: f64(get('indices')), indptr: f64(get('indptr')) } satisfies SparseMatrix;
  }
  return undefined;
}

/** Parses a pickle. Throws FlameError('CORRUPT_FILE' | 'UNSUPPORTED_FORMAT') naming the problem and offset. */
export function unpickle(input: Uint8Array): unknown {
  const bytes = input;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder('utf-8');
  let pos = 0;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();

  const fail = (code: 'CORRUPT_FILE' | 'UNSUPPORTED_FORMAT', message: string): never => {
    throw new FlameError(code, `pickle: ${message} (at byte ${pos})`);
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) fail('CORRUPT_FILE', `truncated: needs ${n} more bytes`);
  };
  const readBytes = (n: number) => {
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const readLine = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('CORRUPT_FILE', 'truncated: missing newline');
    const line = Latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return line;
  };
  const pop = () => {
    if (stack.length === 0) fail('CORRUPT_FILE', 'stack underflow');
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) fail('CORRUPT_FILE', 'stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const mark = marks.pop();
    if (mark === undefined) fail('CORRUPT_FILE', 'MARK missing');
    const items = stack.splice(mark as number);
    if (items[0] !== MARK) fail('CORRUPT_FILE', 'MARK mismatch');
    return items.slice(1);
  };
  const pushMark = () => {
    marks.push(stack.length);
    stack.push(MARK);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    for (let i = 0; i + 1 < items.length; i += 2) {
      if (target instanceof Map) target.set(keyOf(items[i]), items[i + 1]);
      else if (target instanceof PickledObject) target.items.push([keyOf(items[i]), items[i + 1]]);
      else fail('CORRUPT_FILE', `SETITEMS on ${describe(target)}`);
    }
  };
  const appendItems = (target: unknown, items: unknown[]) => {
    if (Array.isArray(target)) target.push(...items);
    else if (target instanceof PickledObject) target.items.push(...items);
    else if (target instanceof Set) for (const item of items) target.add(item);
    else fail('CORRUPT_FILE', `APPENDS on ${describe(target)}`);
  };
  const parseInt10 = (line: string) => {
    const clean = line.replace(/L$/, '');
    if (clean === '00') return false;
    if (clean === '01') return true;
    const value = BigInt(clean);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  };
  const parseLong = (data: Uint8Array): number | bigint => {
    if (data.length === 0) return 0;
    let value = 0n;
    for (let i = data.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(data[i] as number);
    if ((data[data.length - 1] as number) & 0x80) value -= 1n << BigInt(8 * data.length);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  };
  const parseStringLiteral = (line: string): ByteString => {
    // Protocol 0 STRING: a Python repr, quoted with ' or ", with backslash escapes; bytes as latin-1.
    const quote = line[0];
    if ((quote !== "'" && quote !== '"') || line[line.length - 1] !== quote) fail('CORRUPT_FILE', 'STRING is not quoted');
    const body = line.slice(1, -1);
    const out: number[] = [];
    for (let i = 0; i < body.length; i++) {
      const ch = body.charCodeAt(i);
      if (ch !== 0x5c) {
        out.push(ch & 0xff);
        continue;
      }
      const next = body[++i];
      const simple: Record<string, number> = { n: 10, r: 13, t: 9, '\\': 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, v: 11, '0': 0 };
      if (next === 'x') {
        out.push(Number.parseInt(body.slice(i + 1, i + 3), 16));
        i += 2;
      } else if (next !== undefined && /[0-7]/.test(next) && /[0-7]/.test(body[i + 1] ?? '')) {
        const oct = /^[0-7]{1,3}/.exec(body.slice(i))?.[0] ?? '0';
        out.push(Number.parseInt(oct, 8) & 0xff);
        i += oct.length - 1;
      } else if (next !== undefined && next in simple) {
        out.push(simple[next] as number);
      } else {
        out.push(92);
        if (next !== undefined) out.push(next.charCodeAt(0) & 0xff);
      }
    }
    return new ByteString(Uint8Array.from(out));
  };
  const unicodeEscape = (line: string) =>
    line.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, a?: string, b?: string) => String.fromCodePoint(Number.parseInt((a ?? b) as string, 16)));

  while (pos < bytes.length) {
    const op = bytes[pos++] as number;
    switch (op) {
      case 0x80: // PROTO
        need(1);
        if ((bytes[pos] as number) > 5) fail('UNSUPPORTED_FORMAT', `protocol ${bytes[pos]} is newer than 5`);
        pos += 1;
        break;
      case 0x95: // FRAME
        need(8);
        pos += 8;
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail('CORRUPT_FILE', `STOP with ${stack.length} items on the stack`);
        return finalize(stack[0], new Map());
      case 0x28: // MARK
        pushMark();
        break;
      case 0x30: // POP
        if (stack[stack.length - 1] === MARK) popMark();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x49: // INT
        stack.push(parseInt10(readLine()));
        break;
      case 0x4c: // LONG
        stack.push(parseInt10(readLine()));
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      case 0x4b: // BININT1
        need(1);
        stack.push(bytes[pos++]);
        break;
      case 0x4d: // BININT2
        need(2);
        stack.push(view.getUint16(pos, true));
        pos += 2;
        break;
      case 0x8a: {
        // LONG1
        need(1);
        const n = bytes[pos++] as number;
        stack.push(parseLong(readBytes(n)));
        break;
      }
      case 0x8b: {
        // LONG4
        need(4);
        const n = view.getInt32(pos, true);
        pos += 4;
        if (n < 0) fail('CORRUPT_FILE', 'LONG4 with negative length');
        stack.push(parseLong(readBytes(n)));
        break;
      }
      case 0x46: // FLOAT
        stack.push(Number.parseFloat(readLine()));
        break;
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x53: // STRING
        stack.push(parseStringLiteral(readLine()));
        break;
      case 0x54: {
        // BINSTRING
        need(4);
        const n = view.getInt32(pos, true);
        pos += 4;
        if (n < 0) fail('CORRUPT_FILE', 'BINSTRING with negative length');
        stack.push(new ByteString(readBytes(n)));
        break;
      }
      case 0x55: {
        // SHORT_BINSTRING
        need(1);
        const n = bytes[pos++] as number;
        stack.push(new ByteString(readBytes(n)));
        break;
      }
      case 0x42: {
        // BINBYTES
        need(4);
        const n = view.getUint32(pos, true);
        pos += 4;
        stack.push(readBytes(n));
        break;
      }
      case 0x43: {
        // SHORT_BINBYTES
        need(1);
        const n = bytes[pos++] as number;
        stack.push(readBytes(n));
        break;
      }
      case 0x8e:
      case 0x96: {
        // BINBYTES8, BYTEARRAY8
        need(8);
        const n = Number(view.getBigUint64(pos, true));
        pos += 8;
        stack.push(readBytes(n));
        break;
      }
      case 0x56: // UNICODE
        stack.push(unicodeEscape(readLine()));
        break;
      case 0x58: {
        // BINUNICODE
        need(4);
        const n = view.getUint32(pos, true);
        pos += 4;
        stack.push(text.decode(readBytes(n)));
        break;
      }
      case 0x8c: {
        // SHORT_BINUNICODE
        need(1);
        const n = bytes[pos++] as number;
        stack.push(text.decode(readBytes(n)));
        break;
      }
      case 0x8d: {
        // BINUNICODE8
        need(8);
        const n = Number(view.getBigUint64(pos, true));
        pos += 8;
        stack.push(text.decode(readBytes(n)));
        break;
      }
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push([a, b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push([a, b, c]);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const item = pop();
        appendItems(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const map = new Map();
        setItems(map, items);
        stack.push(map);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark()));
        break;
      case 0x63: {
        // GLOBAL
        const module = readLine();
        const name = readLine();
        stack.push(globalFor(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = String(keyOf(pop()));
        const module = String(keyOf(pop()));
        stack.push(globalFor(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        stack.push(construct(callable, Array.isArray(args) ? args : []));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        stack.push(construct(cls, Array.isArray(args) ? args : []));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop(); // kwargs
        const args = pop();
        const cls = pop();
        stack.push(construct(cls, Array.isArray(args) ? args : []));
        break;
      }
      case 0x69: {
        // INST
        const module = readLine();
        const name = readLine();
        stack.push(construct(globalFor(module, name), popMark()));
        break;
      }
      case 0x6f: {
        // OBJ
        const items = popMark();
        stack.push(construct(items[0], items.slice(1)));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const target = pop();
        stack.push(build(target, state));
        break;
      }
      case 0x70: // PUT
        memo.set(Number.parseInt(readLine(), 10), top());
        break;
      case 0x71: // BINPUT
        need(1);
        memo.set(bytes[pos++] as number, top());
        break;
      case 0x72: // LONG_BINPUT
        need(4);
        memo.set(view.getUint32(pos, true), top());
        pos += 4;
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: {
        // GET
        const key = Number.parseInt(readLine(), 10);
        if (!memo.has(key)) fail('CORRUPT_FILE', `memo ${key} missing`);
        stack.push(memo.get(key));
        break;
      }
      case 0x68: {
        // BINGET
        need(1);
        const key = bytes[pos++] as number;
        if (!memo.has(key)) fail('CORRUPT_FILE', `memo ${key} missing`);
        stack.push(memo.get(key));
        break;
      }
      case 0x6a: {
        // LONG_BINGET
        need(4);
        const key = view.getUint32(pos, true);
        pos += 4;
        if (!memo.has(key)) fail('CORRUPT_FILE', `memo ${key} missing`);
        stack.push(memo.get(key));
        break;
      }
      case 0x50:
      case 0x51:
        fail('UNSUPPORTED_FORMAT', 'persistent ids are not supported');
        break;
      case 0x82:
      case 0x83:
      case 0x84:
        fail('UNSUPPORTED_FORMAT', 'extension registry codes (EXT1/2/4) are not supported');
        break;
      case 0x97:
      case 0x98:
        fail('UNSUPPORTED_FORMAT', 'out-of-band buffers (protocol 5) are not supported');
        break;
      default:
        pos -= 1;
        fail('CORRUPT_FILE', `unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
  throw new FlameError('CORRUPT_FILE', 'pickle: truncated (no STOP opcode)');
}

/** A pickled dict with string keys as a Map; throws naming what was found otherwise. */
export function expectDict(value: unknown, what: string): Map<string, unknown> {
  if (!(value instanceof Map)) throw new FlameError('UNSUPPORTED_FORMAT', `${what}: expected a pickled dict, found ${describe(value)}`);
  return value as Map<string, unknown>;
}
