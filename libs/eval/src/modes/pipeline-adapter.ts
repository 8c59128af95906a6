/**
 * Public API. Adapter from a pipeline that works in the SeIF frame (libs/seif-core: orthographic 512² crop,
 * [-0.5, 0.5]², +Z toward the camera, FLAME-topology output) to the evaluator's `ReconstructFn`.
 *
 * The evaluator needs only a mesh and its 68 landmarks in one frame; units do not matter for the score (the
 * landmark similarity has a scale), but `unit` is recorded. A pipeline that produces FLAME-topology meshes
 * gets its landmarks from the static embedding (`landmarksFromFlameTopology`).
 */
import { embedLandmarks, readStaticEmbedding } from './mean-template.js';
import { assetPath } from '@seif/models';
import type { EvalImage, ReconstructFn, ReconstructionContext, ReconstructionMode } from './types.js';

/** What a pipeline must return for the adapter (any frame, any unit). */
export interface PipelineHeadResult {
  vertices: Float32Array | Float64Array;
  faces: Uint32Array;
  /** 68 x 3 in the same frame; when absent the mesh must have FLAME topology (5023 vertices). */
  landmarks68?: Float64Array;
  unit?: 'mm' | 'm' | 'seif-frame';
  fullHead?: boolean;
  meta?: Record<string, unknown>;
}

export type PipelineFn = (image: EvalImage, context: ReconstructionContext) => Promise<PipelineHeadResult>;

export const FLAME_VERTEX_COUNT = 5023;

export async function landmarksFromFlameTopology(vertices: ArrayLike<number>, faces: ArrayLike<number>): Promise<Float64Array> {
  const { faceIndex, barycentric } = await readStaticEmbedding(await assetPath('ringnet-flame-static-embedding'));
  const out = new Float64Array(3 * 68).fill(NaN);
  embedLandmarks(vertices, faces, faceIndex, barycentric, out, 17);
  return out;
}

/**
 * Wraps a pipeline function as a mode. A thrown error whose `code` is 'NO_FACE' (SeifError's code for it) becomes
 * the NO_FACE failure; any other error becomes FAILED with its message.
 */
export function pipelineMode(description: string, load: () => Promise<PipelineFn>): ReconstructionMode {
  return {
    description,
    async create(): Promise<ReconstructFn> {
      const run = await load();
      return async (image, context) => {
        try {
          const result = await run(image, context);
          const landmarks68 = result.landmarks68 ?? (await landmarksFromFlameTopology(result.vertices, result.faces));
          return {
            vertices: result.vertices,
            faces: result.faces,
            landmarks68,
            // The SeIF frame is metric up to the crop scale; alignment estimates that scale anyway.
            unit: result.unit === 'mm' ? 'mm' : 'm',
            fullHead: result.fullHead ?? true,
            ...(result.meta ? { meta: result.meta } : {}),
          };
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          return { failure: { code: code === 'NO_FACE' ? 'NO_FACE' : 'FAILED', message: error instanceof Error ? error.message : String(error) } };
        }
      };
    },
  };
}
