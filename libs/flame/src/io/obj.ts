/**
 * Public API. A small Wavefront OBJ reader for meshes (v, vt, f; other records are skipped): typed arrays out,
 * polygons triangulated as fans (ICT-FaceKit is quads; a fan of a convex quad is its two triangles).
 *
 * It walks the bytes once without building strings per line, because the ICT expression set is 55 files of
 * ~2.6 MB each and the transfer reads all of them.
 */
import { readFile } from 'node:fs/promises';

export interface ObjMesh {
  /** xyz per vertex. */
  vertices: Float32Array;
  /** Three vertex indices per triangle (0-based). */
  faces: Uint32Array;
  /** uv per `vt` record (empty when the file has none). */
  uvs: Float32Array;
  /** Three `vt` indices per triangle, corner for corner with `faces`; undefined when any corner lacks one. */
  uvFaces?: Uint32Array;
  /** Index of the source polygon of each triangle (quads give two triangles with the same polygon index). */
  polygonOfTriangle: Uint32Array;
  polygonCount: number;
}

export class ObjParseError extends Error {
  override readonly name = 'ObjParseError';
}

export interface ObjReadOptions {
  /** Read only `v` records (expression files share the neutral's topology). */
  positionsOnly?: boolean;
}

const SPACE = 32;
const TAB = 9;
const LF = 10;
const CR = 13;
const HASH = 35;
const SLASH = 47;

class Growable<T extends Float32Array | Uint32Array> {
  length = 0;
  constructor(private data: T) {}
  push(value: number): void {
    if (this.length === this.data.length) {
      const Ctor = this.data.constructor as new (length: number) => T;
      const next = new Ctor(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }
  result(): T {
    return this.data.slice(0, this.length) as T;
  }
}

export function parseObj(bytes: Uint8Array, options: ObjReadOptions = {}): ObjMesh {
  const vertices = new Growable(new Float32Array(1 << 12));
  const uvs = new Growable(new Float32Array(1 << 12));
  const faces = new Growable(new Uint32Array(1 << 12));
  const uvFaces = new Growable(new Uint32Array(1 << 12));
  const polygonOfTriangle = new Growable(new Uint32Array(1 << 12));
  let polygonCount = 0;
  let allCornersHaveUv = true;
  let vertexCount = 0;
  let uvCount = 0;
  let line = 1;
  let i = 0;
  const n = bytes.length;

  const skipSpaces = () => {
    while (i < n && (bytes[i] === SPACE || bytes[i] === TAB)) i++;
  };
  const skipLine = () => {
    while (i < n && bytes[i] !== LF) i++;
  };
  const readNumber = (): number => {
    skipSpaces();
    const start = i;
    while (i < n) {
      const c = bytes[i] as number;
      if (c === SPACE || c === TAB || c === LF || c === CR || c === SLASH) break;
      i++;
    }
    if (start === i) return Number.NaN;
    // Fast path for plain decimals; parseFloat handles exponents.
    let value = 0;
    let sign = 1;
    let j = start;
    if (bytes[j] === 45) {
      sign = -1;
      j++;
    } else if (bytes[j] === 43) j++;
    let scale = 0;
    let plain = true;
    for (; j < i; j++) {
      const c = bytes[j] as number;
      if (c >= 48 && c <= 57) {
        value = value * 10 + (c - 48);
        if (scale) scale *= 10;
      } else if (c === 46 && !scale) scale = 1;
      else {
        plain = false;
        break;
      }
    }
    if (plain) return (sign * value) / (scale || 1);
    return Number.parseFloat(new TextDecoder().decode(bytes.subarray(start, i)));
  };
  const fail = (what: string): never => {
    throw new ObjParseError(`OBJ line ${line}: ${what}`);
  };

  const corners: number[] = [];
  const cornerUvs: number[] = [];
  while (i < n) {
    skipSpaces();
    const c0 = bytes[i];
    const c1 = bytes[i + 1];
    if (c0 === 118 && (c1 === SPACE || c1 === TAB)) {
      // v x y z
      i += 1;
      const x = readNumber();
      const y = readNumber();
      const z = readNumber();
      if (!Number.isFinite(x + y + z)) fail('vertex with a missing or non-numeric coordinate');
      vertices.push(x);
      vertices.push(y);
      vertices.push(z);
      vertexCount++;
      skipLine();
    } else if (!options.positionsOnly && c0 === 118 && c1 === 116) {
      // vt u v
      i += 2;
      const u = readNumber();
      const v = readNumber();
      if (!Number.isFinite(u + v)) fail('texture coordinate with a missing or non-numeric value');
      uvs.push(u);
      uvs.push(v);
      uvCount++;
      skipLine();
    } else if (!options.positionsOnly && c0 === 102 && (c1 === SPACE || c1 === TAB)) {
      // f v[/vt[/vn]] ...
      i += 1;
      corners.length = 0;
      cornerUvs.length = 0;
      for (;;) {
        skipSpaces();
        if (i >= n || bytes[i] === LF || bytes[i] === CR || bytes[i] === HASH) break;
        const v = readNumber();
        if (!Number.isInteger(v) || v === 0) fail('face corner without a valid vertex index');
        corners.push(v > 0 ? v - 1 : vertexCount + v);
        let t = Number.NaN;
        if (bytes[i] === SLASH) {
          i++;
          if (bytes[i] !== SLASH) t = readNumber();
          if (bytes[i] === SLASH) {
            i++;
            readNumber();
          }
        }
        if (Number.isInteger(t) && t !== 0) cornerUvs.push(t > 0 ? t - 1 : uvCount + t);
        else cornerUvs.push(-1);
        // Skip anything else up to whitespace (defensive against odd tokens).
        while (i < n && bytes[i] !== SPACE && bytes[i] !== TAB && bytes[i] !== LF && bytes[i] !== CR) i++;
      }
      if (corners.length < 3) fail(`face with ${corners.length} corners`);
      for (const v of corners) if (v < 0 || v >= vertexCount) fail(`face refers to vertex ${v + 1}, which is not defined before it`);
      for (let k = 1; k + 1 < corners.length; k++) {
        for (const corner of [0, k, k + 1]) {
          faces.push(corners[corner] as number);
          const t = cornerUvs[corner] as number;
          if (t < 0 || t >= uvCount) allCornersHaveUv = false;
          uvFaces.push(Math.max(t, 0));
        }
        polygonOfTriangle.push(polygonCount);
      }
      polygonCount++;
      skipLine();
    } else {
      skipLine();
    }
    if (i < n && bytes[i] === LF) {
      i++;
      line++;
    }
  }
  const result: ObjMesh = {
    vertices: vertices.result(),
    faces: faces.result(),
    uvs: uvs.result(),
    polygonOfTriangle: polygonOfTriangle.result(),
    polygonCount,
  };
  if (allCornersHaveUv && faces.length > 0 && uvCount > 0) result.uvFaces = uvFaces.result();
  return result;
}

export async function readObj(file: string, options: ObjReadOptions = {}): Promise<ObjMesh> {
  return parseObj(await readFile(file), options);
}
