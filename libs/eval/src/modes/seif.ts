/**
 * The `seif` mode: the whole production pipeline in mode 'seif' (front end, FLAME fit, SeIF implicit surface,
 * uniformization) on the rendered image, scored on the uniformized FLAME-topology head in head-model space
 * (metres). A case where SeIF fell back to the FLAME head counts as FAILED (SEIF_FAILED), so the score is SeIF's
 * own; the fallback is still what a user would get. Weights: the shipped ones or SEIF_WEIGHTS_DIR. `seif-surface`
 * scores the implicit surface itself.
 */
import { ReconstructionPipeline } from '@seif/core';
import sharp from 'sharp';
import { EvalError } from '../errors.js';
import { type PipelineHeadResult, landmarksFromFlameTopology, pipelineMode } from './pipeline-adapter.js';

/** SeIF frame -> head-model space of a fit (the inverse of seif-core's modelToFrame). */
export function frameToModel(camera: { scale: number; tx: number; ty: number }, frame: Float32Array): Float32Array {
  const out = new Float32Array(frame.length);
  for (let i = 0; i < frame.length; i += 3) {
    out[i] = (2 * frame[i]! - camera.tx) / camera.scale;
    out[i + 1] = (2 * frame[i + 1]! + camera.ty) / camera.scale;
    out[i + 2] = (2 * frame[i + 2]!) / camera.scale;
  }
  return out;
}

type SeifPipelineResult = Awaited<ReturnType<ReconstructionPipeline['run']>>;

/**
 * A mode over the production pipeline in mode 'seif'; `score` picks the mesh that is scored. The grid is
 * SEIF_EVAL_RESOLUTION (default 256).
 */
function seifPipelineMode(description: string, score: (result: SeifPipelineResult & { seif: NonNullable<SeifPipelineResult['seif']> }) => Promise<PipelineHeadResult>) {
  return pipelineMode(description, async () => {
    const pipeline = new ReconstructionPipeline();
    if (!pipeline.seifAvailable) throw new EvalError('MODE_NOT_AVAILABLE', "mode 'seif' needs SeIF weights: none in models/weights and SEIF_WEIGHTS_DIR is not set.");
    await pipeline.warmUp();
    await pipeline.seifNetwork();
    const resolution = Number(process.env.SEIF_EVAL_RESOLUTION ?? 256);
    return async (image, context) => {
      const png = await sharp(Buffer.from(image.data), { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
      const result = await pipeline.run(png, { mode: 'seif', resolution, formats: [], thumbnailSize: 0, textureSize: 256, ...(context.signal ? { signal: context.signal } : {}) });
      if (context.timings) Object.assign(context.timings, result.timings);
      if (!result.seif) {
        const why = result.warnings.find((w) => w.code === 'SEIF_FAILED')?.message ?? 'no SeIF result';
        throw new EvalError('MODE_NOT_AVAILABLE', `SEIF_FAILED: ${why}`);
      }
      return score({ ...result, seif: result.seif });
    };
  });
}

function seifMeta(result: SeifPipelineResult & { seif: NonNullable<SeifPipelineResult['seif']> }): Record<string, unknown> {
  const { seif } = result;
  return { headModel: result.fit.model.name, grid: seif.grid, uniformize: { skipped: seif.uniformizeSkipped, targeted: seif.uniformizeReport.targeted, meanMoveMm: seif.uniformizeReport.meanMoveMm } };
}

export const seifMode = seifPipelineMode('SeIF: implicit surface with semantic codes, uniformized to FLAME topology (libs/seif-core mode seif)', async (result) => ({
  vertices: frameToModel(result.fit.camera, result.seif.uniformized),
  faces: result.fit.model.faces,
  unit: 'm',
  fullHead: true,
  meta: seifMeta(result),
}));

/**
 * The raw implicit surface (what the STL download holds) instead of the uniformized head: the shape the network
 * itself reconstructed. Its landmarks are the uniformized head's (same frame), since a marching-cubes surface has
 * no landmark embedding; the evaluator's ICP refines the alignment on the surface itself.
 */
export const seifSurfaceMode = seifPipelineMode('SeIF implicit surface itself (marching cubes, the STL output), scored without uniformization', async (result) => {
  const head = frameToModel(result.fit.camera, result.seif.uniformized);
  return {
    vertices: frameToModel(result.fit.camera, result.seif.surface.positions),
    faces: result.seif.surface.indices,
    landmarks68: await landmarksFromFlameTopology(head, result.fit.model.faces),
    unit: 'm',
    fullHead: true,
    meta: seifMeta(result),
  };
});
