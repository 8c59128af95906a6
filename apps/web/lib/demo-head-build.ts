/**
 * The demo head: the default head model (flame2023-open-arkit, neutral identity) as a GLB with its 52 ARKit
 * morph targets and FLAME's five-joint skin, built with @seif/flame. Runs under tsx (scripts/demo-head.ts),
 * not inside the Next bundle: see lib/demo-head.ts for why.
 *
 * Cached on disk beside the built head model (modelCacheDir()), keyed by the model's build key and
 * DEMO_GLB_VERSION, so it is built once per machine and rebuilt when the model changes.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
// Subpath imports (the package's public `./*` exports): only the modules this needs, not the whole index.
import { resolveFrame } from '@seif/flame/animation/presets';
import { loadDefaultHeadModel, modelCacheDir } from '@seif/flame/build/default-model';
import { encodeGlb } from '@seif/flame/export/glb';
import type { ExportMesh } from '@seif/flame/export/types';
import { HeadEvaluator } from '@seif/flame/model/evaluate';
import type { HeadModel } from '@seif/flame/model/head-model';

/** Bump when the GLB layout below changes, so stale cache files are not served. */
export const DEMO_GLB_VERSION = 4;

/** A joint rotation an ARKit shape implies at weight 1 (axis-angle, radians), as @seif/flame's resolveFrame applies it. */
export interface JointDrive {
  joint: string;
  rotation: [number, number, number];
}

/** What the viewer reads from the GLB's `asset.extras`. */
export interface DemoHeadMetadata {
  headModel: string;
  headModelVersion: string;
  licence: string;
  attribution: readonly string[];
  rotationConvention: 'axis-angle';
  /** Shapes that also turn a joint (jawOpen -> jaw; eyeLook* when the shapes leave the eyeballs still). */
  jointDrives: Record<string, JointDrive[]>;
}

// Linear RGB (glTF COLOR_0 is linear) for the untextured demo: a mid skin albedo (sRGB ~ #c9a08c; the
// exporter's default 0.8 linear renders chalk-white under the room environment), lips a little redder (the
// lips mask is wide, so only slightly), and eyes with a sclera, an iris and a pupil so gaze reads at a glance.
const SKIN = [0.58, 0.36, 0.27] as const;
const LIPS = [0.5, 0.26, 0.22] as const;
const SCLERA = [0.82, 0.8, 0.77] as const;
const IRIS = [0.09, 0.16, 0.22] as const;
const PUPIL = [0.01, 0.01, 0.012] as const;
/** Half-angles of the iris and pupil seen from the eyeball centre (iris ~11.5 mm wide on a ~24 mm eyeball). */
const IRIS_COS = Math.cos((28 * Math.PI) / 180);
const PUPIL_COS = Math.cos((11 * Math.PI) / 180);

function vertexColors(model: HeadModel): Uint8Array {
  const n = model.vertexCount;
  const colors = new Uint8Array(3 * n);
  const put = (v: number, c: readonly [number, number, number]) => {
    for (let k = 0; k < 3; k++) colors[3 * v + k] = Math.round(255 * c[k]!);
  };
  for (let v = 0; v < n; v++) put(v, SKIN);
  for (const v of model.masks.lips ?? []) put(v, LIPS);
  for (const [start, end] of model.eyeballs ? [model.eyeballs.left, model.eyeballs.right] : []) {
    const centre = [0, 0, 0];
    for (let v = start; v < end; v++) for (let k = 0; k < 3; k++) centre[k]! += model.template[3 * v + k]! / (end - start);
    for (let v = start; v < end; v++) {
      const d = [0, 1, 2].map((k) => model.template[3 * v + k]! - centre[k]!);
      const cos = d[2]! / (Math.hypot(d[0]!, d[1]!, d[2]!) || 1);
      put(v, cos > PUPIL_COS ? PUPIL : cos > IRIS_COS ? IRIS : SCLERA);
    }
  }
  return colors;
}

/** For each expression shape, the joint rotations resolveFrame adds at weight 1 (the viewer scales them). */
function jointDrives(model: HeadModel): Record<string, JointDrive[]> {
  const drives: Record<string, JointDrive[]> = {};
  for (const name of model.expression.names) {
    const pose = resolveFrame(model, { weights: { [name]: 1 } }).pose;
    if (!pose) continue;
    const list: JointDrive[] = [];
    model.joints.names.forEach((joint, j) => {
      const rotation: [number, number, number] = [pose[3 * j]!, pose[3 * j + 1]!, pose[3 * j + 2]!];
      if (rotation.some((a) => Math.abs(a) > 1e-9)) list.push({ joint, rotation });
    });
    if (list.length > 0) drives[name] = list;
  }
  return drives;
}

/** The default head model as an ExportMesh: rest template, ARKit morphs, top-4 skin weights, vertex colours. */
export function demoExportMesh(model: HeadModel): ExportMesh {
  const n = model.vertexCount;
  const jointCount = model.joints.names.length;
  const stride = 3 * n;
  const joints = new Uint16Array(4 * n);
  const weights = new Float32Array(4 * n);
  const order = Array.from({ length: jointCount }, (_, j) => j);
  for (let v = 0; v < n; v++) {
    // glTF allows four influences per JOINTS_0 set; FLAME has five joints, so keep the four largest.
    order.sort((a, b) => model.skinWeights[jointCount * v + b]! - model.skinWeights[jointCount * v + a]!);
    for (let k = 0; k < 4 && k < jointCount; k++) {
      joints[4 * v + k] = order[k]!;
      weights[4 * v + k] = model.skinWeights[jointCount * v + order[k]!]!;
    }
  }
  const evaluator = new HeadEvaluator(model);
  evaluator.evaluate({});
  return {
    name: 'head',
    positions: model.template,
    indices: model.faces,
    colors: vertexColors(model),
    colorItemSize: 3,
    // White base colour: the vertex colours carry skin, lips and eyes.
    material: { name: 'skin', baseColor: [1, 1, 1, 1], roughness: 0.55, metalness: 0 },
    morphTargets: model.expression.names.map((name, i) => ({ name, deltas: model.expression.deltas.subarray(i * stride, (i + 1) * stride) })),
    skin: {
      jointNames: [...model.joints.names],
      parents: model.joints.parents,
      restJoints: Float32Array.from(evaluator.restJoints),
      joints,
      weights,
    },
  };
}

export async function encodeDemoHead(model: HeadModel): Promise<Uint8Array> {
  const metadata: DemoHeadMetadata = {
    headModel: model.name,
    headModelVersion: model.version,
    licence: model.licence,
    attribution: model.attribution,
    rotationConvention: 'axis-angle',
    jointDrives: jointDrives(model),
  };
  // meshopt: 3.4 MB -> about a third, and the viewer exercises its MeshoptDecoder path.
  return encodeGlb(demoExportMesh(model), { meshopt: true, generator: '@seif/web demo-head', metadata: { ...metadata } });
}

/** The cache file for the current default model (its build key) and DEMO_GLB_VERSION. */
export function demoHeadFile(model: HeadModel): string {
  return path.join(modelCacheDir(), `web-demo-head-${String(model.meta.buildKey ?? model.version)}-v${DEMO_GLB_VERSION}.glb`);
}

/** Makes sure the demo GLB exists on disk (built about 2 s when missing, written atomically); returns its path. */
export async function ensureDemoHeadFile(): Promise<string> {
  const model = await loadDefaultHeadModel();
  const file = demoHeadFile(model);
  if (existsSync(file)) return file;
  const bytes = await encodeDemoHead(model);
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, bytes);
  await rename(temp, file);
  return file;
}
