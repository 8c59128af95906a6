/**
 * Public API. Evaluation sets (../shared/eval/README.md): one folder per case with `gt.obj` (the scored head
 * surface, millimetres, +y up, +z toward the face), `eyes.obj` (render only) and `landmarks.json` (iBUG-68 in
 * the same frame). OBJ files are read with @seif/core's reader.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseObj } from '@seif/core';
import { EvalError } from './errors.js';

export interface TriMesh {
  /** n x 3 positions. */
  positions: Float64Array;
  /** m x 3 vertex indices, counter-clockwise from outside. */
  indices: Uint32Array;
}

export interface EvalCase {
  name: string;
  dir: string;
  /** Scored surface, millimetres. */
  gt: TriMesh;
  /** Eyeballs for rendering, millimetres; undefined when the case has no eyes.obj. */
  eyes?: TriMesh;
  /** 68 x 3 iBUG landmarks, millimetres. */
  landmarks: Float64Array;
}

export const IBUG68_COUNT = 68;

export async function readObjMesh(file: string): Promise<TriMesh> {
  const text = await readFile(file, 'utf8');
  const mesh = parseObj(text);
  return { positions: Float64Array.from(mesh.positions), indices: mesh.indices };
}

export function parseGtLandmarks(json: unknown, file: string): Float64Array {
  const doc = json as { format?: unknown; units?: unknown; points?: unknown };
  if (doc.format !== 'ibug68') throw new EvalError('BAD_SET', `${file}: format is ${String(doc.format)}, expected "ibug68"`);
  if (doc.units !== 'mm') throw new EvalError('BAD_SET', `${file}: units are ${String(doc.units)}, expected "mm"`);
  const points = doc.points;
  if (!Array.isArray(points) || points.length !== IBUG68_COUNT) throw new EvalError('BAD_SET', `${file}: needs 68 points`);
  const out = new Float64Array(3 * IBUG68_COUNT);
  points.forEach((p: unknown, i) => {
    if (!Array.isArray(p) || p.length !== 3 || !p.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new EvalError('BAD_SET', `${file}: point ${i} is not three finite numbers`);
    }
    out.set(p as number[], 3 * i);
  });
  return out;
}

/** Case folders of a set (sorted by name): folders holding a gt.obj. */
export async function listCases(setDir: string): Promise<string[]> {
  if (!existsSync(setDir)) throw new EvalError('BAD_SET', `set folder ${setDir} does not exist`);
  const entries = await readdir(setDir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory() && existsSync(path.join(setDir, e.name, 'gt.obj'))).map((e) => e.name);
  names.sort();
  if (names.length === 0) throw new EvalError('BAD_SET', `set folder ${setDir} has no case folders with a gt.obj`);
  return names;
}

export async function loadCase(caseDir: string): Promise<EvalCase> {
  const name = path.basename(caseDir);
  const gt = await readObjMesh(path.join(caseDir, 'gt.obj'));
  const eyesFile = path.join(caseDir, 'eyes.obj');
  const eyes = existsSync(eyesFile) ? await readObjMesh(eyesFile) : undefined;
  const lmFile = path.join(caseDir, 'landmarks.json');
  const landmarks = parseGtLandmarks(JSON.parse(await readFile(lmFile, 'utf8')), lmFile);
  return { name, dir: caseDir, gt, ...(eyes ? { eyes } : {}), landmarks };
}
