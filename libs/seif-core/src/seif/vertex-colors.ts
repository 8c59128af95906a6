/**
 * Colours for geometry the FLAME texture does not cover (hair, buns, beards, collars): each vertex the camera sees
 * takes the photo's colour where it projects; the rest (the back of the head, under the hair) take the colour of
 * the nearest seen vertex, which continues the visible hair around the head rather than inventing a colour.
 */
import type { Affine2D, RgbImage } from '../image/image.js';
import { seifFrameCamera } from '../render/camera.js';
import { Rasterizer, createBuffers } from '../render/rasterizer.js';
import { KdTree3 } from '../uniform/kd-tree.js';

export interface ProjectedColorsRequest {
  /** Vertices to colour, SeIF frame (n x 3). */
  positions: Float32Array;
  /** Everything that can hide them from the camera (the full reconstructed surface), SeIF frame. */
  occluder: { positions: Float32Array; indices: Uint32Array };
  photo: RgbImage;
  /** SeIF frame (X, Y) -> photo pixels (SeifFrameTransform.frameToImage). */
  frameToImage: Affine2D;
  /** Depth-test resolution (default 512) and tolerance in frame units (default 0.004, ~1 mm). */
  size?: number;
  tolerance?: number;
}

/** RGB bytes per vertex, and how many vertices were seen in the photo. */
export function projectedVertexColors(request: ProjectedColorsRequest): { colors: Uint8Array; seen: number } {
  const { positions, occluder, photo, frameToImage: m } = request;
  const size = request.size ?? 512;
  const tolerance = request.tolerance ?? 0.004;
  const n = positions.length / 3;
  const buf = new Rasterizer().render(occluder, seifFrameCamera(size), {}, createBuffers(size, size, {}));
  const colors = new Uint8Array(3 * n);
  const seen = new Uint32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const X = positions[3 * i]!, Y = positions[3 * i + 1]!, Z = positions[3 * i + 2]!;
    const px = Math.floor((X + 0.5) * size), py = Math.floor((0.5 - Y) * size);
    if (px < 0 || py < 0 || px >= size || py >= size) continue;
    // The frame camera sits at Z = 10: its depth is 10 - Z of the nearest surface.
    const front = 10 - buf.depth[py * size + px]!;
    if (Z < front - tolerance) continue;
    const x = Math.round(m[0] * X + m[1] * Y + m[2]), y = Math.round(m[3] * X + m[4] * Y + m[5]);
    if (x < 0 || y < 0 || x >= photo.width || y >= photo.height) continue;
    const o = 3 * (y * photo.width + x);
    colors[3 * i] = photo.data[o]!; colors[3 * i + 1] = photo.data[o + 1]!; colors[3 * i + 2] = photo.data[o + 2]!;
    seen[count++] = i;
  }
  if (count === 0) return { colors: colors.fill(90), seen: 0 };
  if (count < n) {
    const tree = new KdTree3(positions, seen.subarray(0, count));
    const index = new Int32Array(1), distSq = new Float64Array(1);
    const isSeen = new Uint8Array(n);
    for (let k = 0; k < count; k++) isSeen[seen[k]!] = 1;
    for (let i = 0; i < n; i++) {
      if (isSeen[i]) continue;
      if (tree.nearest(positions[3 * i]!, positions[3 * i + 1]!, positions[3 * i + 2]!, 1, Infinity, index, distSq) === 0) continue;
      const j = index[0]!;
      colors[3 * i] = colors[3 * j]!; colors[3 * i + 1] = colors[3 * j + 1]!; colors[3 * i + 2] = colors[3 * j + 2]!;
    }
  }
  return { colors, seen: count };
}
