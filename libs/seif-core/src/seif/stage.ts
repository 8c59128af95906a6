/**
 * Public API. The SeIF stage: from the photo and the FLAME fit to a full head with hair that keeps FLAME's
 * topology (Liu et al., TMM 2024, plus the parts the authors never released: uniformization and animation).
 *
 *   inputs (crop, prior maps, mask) -> encoder once -> decoder on a coarse-to-fine grid (codes from the semantic
 *   field of the fitted FLAME) -> marching cubes + cleanup -> refined codes at the surface vertices ->
 *   uniformization (fitted FLAME vertices moved onto the surface where the codes say face: SeifUniformization) ->
 *   hair = surface off the FLAME mesh (over the face, only what the photo shows in the hair's colour:
 *   hair-in-photo.ts), skinned from the nearest FLAME vertices and coloured from the photo -> rest-pose offsets
 *   for export.
 *
 * Everything geometric happens in the frame the network was trained in (inputs.ts: a similarity of the fit's
 * frame, depth-centred) and is mapped back at the end, so outputs share the fit's frame (and its camera maps them
 * to model space).
 */
import { type HeadModel, evaluatorFor } from '@seif/flame';
import type { Affine2D, RgbImage } from '../image/image.js';
import { extractSurface } from '../implicit/extract-surface.js';
import type { IndexedMesh } from '../implicit/marching-cubes.js';
import { type OccupancyGrid, evaluateOccupancyGrid } from '../implicit/occupancy-grid.js';
import { SeifError } from '../pipeline/errors.js';
import { type Stage, type StageContext, reportProgress, throwIfAborted } from '../pipeline/stage.js';
import { semanticFieldForHead } from '../semantic/semantic-field.js';
import type { FitOutput } from '../stages/fit.js';
import { type SkinnedHair, bindHair, extractHair, simplifyHair } from '../uniform/hair.js';
import { fitPlacement, skinningTransforms, unskinPoints } from '../uniform/skinning.js';
import { projectionCodes } from '../uniform/projection-codes.js';
import { type UniformizeOptions, type UniformizeReport, uniformize } from '../uniform/uniformize.js';
import { type PhotoColourModels, hairShownInPhoto } from './hair-in-photo.js';
import { type SeifInputs, prepareSeifInputs, toFitFrame } from './inputs.js';
import { carveOutsideSilhouette } from './silhouette.js';
import type { SeifNetwork } from './network.js';
import { projectedVertexColors } from './vertex-colors.js';

export interface SeifStageOptions {
  network: SeifNetwork;
  /** Finest grid: 64, 128 (default, SEIF_DEFAULT_RESOLUTION), 256 or 512. */
  resolution?: number;
  /** First dense grid (default 64). */
  coarse?: number;
  /** Points per decoder call (default 65536). */
  batchSize?: number;
  /** Occupancy iso level of the surface (default: the weights' calibrated level, SeifNetwork.surfaceLevel). */
  level?: number;
  /** How FLAME vertices find their place on the surface (default SEIF_DEFAULT_UNIFORMIZATION). */
  uniformization?: SeifUniformization;
}

/**
 * - 'projection': each fitted face/ear vertex moves along its normal onto the surface, where the network's codes say
 *   "face" (uniform/projection-codes.ts); `moveFraction` of the way (uniformize.ts).
 * - 'codes': SeIF's own rule, each vertex goes to the surface points whose refined code matches its template code.
 *   It needs codes within ~0.03 of the truth; seif-lite's are ~0.05 off at the median, so it is not the default.
 */
export interface SeifUniformization {
  matching: 'projection' | 'codes';
  moveFraction?: number;
}

export interface SeifStageInput {
  image: RgbImage;
  /** 478 landmarks in photo pixels. */
  landmarks: Float32Array;
  /** Person probability 0..255 at photo resolution (SegmentResult.person). */
  person: Uint8Array;
  /** The segmentation's colour models: keep the face the network placed off the fit out of the hair (hair-in-photo.ts). */
  colours?: PhotoColourModels;
  fit: FitOutput;
}

export interface SeifHair {
  /** Hair surface in the SeIF frame (the fit's). */
  mesh: IndexedMesh;
  /** Bound to FLAME's skeleton: rest positions in model space (metres) and n x jointCount weights. */
  skinned: SkinnedHair;
  /** RGB bytes per vertex from the photo. */
  colors: Uint8Array;
  /** Vertices seen in the photo (the rest took the nearest seen colour). */
  seen: number;
  /** Surface vertices off the FLAME mesh over its face that the photo does not show as hair, left out (hair-in-photo.ts). */
  faceShell: number;
}

export interface SeifResult {
  /** The reconstructed surface (watertight, hair included), SeIF frame. */
  surface: IndexedMesh;
  /** FLAME-topology mesh on the surface, SeIF frame. */
  uniformized: Float32Array;
  /**
   * Per-vertex offsets in the model's rest space (metres): rest mesh of the fitted identity + these = the
   * uniformized head at rest. Expression shapes and skinning carry over unchanged (same topology).
   */
  restOffsets: Float32Array;
  hair: SeifHair | undefined;
  uniformizeReport: UniformizeReport;
  /** True when too few FLAME vertices found (or kept) a match (MIN_TARGETED_FRACTION): the head is the fit's. */
  uniformizeSkipped: boolean;
  /** The rule that placed them. */
  uniformization: SeifUniformization;
  grid: {
    resolution: number; coarse: number; level: number; pointsEvaluated: number; denseEquivalent: number; decoderCalls: number;
    /** Evaluated points off the person (silhouette.ts) whose non-zero occupancy was zeroed. */
    carvedBySilhouette: number;
  };
  /** Milliseconds per sub-step. */
  ms: Record<string, number>;
  /** The fit's frame (X, Y), where every output lives, -> photo pixels. */
  frameToImage: Affine2D;
}

/** The implicit surface of one photo before uniformization (SeifStage.reconstruct), in the network frame. */
export interface SeifReconstruction {
  inputs: SeifInputs;
  surface: IndexedMesh;
  /** n x 3 refined semantic codes at the surface's vertices. */
  codes: Float32Array;
  /** n x 3 codes of the fit's semantic field at the same vertices (the network's code input there). */
  fieldCodes: Float32Array;
  grid: OccupancyGrid;
  decoderCalls: number;
  /** Evaluated points off the person whose occupancy was zeroed. */
  carved: number;
  ms: Record<string, number>;
}

/**
 * Default finest grid: 128^3. On 2 CPU cores seif-lite at 256^3 took 11-25 s per photo (docs/images/seif-vs-flame.png run:
 * ~2-2.6 M points evaluated, hair binding and colouring of ~250k vertices); 256 and 512 on request.
 */
export const SEIF_DEFAULT_RESOLUTION = 128;

/**
 * Production uniformization. Chosen on held-out synthetic heads of a seed other than eval:synth's (docs/results.md,
 * "Uniformization by projection"): half the way to the surface beat both the fit and the whole way.
 */
export const SEIF_DEFAULT_UNIFORMIZATION: SeifUniformization = Object.freeze({ matching: 'projection', moveFraction: 0.5 });

/** Throws SeifError('INVALID_ARGUMENT') naming `where` unless `how` is a valid SeifUniformization. */
export function checkUniformization(how: SeifUniformization, where: string): void {
  if (how.matching !== 'projection' && how.matching !== 'codes') throw new SeifError('INVALID_ARGUMENT', `${where}: uniformization.matching must be 'projection' or 'codes', got "${String(how.matching)}".`);
  if (how.moveFraction !== undefined && !(how.moveFraction > 0 && how.moveFraction <= 1)) throw new SeifError('INVALID_ARGUMENT', `${where}: uniformization.moveFraction must be in (0, 1], got ${how.moveFraction}.`);
}

/** Uniformization runs only when at least this fraction of the face/ear vertices found a code match, and is kept only when as many kept their target. */
export const MIN_TARGETED_FRACTION = 0.5;

/** Metres per SeIF-frame unit of a fit: model x (m) -> frame X = scale / 2 * x. */
export function metresPerFrameUnit(fit: FitOutput): number {
  return 2 / fit.camera.scale;
}

/**
 * Outside on the box's faces: the shoulders and long hair leave the crop, and a surface cut open there could not
 * be closed by hole filling; forcing the faces outside caps it flat instead, so the surface is watertight.
 */
function closeAtBox(occupancy: Float32Array, points: Float32Array): Float32Array {
  const edge = 0.5 - 1e-6;
  for (let i = 0; i < occupancy.length; i++) {
    if (Math.abs(points[3 * i]!) >= edge || Math.abs(points[3 * i + 1]!) >= edge || Math.abs(points[3 * i + 2]!) >= edge) occupancy[i] = 0;
  }
  return occupancy;
}


export class SeifStage implements Stage<SeifStageInput, SeifResult> {
  readonly name = 'seif';
  readonly options: SeifStageOptions;

  constructor(options: SeifStageOptions) {
    this.options = options;
    const resolution = options.resolution ?? SEIF_DEFAULT_RESOLUTION;
    if (![64, 128, 256, 512].includes(resolution)) throw new SeifError('INVALID_ARGUMENT', `seif: resolution must be 64, 128, 256 or 512, got ${resolution}.`);
    if (options.uniformization) checkUniformization(options.uniformization, 'seif');
  }

  /** The uniformization this stage runs (its option or the production default). */
  get uniformization(): SeifUniformization {
    return this.options.uniformization ?? SEIF_DEFAULT_UNIFORMIZATION;
  }

  async run(input: SeifStageInput, context?: StageContext): Promise<SeifResult> {
    return this.complete(input, await this.reconstruct(input, context), context);
  }

  /**
   * Steps 1-4: the implicit surface in the network frame and the refined codes at its vertices. Split from
   * `complete` so a study can try several uniformizations on one reconstruction (scripts/uniformize-study.ts).
   */
  async reconstruct(input: SeifStageInput, context?: StageContext): Promise<SeifReconstruction> {
    const { network } = this.options;
    const { fit } = input;
    const model: HeadModel = fit.model;
    const ms: Record<string, number> = {};
    let t = performance.now();
    const lap = (name: string) => { const now = performance.now(); ms[name] = Math.round(now - t); t = now; };
    const progress = (fraction: number, message: string) => reportProgress(context, { stage: this.name, fraction, message });

    // 1. Inputs and the encoder, once.
    const inputs = await prepareSeifInputs({ image: input.image, landmarks: input.landmarks, person: input.person, fit, size: network.imageSize });
    const feature = await network.encode(inputs.maps);
    lap('encode');
    progress(0.1, 'implicit surface');
    throwIfAborted(context, this.name);

    // 2. Occupancy, coarse to fine, bounded by the photo's silhouette; codes from the semantic field of the
    // (depth-centred) fit. queryAsync: the field shares each batch with a worker thread (128^3, 2 idle cores:
    // occupancy ~2.0 -> ~1.4 s; no gain, a little more CPU, when another process holds the second core).
    const field = semanticFieldForHead(model, inputs.prior);
    let grid: OccupancyGrid, surface: IndexedMesh, codes: Float32Array, fieldCodes: Float32Array;
    let decoderCalls = 0, carved = 0;
    try {
      grid = await evaluateOccupancyGrid(async (points) => {
        decoderCalls++;
        const occupancy = closeAtBox((await network.decode(feature, points, await field.queryAsync(points))).occupancy, points);
        carved += carveOutsideSilhouette(occupancy, points, inputs.silhouette, network.imageSize);
        return occupancy;
      }, {
        resolution: this.options.resolution ?? SEIF_DEFAULT_RESOLUTION,
        coarse: this.options.coarse ?? 64,
        batchSize: this.options.batchSize ?? 65536,
        level: this.options.level ?? network.surfaceLevel,
        ...(context?.signal ? { signal: context.signal } : {}),
        onProgress: (f) => progress(0.1 + 0.55 * f, 'implicit surface'),
      });
      lap('occupancy');

      // 3. Surface.
      ({ mesh: surface } = await extractSurface(grid));
      if (surface.indices.length === 0) throw new SeifError('INTERNAL', `seif: the implicit function produced no surface at the ${grid.level} level.`);
      lap('surface');
      progress(0.75, 'uniformization');
      throwIfAborted(context, this.name);

      // 4. Refined codes at the surface vertices.
      codes = new Float32Array(surface.positions.length);
      fieldCodes = new Float32Array(surface.positions.length);
      const batch = this.options.batchSize ?? 65536;
      for (let start = 0; start < surface.positions.length; start += 3 * batch) {
        const points = surface.positions.subarray(start, Math.min(surface.positions.length, start + 3 * batch));
        const input = await field.queryAsync(points);
        fieldCodes.set(input, start);
        codes.set((await network.decode(feature, points, input)).code, start);
      }
    } finally {
      // Free the worker threads' copies of the field's mesh now (also on failure), not at garbage collection.
      field.dispose();
    }
    lap('codes');
    return { inputs, surface, codes, fieldCodes, grid, decoderCalls, carved, ms };
  }

  /**
   * The rest on a reconstruction: uniformization, then hair and rest-pose offsets in the fit's frame. `reconstructed`
   * is not modified. `uniformizeOptions` override the production settings (studies only).
   */
  async complete(input: SeifStageInput, reconstructed: SeifReconstruction, context?: StageContext, uniformizeOptions: UniformizeOptions = {}): Promise<SeifResult> {
    const { fit } = input;
    const model: HeadModel = fit.model;
    const { inputs, grid, codes, decoderCalls, carved } = reconstructed;
    const ms: Record<string, number> = { ...reconstructed.ms };
    let t = performance.now();
    const lap = (name: string) => { const now = performance.now(); ms[name] = Math.round(now - t); t = now; };
    const progress = (fraction: number, message: string) => reportProgress(context, { stage: this.name, fraction, message });
    const surface: IndexedMesh = { positions: Float32Array.from(reconstructed.surface.positions), indices: reconstructed.surface.indices };
    const metresPerUnit = metresPerFrameUnit(fit) / inputs.scale;
    // Scalp and neck have no codes: snap them onto a surface within 0.015 (~4 mm), more than the hair threshold
    // (0.01), so bare skin is not mistaken for a thin layer of hair and FLAME does not poke through short hair.
    // Too few matches means the surface or its codes cannot be trusted on this photo (with 'codes' and seif-lite v1,
    // code error ~0.2 against the 0.03 radius; with 'projection', a face the network calls hair or a surface far
    // from the fit): a handful of targets then drags the whole mesh (measured on held-out renders: face error
    // 6 -> 13 mm). Then the fit's head is kept, and the solve is not even run; the hair still comes from SeIF.
    const minFraction = uniformizeOptions.minMatchedFraction ?? MIN_TARGETED_FRACTION;
    const how = this.uniformization;
    const matchCodes = how.matching === 'projection' ? projectionCodes(model, inputs.prior, surface.positions, codes, reconstructed.fieldCodes) : codes;
    const uniform = uniformize(model, inputs.prior, { positions: surface.positions, indices: surface.indices, codes: matchCodes }, {
      metresPerUnit, snapDistance: 0.015, ...(how.moveFraction !== undefined ? { moveFraction: how.moveFraction } : {}), ...uniformizeOptions, minMatchedFraction: minFraction,
    });
    const uniformizeSkipped = uniform.report.skipped || uniform.report.targeted < minFraction * uniform.report.eligible;
    const uniformized0 = uniformizeSkipped ? Float32Array.from(inputs.prior) : uniform.vertices;
    lap('uniformize');
    progress(0.88, 'hair');

    // 5. Back to the fit's frame, then hair and rest-pose offsets.
    toFitFrame(inputs, surface.positions);
    const uniformized = toFitFrame(inputs, uniformized0);
    const evaluator = evaluatorFor(model);
    const transforms = skinningTransforms(evaluator, fit.params, fitPlacement(fit.camera));
    const J = model.joints.names.length;
    const rest = unskinPoints(uniformized, model.skinWeights, J, transforms);
    // evaluator.shaped is the fit's own rest mesh (identity and expression shapes, unposed): the offsets are what
    // uniformization added, independent of expression and pose.
    const restOffsets = new Float32Array(rest.length);
    for (let i = 0; i < rest.length; i++) restOffsets[i] = rest[i]! - evaluator.shaped[i]!;
    let hair: SeifHair | undefined;
    const hairInPhoto = input.colours && hairShownInPhoto({ surface, photo: input.image, person: input.person, frameToImage: inputs.fitFrameToImage, ...input.colours });
    const extracted = extractHair(model, uniformized, surface, hairInPhoto ? { hairInPhoto } : {});
    if (extracted.mesh.indices.length > 0) {
      // Decimated first: binding, colouring and export all cost per hair vertex.
      const simplified = await simplifyHair(extracted.mesh);
      const mesh = { positions: simplified.positions, indices: simplified.indices };
      lap('hairExtract');
      const skinned = bindHair(model, uniformized, simplified, transforms);
      lap('hairBind');
      const { colors, seen } = projectedVertexColors({
        positions: mesh.positions, indices: mesh.indices, occluder: surface, photo: input.image, person: input.person, frameToImage: inputs.fitFrameToImage,
      });
      hair = { mesh, skinned, colors, seen, faceShell: extracted.report.faceShell };
      lap('hairColor');
    } else lap('hairExtract');

    return {
      surface, uniformized, restOffsets, hair, uniformizeReport: uniform.report, uniformizeSkipped, uniformization: how, frameToImage: inputs.fitFrameToImage, ms,
      grid: { resolution: grid.resolution, coarse: grid.coarseResolution, level: grid.level, pointsEvaluated: grid.pointsEvaluated, denseEquivalent: grid.denseEquivalent, decoderCalls, carvedBySilhouette: carved },
    };
  }
}
