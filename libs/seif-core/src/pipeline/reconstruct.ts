/**
 * Public API. reconstruct: one photo in; files (GLB, OBJ + MTL + PNG, PLY, STL, texture, thumbnail, PARAMS),
 * parameters, timings and warnings out. The stages are composed the way transformers.js composes a pipeline:
 * a `ReconstructionPipeline` owns its stages (created once, networks loaded once by the model registry) and each
 * call runs prepare (decode) -> networks (detect, landmarks, optional segment) -> model (normalise, fit) -> post-process
 * (texture, export, thumbnail), reporting progress per stage and checking the AbortSignal between stages.
 *
 * ```ts
 * const result = await reconstruct('portrait.jpg', { formats: ['glb'], onProgress: (p) => console.log(p.stage, p.fraction) });
 * for (const file of result.files) await writeFile(file.name, file.data);
 * ```
 *
 * `mode: 'seif'` adds the implicit reconstruction with hair (seif/stage.ts) after the fit: the head keeps FLAME's
 * topology (uniformized onto the surface), the hair is its own skinned mesh. It is the default when SeIF weights
 * are present (models/weights, or a directory in SEIF_WEIGHTS_DIR). Without weights, or when a SeIF step fails,
 * the FLAME result is returned with a warning (SEIF_UNAVAILABLE, SEIF_FAILED): never nothing.
 */
import { type HeadModel, evaluate, sampleLandmarks } from '@seif/flame';
import { type SeifWeights, readSeifNetDir, seifWeights } from '@seif/models';
import type { Device } from '../runtime/device.js';
import { renderHead } from '../render/head.js';
import { DecodeStage, type DecodeInput } from '../stages/decode.js';
import { DetectStage } from '../stages/detect.js';
import { type ArtifactKind, CONTENT_TYPES, ExportStage, MESH_FORMATS, type MeshFormat, type OutputFile, type SeifParams, encodePng, frontalVertices } from '../stages/export.js';
import { FitStage, type FitOutput } from '../stages/fit.js';
import { LandmarksStage } from '../stages/landmarks.js';
import { NormaliseStage } from '../stages/normalise.js';
import { SegmentStage } from '../stages/segment.js';
import { TEXTURE_DEFAULTS, TextureStage, mirrorMap, uvLayout } from '../stages/texture.js';
import { type SeifHairGeometry, seifExportGeometry, srgbBytesToLinear } from '../seif/export-geometry.js';
import { SeifNetwork } from '../seif/network.js';
import { SEIF_DEFAULT_RESOLUTION, type SeifResult, SeifStage, type SeifUniformization, checkUniformization } from '../seif/stage.js';
import type { SeifInfo } from '../stages/export.js';
import { SeifError, toSeifError } from './errors.js';
import { type Stage, type StageContext, type StageWarning, runStage, throwIfAborted } from './stage.js';

export type ReconstructMode = 'flame' | 'seif';
export const RECONSTRUCT_MODES: readonly ReconstructMode[] = Object.freeze(['flame', 'seif']);

export interface ReconstructProgress {
  /** Stage running (decode, detect, landmarks, segment, normalise, fit, texture, export, thumbnail). */
  stage: string;
  /** 0..1 over the whole reconstruction (stage weights from typical timings, STAGE_WEIGHTS). */
  fraction: number;
  /** 0..1 within the stage. */
  stageFraction: number;
  message?: string;
}

export interface ReconstructOptions {
  /**
   * 'seif' (default when weights are present): the full head with hair on FLAME topology. 'flame' (the default
   * otherwise): the fitted FLAME head alone, faster.
   */
  mode?: ReconstructMode;
  /** SeIF implicit grid resolution: 64, 128 (default, SEIF_DEFAULT_RESOLUTION), 256 or 512. */
  resolution?: number;
  /** How the SeIF head is uniformized (default SEIF_DEFAULT_UNIFORMIZATION; studies and evaluation). */
  uniformization?: SeifUniformization;
  /** Mesh formats (default all: glb, obj, ply, stl). PARAMS, TEXTURE and THUMBNAIL are always produced. */
  formats?: readonly MeshFormat[];
  /** Texture side in texels (default 1024). */
  textureSize?: number;
  /** More than one face: 'error' (MULTIPLE_FACES, default) or 'largest'. */
  faces?: 'error' | 'largest';
  /** 'cpu' (default) or 'cuda'. */
  device?: Device;
  /** Thumbnail side in pixels (default 256; 0 disables it). */
  thumbnailSize?: number;
  onProgress?: (progress: ReconstructProgress) => void;
  /** Checked between stages; an aborted reconstruction throws SeifError('ABORTED'). */
  signal?: AbortSignal;
  /** Head model (default: the open default model, loaded once). */
  model?: HeadModel;
  /**
   * Run the person segmentation and keep background pixels out of the texture at the silhouette. Default false:
   * it costs ~220 ms (of ~1.3-1.9 s CPU) and, with the view-angle weighting already dropping grazing texels, the
   * thumbnails of photo-woman-portrait and photo-city-portrait came out indistinguishable with and without it.
   */
  segmentation?: boolean;
}

export interface ReconstructFile extends OutputFile {
  kind: ArtifactKind;
}

export interface ReconstructResult {
  files: ReconstructFile[];
  params: SeifParams;
  /** Milliseconds per stage, plus `total`. */
  timings: Record<string, number>;
  warnings: StageWarning[];
  /** The fit (mesh, parameters, camera), for callers that go on (SeIF stages, evaluation, previews). */
  fit: FitOutput;
  /** Mode 'seif' when it succeeded: surface, uniformized head, hair, reports. */
  seif?: SeifResult;
}

/**
 * Relative cost of each stage, for the overall progress fraction (p50 milliseconds of `npm run bench`, rounded;
 * they need only be roughly right: a progress bar that moves evenly).
 */
export const STAGE_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({
  decode: 20, detect: 40, landmarks: 90, segment: 40, normalise: 10, fit: 500, seif: 6000, texture: 150, export: 150, thumbnail: 20,
});

/** Where SeIF weights come from: SEIF_WEIGHTS_DIR (a training run's output, for development) or the shipped ones. */
export function defaultSeifWeights(env: NodeJS.ProcessEnv = process.env): SeifWeights | undefined {
  return env.SEIF_WEIGHTS_DIR ? readSeifNetDir(env.SEIF_WEIGHTS_DIR) : seifWeights();
}

/** Default thumbnail: 256 x 256 PNG, three-quarter view. */
export const THUMBNAIL_DEFAULTS = Object.freeze({ size: 256, yawDegrees: 35 });

export class ReconstructionPipeline {
  readonly device: Device;
  readonly decode: DecodeStage;
  readonly detect: { error: DetectStage; largest: DetectStage };
  readonly landmarks: LandmarksStage;
  readonly segment: SegmentStage;
  readonly normalise: NormaliseStage;
  readonly fit: FitStage;
  readonly #textures = new Map<number, TextureStage>();
  readonly #seifWeights: SeifWeights | undefined;
  #seifNetwork: Promise<SeifNetwork> | undefined;

  constructor(options: { device?: Device; model?: HeadModel; seifWeights?: SeifWeights | null } = {}) {
    this.device = options.device ?? 'cpu';
    // null: SeIF off for this pipeline (tests of the FLAME path); undefined: the default weights, if any.
    this.#seifWeights = options.seifWeights === null ? undefined : (options.seifWeights ?? defaultSeifWeights());
    const session = { device: this.device };
    this.decode = new DecodeStage();
    this.detect = { error: new DetectStage({ faces: 'error', session }), largest: new DetectStage({ faces: 'largest', session }) };
    this.landmarks = new LandmarksStage({ session });
    this.segment = new SegmentStage({ session });
    this.normalise = new NormaliseStage();
    this.fit = new FitStage(options.model ? { model: options.model } : {});
  }

  /**
   * Loads the networks and the head model now rather than on the first photo, builds the default texture's UV
   * layout and mirror map, and runs one fit on the model's own landmarks: the fitter's first call in a process
   * is ~4x slower than later ones (V8 compiling its loops), measured 1.3 s against 0.3 s of CPU.
   */
  async warmUp(): Promise<void> {
    const [model] = await Promise.all([
      this.fit.model(), this.detect.error.warmUp(), this.landmarks.warmUp(), this.segment.warmUp(), ...(this.seifAvailable ? [this.seifNetwork()] : []),
    ]);
    uvLayout(model, TEXTURE_DEFAULTS.size);
    mirrorMap(model);
    const embedding = model.landmarks.mediapipe478;
    if (embedding) {
      // The neutral head's landmarks in a frame-sized layout (0.8 m -> 1 frame unit, like a head at ~88 %).
      const marks = sampleLandmarks(model, evaluate(model, {}), embedding);
      for (let i = 0; i < marks.length; i++) marks[i] = marks[i]! * 3.5;
      await this.fit.run({ landmarks: marks });
    }
  }

  /** Whether SeIF weights are available (then 'seif' is the default mode). */
  get seifAvailable(): boolean {
    return this.#seifWeights !== undefined;
  }

  /** The SeIF network, loaded once; rejects with MODEL_UNAVAILABLE when there are no weights. */
  seifNetwork(): Promise<SeifNetwork> {
    const weights = this.#seifWeights;
    if (!weights) return Promise.reject(new SeifError('MODEL_UNAVAILABLE', 'No SeIF weights: models/weights has none and SEIF_WEIGHTS_DIR is not set.'));
    if (!this.#seifNetwork) {
      this.#seifNetwork = SeifNetwork.load(weights, { device: this.device });
      this.#seifNetwork.catch(() => { this.#seifNetwork = undefined; });
    }
    return this.#seifNetwork;
  }

  texture(size: number): TextureStage {
    let stage = this.#textures.get(size);
    if (!stage) this.#textures.set(size, (stage = new TextureStage({ size })));
    return stage;
  }

  async run(input: DecodeInput, options: ReconstructOptions = {}): Promise<ReconstructResult> {
    const mode = options.mode ?? (this.seifAvailable ? 'seif' : 'flame');
    if (!RECONSTRUCT_MODES.includes(mode)) throw new SeifError('INVALID_ARGUMENT', `reconstruct: unknown mode "${String(mode)}"; valid modes: ${RECONSTRUCT_MODES.join(', ')}.`);
    const formats = options.formats ?? MESH_FORMATS;
    for (const f of formats) {
      if (!MESH_FORMATS.includes(f)) throw new SeifError('INVALID_ARGUMENT', `reconstruct: unknown format "${String(f)}"; valid formats: ${MESH_FORMATS.join(', ')}.`);
    }
    const textureSize = options.textureSize ?? TEXTURE_DEFAULTS.size;
    if (!Number.isInteger(textureSize) || textureSize < 64 || textureSize > 4096) {
      throw new SeifError('INVALID_ARGUMENT', `reconstruct: textureSize must be an integer in [64, 4096], got ${textureSize}.`);
    }
    const faces = options.faces ?? 'error';
    if (faces !== 'error' && faces !== 'largest') throw new SeifError('INVALID_ARGUMENT', `reconstruct: faces must be 'error' or 'largest', got "${String(faces)}".`);
    const thumbnailSize = options.thumbnailSize ?? THUMBNAIL_DEFAULTS.size;
    if (options.device && options.device !== this.device) {
      throw new SeifError('INVALID_ARGUMENT', `reconstruct: this pipeline runs on ${this.device}; create a ReconstructionPipeline for ${options.device}.`);
    }

    const resolution = options.resolution ?? SEIF_DEFAULT_RESOLUTION;
    if (![64, 128, 256, 512].includes(resolution)) throw new SeifError('INVALID_ARGUMENT', `reconstruct: resolution must be 64, 128, 256 or 512, got ${resolution}.`);
    if (options.uniformization) checkUniformization(options.uniformization, 'reconstruct');
    const trySeif = mode === 'seif' && this.seifAvailable;
    // SeIF reads the person mask (an encoder channel), so it always segments.
    const segmentation = (options.segmentation ?? false) || trySeif;
    const stages = ['decode', 'detect', 'landmarks', ...(segmentation ? ['segment'] : []), 'normalise', 'fit', ...(trySeif ? ['seif'] : []), 'texture', 'export', ...(thumbnailSize > 0 ? ['thumbnail'] : [])];
    const totalWeight = stages.reduce((s, name) => s + (STAGE_WEIGHTS[name] ?? 1), 0);
    const before = new Map<string, number>();
    let acc = 0;
    for (const name of stages) { before.set(name, acc); acc += STAGE_WEIGHTS[name] ?? 1; }
    const timings: Record<string, number> = {};
    const context: StageContext = {
      timings,
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (p) => {
        if (!options.onProgress) return;
        const start = before.get(p.stage) ?? 0;
        const fraction = Math.min(1, (start + p.fraction * (STAGE_WEIGHTS[p.stage] ?? 1)) / totalWeight);
        options.onProgress({ stage: p.stage, fraction, stageFraction: p.fraction, ...(p.message ? { message: p.message } : {}) });
      },
    };
    const step = async <I, O>(stage: Stage<I, O>, value: I): Promise<O> => (await runStage(stage, value, context)).output;

    const started = performance.now();
    const warnings: StageWarning[] = [];
    if (mode === 'seif' && !trySeif) {
      warnings.push({ code: 'SEIF_UNAVAILABLE', message: 'No SeIF weights are installed; this is the fitted FLAME head (no hair).' });
    }
    const image = await step(this.decode, input);
    warnings.push(...image.warnings);
    const detection = await step(this.detect[faces], image);
    warnings.push(...detection.warnings);
    const marks = await step(this.landmarks, { image, face: detection.face });
    warnings.push(...marks.warnings);
    const segmented = segmentation ? await step(this.segment, { image, landmarks: marks.points }) : undefined;
    if (segmented) warnings.push(...segmented.warnings);
    const normalised = await step(this.normalise, { image, landmarks: marks.points });
    const fit = await step(this.fit, { landmarks: normalised.landmarks });
    let seif: SeifResult | undefined;
    if (trySeif) {
      try {
        const network = await this.seifNetwork();
        seif = await step(new SeifStage({ network, resolution, ...(options.uniformization ? { uniformization: options.uniformization } : {}) }), { image, landmarks: marks.points, person: segmented!.person, colours: segmented!, fit });
        if (seif.uniformizeSkipped) {
          const u = seif.uniformizeReport;
          warnings.push({ code: 'SEIF_UNIFORMIZE_SKIPPED', message: `Only ${u.targeted} of ${u.eligible} face/ear vertices found their place on the reconstructed surface (${seif.uniformization.matching}); the face is the FLAME fit, the hair and the surface are SeIF's.` });
        }
      } catch (thrown) {
        const error = toSeifError(thrown, 'seif');
        if (error.code === 'ABORTED') throw error;
        warnings.push({ code: 'SEIF_FAILED', message: `The SeIF reconstruction failed (${error.code}: ${error.message}); this is the fitted FLAME head (no hair).` });
      }
    }
    // With SeIF, the texture is baked on the uniformized head (same topology, closer to the photo's surface).
    const textured = seif ? { ...fit, frameVertices: seif.uniformized } : fit;
    const texture = await step(this.texture(textureSize), {
      image, transform: normalised.transform, fit: textured, landmarks: normalised.landmarks, ...(segmented ? { personMask: segmented.person } : {}),
    });
    // Export runs with the timings so far; 'export' and 'thumbnail' are filled into params.timings afterwards.
    const exporter = new ExportStage({ formats });
    const seifGeometry = seif ? seifExportGeometry(fit, seif) : undefined;
    const exported = await step(exporter, {
      fit, mode: seif ? 'seif' : 'flame', transform: normalised.transform,
      ...(seif && seifGeometry ? { seif: { geometry: seifGeometry, info: seifInfo(seif, this.#seifWeights!) } } : {}), photo: { width: image.width, height: image.height }, timings, warnings,
      texture: { image: texture.texture, coverage: texture.coverage, skinTone: texture.skinTone, irisColor: texture.irisColor, mouthColor: texture.mouthColor },
    });
    const files: ReconstructFile[] = exported.files;
    if (thumbnailSize > 0) {
      const thumbnail = await step(thumbnailStage(thumbnailSize), {
        fit, texture: texture.texture, mouth: texture.mouthColor,
        ...(seifGeometry ? { vertices: seifGeometry.frontalHead, ...(seifGeometry.hair ? { hair: seifGeometry.hair } : {}) } : {}),
      });
      files.push({ kind: 'THUMBNAIL', name: 'thumbnail.png', bytes: thumbnail.byteLength, contentType: CONTENT_TYPES.THUMBNAIL, data: thumbnail });
    }
    timings.total = performance.now() - started;
    // PARAMS gets the final timings (export and thumbnail included).
    const params: SeifParams = { ...exported.params, timings: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Number(v.toFixed(1))])) };
    const paramsFile = files.find((f) => f.kind === 'PARAMS');
    if (paramsFile) {
      paramsFile.data = new TextEncoder().encode(`${JSON.stringify(params, null, 2)}\n`);
      paramsFile.bytes = paramsFile.data.byteLength;
    }
    throwIfAborted(context, 'reconstruct');
    return { files, params, timings, warnings, fit, ...(seif ? { seif } : {}) };
  }
}

/** What PARAMS records of a SeIF run: which weights, how much of the grid was evaluated, what each step did. */
function seifInfo(seif: SeifResult, weights: SeifWeights): SeifInfo {
  const u = seif.uniformizeReport;
  return {
    weights: { id: weights.entry.id, version: weights.entry.version, sha256: { encoder: weights.spec.encoder.sha256, decoder: weights.spec.decoder.sha256 } },
    grid: seif.grid,
    surface: { vertices: seif.surface.positions.length / 3, triangles: seif.surface.indices.length / 3 },
    uniformize: { matching: seif.uniformization.matching, moveFraction: seif.uniformization.moveFraction ?? 1, eligible: u.eligible, matched: u.matched, targeted: u.targeted, rejected: u.rejected, meanMoveMm: u.meanMoveMm, maxMoveMm: u.maxMoveMm, skipped: seif.uniformizeSkipped },
    hair: seif.hair ? { vertices: seif.hair.mesh.positions.length / 3, triangles: seif.hair.mesh.indices.length / 3, seenInPhoto: seif.hair.seen, faceShellVertices: seif.hair.faceShell } : null,
    ms: seif.ms,
  };
}

/** The thumbnail as a stage: the textured head, three-quarter view, PNG. */
interface ThumbnailInput {
  fit: FitOutput;
  texture: { data: Uint8Array; width: number; height: number };
  mouth: [number, number, number];
  /** SeIF: the uniformized head and the hair, frontal. */
  vertices?: Float32Array;
  hair?: SeifHairGeometry;
}

function thumbnailStage(size: number): Stage<ThumbnailInput, Uint8Array> {
  return {
    name: 'thumbnail',
    async run({ fit, texture, mouth, vertices, hair }) {
      const extras = hair ? [{ positions: hair.frontal, indices: hair.indices, colors: srgbBytesToLinear(hair.colors) }] : [];
      const image = renderHead(fit.model, vertices ?? frontalVertices(fit), { size, yawDegrees: THUMBNAIL_DEFAULTS.yawDegrees, texture, cavity: mouth, extras });
      return encodePng(image);
    },
  };
}

const pipelines = new Map<Device, ReconstructionPipeline>();

/** The process-wide pipeline for a device (stages and networks created once). */
export function reconstructionPipeline(device: Device = 'cpu'): ReconstructionPipeline {
  let pipeline = pipelines.get(device);
  if (!pipeline) pipelines.set(device, (pipeline = new ReconstructionPipeline({ device })));
  return pipeline;
}

/**
 * Reconstructs a head from one photo (bytes or a file path). Throws SeifError with a code from SEIF_ERROR_CODES
 * (NO_FACE, MULTIPLE_FACES, INVALID_IMAGE, ABORTED, ...).
 */
export async function reconstruct(input: DecodeInput, options: ReconstructOptions = {}): Promise<ReconstructResult> {
  try {
    const pipeline = options.model ? new ReconstructionPipeline({ ...(options.device ? { device: options.device } : {}), model: options.model }) : reconstructionPipeline(options.device ?? 'cpu');
    return await pipeline.run(input, options);
  } catch (thrown) {
    throw toSeifError(thrown);
  }
}

