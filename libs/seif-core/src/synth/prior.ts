/**
 * Where a synthetic sample's FLAME prior comes from. The network sees the prior as input (rendered normals and
 * depth, semantic codes) and must learn to correct it, so training should see the same prior inference sees:
 * the production front end (detect -> 478 landmarks -> fit) run on the rendered image. The ground-truth prior
 * (the sample's own FLAME part without displacements) is kept for tests and quick experiments; shards record which
 * one made them (`flamePrior`).
 */
import type { HeadModel } from '@seif/flame';
import type { RgbImage } from '../image/image.js';
import { DetectStage } from '../stages/detect.js';
import { FitStage } from '../stages/fit.js';
import { LandmarksStage } from '../stages/landmarks.js';

export interface FlamePriorInput {
  /** The rendered sample: size x size sRGB, already in the SeIF frame (pixel u = (X + 0.5) size, v = (0.5 - Y) size). */
  image: Uint8Array;
  size: number;
  /** The ground-truth FLAME part (no displacements) in the frame. */
  groundTruthFlame: Float32Array;
  model: HeadModel;
}

export interface FlamePrior {
  readonly name: 'ground-truth' | 'production-fit';
  /** FLAME vertices in the sample's frame, or undefined when the front end fails (the sample is then dropped). */
  vertices(input: FlamePriorInput): Promise<Float32Array | undefined>;
}

export const groundTruthPrior: FlamePrior = {
  name: 'ground-truth',
  async vertices({ groundTruthFlame }) {
    return groundTruthFlame;
  },
};

/**
 * Image pixels + MediaPipe depth -> the sample's frame. The render is already a SeIF-frame crop, so this is the
 * crop's own affine (X = u / size - 0.5, Y = 0.5 - v / size, Z = -z / size: MediaPipe's z is in pixels, smaller
 * is closer). The production normaliser would re-frame from the predicted landmarks; the fit is invariant to that
 * similarity (it has its own scale and offset), so fitting in the render's frame gives the same mesh, placed
 * where the sample's ground truth is.
 */
export function pixelLandmarksToFrame(points: Float32Array, size: number): Float32Array {
  const out = new Float32Array(points.length);
  for (let i = 0; i < points.length; i += 3) {
    out[i] = points[i]! / size - 0.5;
    out[i + 1] = 0.5 - points[i + 1]! / size;
    out[i + 2] = -points[i + 2]! / size;
  }
  return out;
}

/**
 * The fit's depth origin is the model origin (an orthographic camera cannot see depth offsets), the sample's is
 * the head's depth centre. Inference predicts the surface relative to the fit, so the prior is moved in depth to
 * the ground truth's: the mean Z offset over corresponding vertices (same topology). Returns the shift applied.
 */
export function alignPriorDepth(prior: Float32Array, groundTruth: Float32Array): number {
  let dz = 0;
  const n = prior.length / 3;
  for (let i = 0; i < n; i++) dz += groundTruth[3 * i + 2]! - prior[3 * i + 2]!;
  dz /= n;
  for (let i = 0; i < n; i++) prior[3 * i + 2] = prior[3 * i + 2]! + dz;
  return dz;
}

/** The production front end as the prior: detect (largest face) -> landmarks -> fit, on the render itself. */
export class ProductionPrior implements FlamePrior {
  readonly name = 'production-fit' as const;
  readonly #detect = new DetectStage({ faces: 'largest' });
  readonly #landmarks = new LandmarksStage();
  #fit: FitStage | undefined;
  /** Why samples were dropped, by SeifError code (for the generator's summary). */
  readonly failures = new Map<string, number>();

  async vertices({ image, size, groundTruthFlame, model }: FlamePriorInput): Promise<Float32Array | undefined> {
    this.#fit ??= new FitStage({ model });
    const rgb: RgbImage = { data: image, width: size, height: size };
    try {
      const detection = await this.#detect.run(rgb);
      const marks = await this.#landmarks.run({ image: rgb, face: detection.face });
      const fit = await this.#fit.run({ landmarks: pixelLandmarksToFrame(marks.points, size) });
      const vertices = Float32Array.from(fit.frameVertices);
      alignPriorDepth(vertices, groundTruthFlame);
      return vertices;
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'UNKNOWN';
      this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
      return undefined;
    }
  }
}
