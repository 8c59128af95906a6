/**
 * Colours for geometry the FLAME texture does not cover (hair, buns, beards, collars): each vertex the camera sees
 * takes the photo's colour where it projects; the rest (the back of the head, under the hair) take the colour of
 * the nearest seen vertex, which continues the visible hair around the head rather than inventing a colour, faded
 * into the median seen colour with distance.
 *
 * Seen means: in front in a depth test against the whole surface, and, when the mesh's triangles and the person
 * mask are given, facing the camera (a grazing vertex sits on the silhouette, where a pixel mixes hair and
 * background) and on the person in the photo. Without those two rules the silhouette's background pixels were
 * seen, and the nearest-seen fill spread them over the back of the head as large patches of wall and sky colour.
 * The fade does the rest: far from every seen vertex the nearest one is an arbitrary choice, the median is not.
 */
import type { Affine2D, RgbImage } from '../image/image.js';
import { seifFrameCamera } from '../render/camera.js';
import { computeVertexNormals } from '../render/mesh.js';
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
  /** The mesh's triangles (n-vertex indices): enables the facing rule (vertex normal Z >= minFacing). */
  indices?: Uint32Array;
  /** Person probability 0..255 at photo resolution (SegmentResult.person): enables the on-person rule. */
  person?: Uint8Array;
  /** Depth-test resolution (default 512) and tolerance in frame units (default 0.004, ~1 mm). */
  size?: number;
  tolerance?: number;
  /** Smallest normal Z (towards the camera) of a seen vertex (default 0.3: within ~73 degrees of the view). */
  minFacing?: number;
  /** Frame units over which unseen colours fade from the nearest seen one to the median (default 0.06, ~16 mm). */
  fadeDistance?: number;
}

/** Per-channel median of the colours of `which` (indices into colors), by histogram. */
function medianColor(colors: Uint8Array, which: Uint32Array, count: number): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0];
  const histogram = new Uint32Array(256);
  for (let c = 0; c < 3; c++) {
    histogram.fill(0);
    for (let k = 0; k < count; k++) histogram[colors[3 * which[k]! + c]!]!++;
    let acc = 0, value = 0;
    while (value < 255 && acc + histogram[value]! <= count / 2) acc += histogram[value++]!;
    out[c] = value;
  }
  return out;
}

/**
 * The photo pixel (y * width + x) each vertex shows in, or -1 when the photo does not see it (the rules above:
 * hidden by the occluder, turned away, off the photo, off the person). Shared by the colouring and by the test of
 * what the photo shows as hair (hair-in-photo.ts).
 */
export function seenPhotoPixels(request: Omit<ProjectedColorsRequest, 'fadeDistance'>): Int32Array {
  const { positions, occluder, photo, frameToImage: m, person } = request;
  const size = request.size ?? 512;
  const tolerance = request.tolerance ?? 0.004;
  const minFacing = request.minFacing ?? 0.3;
  const n = positions.length / 3;
  const normals = request.indices ? computeVertexNormals(positions, request.indices) : undefined;
  const buf = new Rasterizer().render(occluder, seifFrameCamera(size), {}, createBuffers(size, size, {}));
  const pixel = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const X = positions[3 * i]!, Y = positions[3 * i + 1]!, Z = positions[3 * i + 2]!;
    const px = Math.floor((X + 0.5) * size), py = Math.floor((0.5 - Y) * size);
    if (px < 0 || py < 0 || px >= size || py >= size) continue;
    // The frame camera sits at Z = 10: its depth is 10 - Z of the nearest surface.
    const front = 10 - buf.depth[py * size + px]!;
    if (Z < front - tolerance) continue;
    if (normals && normals[3 * i + 2]! < minFacing) continue;
    const x = Math.round(m[0] * X + m[1] * Y + m[2]), y = Math.round(m[3] * X + m[4] * Y + m[5]);
    if (x < 0 || y < 0 || x >= photo.width || y >= photo.height) continue;
    if (person && person[y * photo.width + x]! < 128) continue;
    pixel[i] = y * photo.width + x;
  }
  return pixel;
}

/** RGB bytes per vertex, and how many vertices were seen in the photo. */
export function projectedVertexColors(request: ProjectedColorsRequest): { colors: Uint8Array; seen: number } {
  const { positions, photo } = request;
  const fade = request.fadeDistance ?? 0.06;
  const n = positions.length / 3;
  const pixel = seenPhotoPixels(request);
  const colors = new Uint8Array(3 * n);
  const seen = new Uint32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (pixel[i]! < 0) continue;
    const o = 3 * pixel[i]!;
    colors[3 * i] = photo.data[o]!; colors[3 * i + 1] = photo.data[o + 1]!; colors[3 * i + 2] = photo.data[o + 2]!;
    seen[count++] = i;
  }
  if (count === 0) return { colors: colors.fill(90), seen: 0 };
  if (count < n) {
    const tree = new KdTree3(positions, seen.subarray(0, count));
    const median = medianColor(colors, seen, count);
    const index = new Int32Array(1), distSq = new Float64Array(1);
    const isSeen = new Uint8Array(n);
    for (let k = 0; k < count; k++) isSeen[seen[k]!] = 1;
    // Mesh vertices come in surface order: the previous answer is a seen vertex near this one, and its distance
    // bounds the search from the start (most unseen vertices are the back of the head, far from any seen one,
    // where an unbounded search visits much of the tree). Slack for rounding; unbounded if it finds nothing.
    let j = -1;
    for (let i = 0; i < n; i++) {
      if (isSeen[i]) continue;
      const x = positions[3 * i]!, y = positions[3 * i + 1]!, z = positions[3 * i + 2]!;
      const bound = j < 0 ? Infinity : ((x - positions[3 * j]!) ** 2 + (y - positions[3 * j + 1]!) ** 2 + (z - positions[3 * j + 2]!) ** 2) * (1 + 1e-6) + 1e-12;
      if (tree.nearest(x, y, z, 1, bound, index, distSq) === 0 && tree.nearest(x, y, z, 1, Infinity, index, distSq) === 0) continue;
      j = index[0]!;
      const t = Math.min(1, Math.sqrt(distSq[0]!) / fade);
      for (let c = 0; c < 3; c++) colors[3 * i + c] = Math.round((1 - t) * colors[3 * j + c]! + t * median[c]!);
    }
  }
  return { colors, seen: count };
}
