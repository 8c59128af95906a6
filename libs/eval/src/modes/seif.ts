/**
 * The `seif` mode: the whole production pipeline in mode 'seif' (front end, FLAME fit, SeIF implicit surface,
 * uniformization) on the rendered image, scored on the uniformized FLAME-topology head in head-model space
 * (metres). A case where SeIF fell back to the FLAME head counts as FAILED (SEIF_FAILED), so the score is SeIF's
 * own; the fallback is still what a user would get. Weights: the shipped ones or SEIF_WEIGHTS_DIR.
 */
import { ReconstructionPipeline } from '@seif/core';
import sharp from 'sharp';
import { EvalError } from '../errors.js';
import { pipelineMode } from './pipeline-adapter.js';

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

export const seifMode = pipelineMode('SeIF: implicit surface with semantic codes, uniformized to FLAME topology (libs/seif-core mode seif)', async () => {
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
    return {
      vertices: frameToModel(result.fit.camera, result.seif.uniformized),
      faces: result.fit.model.faces,
      unit: 'm',
      fullHead: true,
      meta: { headModel: result.fit.model.name, grid: result.seif.grid, uniformize: { targeted: result.seif.uniformizeReport.targeted, meanMoveMm: result.seif.uniformizeReport.meanMoveMm } },
    };
  };
});
