/**
 * Public API. export: the fitted head as files, in memory (the caller stores them: the CLI on disk, the worker in
 * object storage). libs/flame's encoders do the formats:
 *
 * - GLB: the fitted identity at rest (neutral expression, joints unrotated) with the model's 52 ARKit morph
 *   targets and FLAME's five-joint skeleton, so it animates; the baked texture embedded. The fitted expression
 *   and pose are in `asset.extras.seif` (and in PARAMS) for viewers that want to show the photo's expression.
 * - OBJ + MTL + PNG, PLY (vertex colours from the texture), STL (watertight, millimetres): the fitted head as
 *   in the photo (identity, expression, jaw, gaze) with the head rotation removed, so it faces +z.
 * - PARAMS: JSON with the head model's name and version, the rotation convention, every fitted parameter, the
 *   camera, per-stage timings and warnings.
 *
 * FLAME's UVs are per corner; `splitUvSeams` turns them into per-vertex UVs and the remap carries morphs, skin
 * rows and colours along.
 */
import {
  type ExportMesh, type ExportSkin, type HeadModel, ROTATION_CONVENTION, encodeGlb, encodeObj, encodePly, encodeStl, evaluatorFor, remapAttribute,
  splitUvSeams,
} from '@seif/flame';
import sharp from 'sharp';
import type { RgbImage } from '../image/image.js';
import { SeifError } from '../pipeline/errors.js';
import { type Stage, type StageContext, type StageWarning, reportProgress } from '../pipeline/stage.js';
import type { SeifExportGeometry } from '../seif/export-geometry.js';
import type { FitOutput } from './fit.js';
import type { SeifFrameTransform } from './normalise.js';

/** Artifact kinds, as in prisma's ArtifactKind. */
export type ArtifactKind = 'GLB' | 'OBJ' | 'MTL' | 'PLY' | 'STL' | 'TEXTURE' | 'THUMBNAIL' | 'PARAMS';
export type MeshFormat = 'glb' | 'obj' | 'ply' | 'stl';
export const MESH_FORMATS: readonly MeshFormat[] = Object.freeze(['glb', 'obj', 'ply', 'stl']);

export interface OutputFile {
  kind: ArtifactKind;
  name: string;
  bytes: number;
  contentType: string;
  data: Uint8Array;
}

export const CONTENT_TYPES: Readonly<Record<ArtifactKind, string>> = Object.freeze({
  GLB: 'model/gltf-binary',
  OBJ: 'model/obj',
  MTL: 'model/mtl',
  PLY: 'application/x-ply',
  STL: 'model/stl',
  TEXTURE: 'image/png',
  THUMBNAIL: 'image/png',
  PARAMS: 'application/json',
});

/** The PARAMS document (format `seif-params`, version 1). */
export interface SeifParams {
  format: 'seif-params';
  version: 1;
  mode: 'flame' | 'seif';
  headModel: { name: string; version: string; licence: string };
  /** FLAME joint rotations are axis-angle vectors (radians), per ARCHITECTURE.md. */
  rotationConvention: 'AXIS_ANGLE';
  units: 'metres';
  params: {
    identity: number[];
    /** ARKit weights in [0, 1] by name. */
    expression: Record<string, number>;
    /** Axis-angle per joint. */
    pose: Record<string, [number, number, number]>;
    translation: [number, number, number];
    scale: number;
  };
  camera: {
    type: 'orthographic';
    /** Normalised image u = scale * x + tx, v = -scale * y + ty; the SeIF frame X = u / 2, Y = -v / 2. */
    scale: number;
    tx: number;
    ty: number;
    /** SeIF frame (X, Y) -> photo pixels, affine [a, b, c, d, e, f]: x = aX + bY + c, y = dX + eY + f. */
    frameToImage: number[];
  };
  fit: { rmse: number; iterations: number; landmarkResidualP90: number };
  texture?: { size: number; coverage: { photo: number; mirror: number; fill: number }; skinTone: number[]; irisColor: number[]; mouthColor?: number[] };
  photo?: { width: number; height: number };
  /** Mode 'seif' only. */
  seif?: SeifInfo;
  timings: Record<string, number>;
  warnings: StageWarning[];
}

export interface ExportOptions {
  formats?: readonly MeshFormat[];
  /** Base name of the mesh files (default 'head'). */
  baseName?: string;
  /** Write the texture PNG as its own TEXTURE file (default true when there is a texture). */
  textureFile?: boolean;
}

export interface ExportInput {
  fit: FitOutput;
  texture?: { image: RgbImage; coverage: { photo: number; mirror: number; fill: number }; skinTone: number[]; irisColor: number[]; mouthColor?: number[] };
  transform?: SeifFrameTransform;
  photo?: { width: number; height: number };
  mode?: 'flame' | 'seif';
  /** The SeIF result (mode 'seif'): head offsets, hair, the watertight surface; see seif/export-geometry.ts. */
  seif?: { geometry: SeifExportGeometry; info: SeifInfo };
  timings?: Record<string, number>;
  warnings?: StageWarning[];
}

/** What PARAMS records about a SeIF reconstruction. */
export interface SeifInfo {
  weights: { id: string; version: string; sha256: { encoder: string; decoder: string } };
  grid: { resolution: number; coarse: number; level: number; pointsEvaluated: number; denseEquivalent: number; decoderCalls: number; carvedBySilhouette: number };
  surface: { vertices: number; triangles: number };
  /**
   * matching / moveFraction: the rule used (seif/stage.ts SeifUniformization); matched: matches before any
   * rejection (skipped when under half the eligible vertices).
   */
  uniformize: { matching: 'projection' | 'codes'; moveFraction: number; eligible: number; matched: number; targeted: number; rejected: number; meanMoveMm?: number | undefined; maxMoveMm?: number | undefined; skipped: boolean };
  /** faceShellVertices: surface off the fit over its face that the photo does not show as hair (seif/hair-in-photo.ts). */
  hair: { vertices: number; triangles: number; seenInPhoto: number; faceShellVertices: number } | null;
  /** Milliseconds per SeIF sub-step. */
  ms: Record<string, number>;
}

export interface ExportResult {
  files: OutputFile[];
  params: SeifParams;
  /** The encoded texture (PNG), reused by the thumbnail. */
  texturePng?: Uint8Array;
}

/** PNG signature + one byte: passes the exporters' signature check where only the texture's name is needed. */
const PNG_PLACEHOLDER = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]);

const round = (x: number, digits = 6) => Number(x.toFixed(digits));

/** The PARAMS document for a fit. */
export function buildParams(input: ExportInput): SeifParams {
  const { fit } = input;
  const model = fit.model;
  const expression: Record<string, number> = {};
  model.expression.names.forEach((name, i) => { expression[name] = round(fit.params.expression[i] ?? 0); });
  const pose: Record<string, [number, number, number]> = {};
  model.joints.names.forEach((name, j) => {
    pose[name] = [round(fit.params.pose[3 * j]!), round(fit.params.pose[3 * j + 1]!), round(fit.params.pose[3 * j + 2]!)];
  });
  const sorted = Array.from(fit.residuals).sort((a, b) => a - b);
  return {
    format: 'seif-params',
    version: 1,
    mode: input.mode ?? 'flame',
    headModel: { name: model.name, version: model.version, licence: model.licence },
    rotationConvention: ROTATION_CONVENTION === 'axis-angle' ? 'AXIS_ANGLE' : 'AXIS_ANGLE',
    units: 'metres',
    params: {
      identity: Array.from(fit.params.identity, (x) => round(x)),
      expression,
      pose,
      translation: [round(fit.params.translation[0]!), round(fit.params.translation[1]!), round(fit.params.translation[2]!)],
      scale: round(fit.params.scale),
    },
    camera: {
      type: 'orthographic',
      scale: round(fit.camera.scale),
      tx: round(fit.camera.tx),
      ty: round(fit.camera.ty),
      frameToImage: input.transform ? input.transform.frameToImage.map((x) => round(x, 4)) : [],
    },
    fit: { rmse: round(fit.rmse), iterations: fit.iterations, landmarkResidualP90: round(sorted[Math.floor(0.9 * (sorted.length - 1))] ?? 0) },
    ...(input.texture ? { texture: { size: input.texture.image.width, coverage: input.texture.coverage, skinTone: input.texture.skinTone, irisColor: input.texture.irisColor, ...(input.texture.mouthColor ? { mouthColor: input.texture.mouthColor } : {}) } } : {}),
    ...(input.photo ? { photo: input.photo } : {}),
    ...(input.seif ? { seif: input.seif.info } : {}),
    timings: Object.fromEntries(Object.entries(input.timings ?? {}).map(([k, v]) => [k, round(v, 1)])),
    warnings: input.warnings ?? [],
  };
}

/** Encodes an RGB image as PNG. Level 3 + adaptive filtering: 1024^2 texture in ~60 ms, 5 % larger than level 6 (~250 ms). */
export async function encodePng(image: RgbImage, compressionLevel = 3): Promise<Uint8Array> {
  const buffer = await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } })
    .png({ compressionLevel, adaptiveFiltering: true })
    .toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The four largest of `jointCount` weights per row (n x jointCount, dense) as glTF skin rows. */
export function topFourSkinRows(dense: ArrayLike<number>, jointCount: number): { joints: Uint16Array; weights: Float32Array } {
  const n = dense.length / jointCount;
  const joints = new Uint16Array(4 * n);
  const weights = new Float32Array(4 * n);
  const order = new Array<number>(jointCount);
  for (let v = 0; v < n; v++) {
    for (let j = 0; j < jointCount; j++) order[j] = j;
    order.sort((a, b) => dense[v * jointCount + b]! - dense[v * jointCount + a]!);
    for (let k = 0; k < 4 && k < jointCount; k++) {
      joints[4 * v + k] = order[k]!;
      // Diffused weights carry round-off negatives (-1e-17); glTF wants them non-negative.
      weights[4 * v + k] = Math.max(0, dense[v * jointCount + order[k]!]!);
    }
  }
  return { joints, weights };
}

/** FLAME's skeleton with each vertex's four largest weights (FLAME has five joints; glTF takes four per vertex). */
function skinOf(model: HeadModel, restJoints: Float64Array): ExportSkin {
  const { joints, weights } = topFourSkinRows(model.skinWeights, model.joints.names.length);
  return { jointNames: [...model.joints.names], parents: Array.from(model.joints.parents), restJoints: Float32Array.from(restJoints), joints, weights };
}

/** Samples the texture at each vertex's uv (nearest texel) for PLY vertex colours. */
function vertexColors(uvs: Float32Array, texture: RgbImage): Uint8Array {
  const count = uvs.length / 2;
  const out = new Uint8Array(3 * count);
  for (let v = 0; v < count; v++) {
    const x = Math.min(texture.width - 1, Math.max(0, Math.floor(uvs[2 * v]! * texture.width)));
    const y = Math.min(texture.height - 1, Math.max(0, Math.floor((1 - uvs[2 * v + 1]!) * texture.height)));
    const q = 3 * (y * texture.width + x);
    out[3 * v] = texture.data[q]!; out[3 * v + 1] = texture.data[q + 1]!; out[3 * v + 2] = texture.data[q + 2]!;
  }
  return out;
}

/** The fitted head facing +z (global rotation removed) with expression, jaw and gaze: model space, metres. */
export function frontalVertices(fit: FitOutput, out = new Float32Array(3 * fit.model.vertexCount)): Float32Array {
  const pose = Float64Array.from(fit.params.pose);
  pose[0] = pose[1] = pose[2] = 0;
  return evaluatorFor(fit.model).evaluate({ identity: fit.params.identity, expression: fit.params.expression, pose }, out);
}

export class ExportStage implements Stage<ExportInput, ExportResult> {
  readonly name = 'export';
  readonly options: ExportOptions;

  constructor(options: ExportOptions = {}) {
    this.options = options;
    for (const f of options.formats ?? []) {
      if (!MESH_FORMATS.includes(f)) throw new SeifError('INVALID_ARGUMENT', `export: unknown format "${f}"; valid formats: ${MESH_FORMATS.join(', ')}.`);
    }
  }

  async run(input: ExportInput, context?: StageContext): Promise<ExportResult> {
    const formats = this.options.formats ?? MESH_FORMATS;
    const base = this.options.baseName ?? 'head';
    const { fit } = input;
    const model = fit.model;
    const uv = model.uv;
    if (!uv) throw new SeifError('MODEL_UNAVAILABLE', `export: head model ${model.name} has no UVs.`);
    const files: OutputFile[] = [];
    const add = (kind: ArtifactKind, name: string, data: Uint8Array) => files.push({ kind, name, bytes: data.byteLength, contentType: CONTENT_TYPES[kind], data });

    // PNG encoding runs on libuv's thread pool: start it first and let the JS encoders below overlap it.
    const pngPromise = input.texture ? encodePng(input.texture.image) : undefined;
    pngPromise?.catch(() => undefined); // awaited below; avoid an unhandled rejection while the JS encoders run
    const params = buildParams(input);
    reportProgress(context, { stage: this.name, fraction: 0.2, message: 'meshes' });

    // Rest mesh: identity only (the evaluator leaves the shaped vertices and rest joints behind).
    const evaluator = evaluatorFor(model);
    const rest = evaluator.evaluate({ identity: fit.params.identity }, new Float32Array(3 * model.vertexCount));
    const seif = input.seif?.geometry;
    if (seif) for (let i = 0; i < rest.length; i++) rest[i] = rest[i]! + seif.restOffsets[i]!;
    // SeIF hair: its own mesh (node 'hair'), coloured from the photo; the viewer toggles nodes named hair*.
    const hairMaterial = seif?.hair ? { name: 'hair', baseColor: [...seif.hair.meanColor, 1] as [number, number, number, number], roughness: 0.8 } : undefined;
    const restJoints = Float64Array.from(evaluator.restJoints);
    const split = splitUvSeams(rest, model.faces, uv.coords, uv.faces);
    // The texture's file name as the MTL refers to it (set while encoding the OBJ).
    let textureName: string | undefined;
    const staticFiles: Array<[ArtifactKind, string, Uint8Array]> = [];
    if (formats.some((f) => f !== 'glb')) {
      const posed = seif ? seif.frontalHead : frontalVertices(fit);
      const positions = remapAttribute(posed, 3, split.remap);
      // OBJ only needs to know that there is a texture (for map_Kd); the bytes are written once, as TEXTURE.
      const placeholder = { name: 'skin', ...(input.texture ? { texture: { bytes: PNG_PLACEHOLDER, mime: 'image/png' as const } } : {}) };
      const staticMesh: ExportMesh = {
        name: 'head', positions, indices: split.indices, uvs: split.uvs, material: placeholder,
        ...(seif?.hair ? { extras: [{ name: 'hair', positions: seif.hair.frontal, indices: seif.hair.indices, colors: seif.hair.colors, material: hairMaterial! }] } : {}),
      };
      if (formats.includes('obj')) {
        const obj = encodeObj(staticMesh, { baseName: base });
        staticFiles.push(['OBJ', `${base}.obj`, new TextEncoder().encode(obj.obj)], ['MTL', `${base}.mtl`, new TextEncoder().encode(obj.mtl)]);
        for (const name of obj.textures.keys()) textureName = name;
      }
      if (formats.includes('ply')) {
        const colors = input.texture ? vertexColors(split.uvs, input.texture.image) : undefined;
        staticFiles.push(['PLY', `${base}.ply`, encodePly({ ...staticMesh, ...(colors ? { colors } : {}) })]);
      }
      if (formats.includes('stl')) {
        // FLAME: welded first (seam-split vertices would leave it open along every UV seam), then made watertight.
        // SeIF: the reconstructed surface, already watertight and hair included: what a 3D print should be.
        const stl = seif ? encodeStl(seif.surface) : encodeStl({ positions: posed, indices: model.faces }, { watertight: true });
        staticFiles.push(['STL', `${base}.stl`, stl.bytes]);
      }
    }
    reportProgress(context, { stage: this.name, fraction: 0.6, message: 'glb' });
    const texturePng = await pngPromise;
    const material = { name: 'skin', ...(texturePng ? { texture: { bytes: texturePng, mime: 'image/png' as const } } : {}) };
    if (formats.includes('glb')) {
      const stride = 3 * model.vertexCount;
      const morphTargets = model.expression.names.map((name, k) => ({
        name,
        deltas: remapAttribute(model.expression.deltas.subarray(k * stride, (k + 1) * stride), 3, split.remap),
      }));
      const skin = skinOf(model, restJoints);
      skin.joints = remapAttribute(skin.joints as Uint16Array, 4, split.remap);
      skin.weights = remapAttribute(skin.weights, 4, split.remap);
      const mesh: ExportMesh = {
        name: 'head', positions: split.positions, indices: split.indices, uvs: split.uvs, material, morphTargets, skin,
        ...(seif?.hair ? {
          extras: [{
            name: 'hair', positions: seif.hair.rest, indices: seif.hair.indices, colors: seif.hair.colors, skinJoints: seif.hair.joints, skinWeights: seif.hair.weights,
            material: { ...hairMaterial!, baseColor: [1, 1, 1, 1] as [number, number, number, number] },
          }],
        } : {}),
      };
      const glb = await encodeGlb(mesh, {
        generator: '@seif/core',
        metadata: {
          seif: {
            headModel: params.headModel,
            rotationConvention: params.rotationConvention,
            fittedExpression: params.params.expression,
            fittedPose: params.params.pose,
          },
        },
      });
      add('GLB', `${base}.glb`, glb);
    }
    for (const [kind, name, data] of staticFiles) add(kind, name, data);
    if (texturePng && (this.options.textureFile ?? true)) add('TEXTURE', textureName ?? `${base}_skin.png`, texturePng);
    add('PARAMS', 'params.json', new TextEncoder().encode(`${JSON.stringify(params, null, 2)}\n`));
    return { files, params, ...(texturePng ? { texturePng } : {}) };
  }
}
