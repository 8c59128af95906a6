/**
 * The `flame` mode: the production front end (decode -> detect -> 478 landmarks -> normalise -> FLAME fit) of
 * libs/seif-core on the rendered image, scored on the fitted FLAME mesh in head-model space (metres). Texture and
 * export are skipped: they do not change the geometry.
 */
import { ReconstructionPipeline, runStage } from '@seif/core';
import sharp from 'sharp';
import { pipelineMode } from './pipeline-adapter.js';

export const flameMode = pipelineMode('FLAME fitted to the 478 detected landmarks (libs/seif-core front end + libs/flame fitting)', async () => {
  const pipeline = new ReconstructionPipeline();
  await pipeline.warmUp();
  return async (image, context) => {
    const stageContext = { timings: context.timings ?? {}, ...(context.signal ? { signal: context.signal } : {}) };
    // The decode stage takes an encoded file, as a partner upload would be.
    const png = await sharp(Buffer.from(image.data), { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
    const decoded = (await runStage(pipeline.decode, png, stageContext)).output;
    const { face } = (await runStage(pipeline.detect.error, decoded, stageContext)).output;
    const { points } = (await runStage(pipeline.landmarks, { image: decoded, face }, stageContext)).output;
    const { landmarks } = (await runStage(pipeline.normalise, { image: decoded, landmarks: points }, stageContext)).output;
    const fit = (await runStage(pipeline.fit, { landmarks }, stageContext)).output;
    return {
      vertices: fit.modelVertices,
      faces: fit.model.faces,
      unit: 'm',
      fullHead: true,
      meta: { headModel: fit.model.name, fitRmse: fit.rmse, fitIterations: fit.iterations },
    };
  };
});
