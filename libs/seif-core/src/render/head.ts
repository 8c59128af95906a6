/**
 * Public API. Renders a head-model mesh for thumbnails and previews: orthographic, framed on the head (eyeballs
 * and neck included), turned by a yaw, textured with the baked texture and lit softly (the texture already holds
 * the photo's shading, so the light only adds shape).
 */
import type { HeadModel } from '@seif/flame';
import type { RgbImage } from '../image/image.js';
import { type Vec3, orthographicCamera, rotationYXZ } from './camera.js';
import { Rasterizer, type Texture } from './rasterizer.js';

export interface HeadRenderOptions {
  size?: number;
  /** Degrees about +y; positive turns the face toward the viewer's left (three-quarter view: 35). */
  yawDegrees?: number;
  pitchDegrees?: number;
  texture?: Texture;
  /** Linear background colour. */
  background?: Vec3;
  /** Fraction of the image height the head fills (default 0.9). */
  fill?: number;
  /**
   * sRGB colour drawn where the view looks through the mesh into its inside: FLAME has no mouth cavity, so an
   * open mouth would show the background through the head. Default a dark mouth red.
   */
  cavity?: [number, number, number];
  /** More meshes drawn with the head (SeIF hair), same space, linear vertex colours; depth-composited. */
  extras?: Array<{ positions: Float32Array; indices: Uint32Array; colors: Float32Array }>;
}

const rasterizer = new Rasterizer();
const extraRasterizer = new Rasterizer();

/** Renders model-space `vertices` (FLAME topology, +z toward the face) of `model`. */
export function renderHead(model: HeadModel, vertices: Float32Array, options: HeadRenderOptions = {}): RgbImage {
  const size = options.size ?? 256;
  const rotation = rotationYXZ(options.yawDegrees ?? 0, options.pitchDegrees ?? 0, 0);
  // Frame on the rotated head's bounds.
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (const points of [vertices, ...(options.extras ?? []).map((e) => e.positions)]) {
    for (let i = 0; i < points.length; i += 3) {
      const x = points[i]!, y = points[i + 1]!, z = points[i + 2]!;
      const rx = rotation[0] * x + rotation[1] * y + rotation[2] * z;
      const ry = rotation[3] * x + rotation[4] * y + rotation[5] * z;
      minX = Math.min(minX, rx); maxX = Math.max(maxX, rx);
      minY = Math.min(minY, ry); maxY = Math.max(maxY, ry);
    }
  }
  const scale = ((options.fill ?? 0.9) * size) / Math.max(maxY - minY, maxX - minX, 1e-6);
  const camera = orthographicCamera({
    width: size,
    height: size,
    scaleX: scale,
    cx: size / 2 - (scale * (minX + maxX)) / 2,
    cy: size / 2 + (scale * (minY + maxY)) / 2,
    rotation,
    translation: [0, 0, -10],
  });
  const texture = options.texture;
  const mesh = {
    positions: vertices,
    indices: model.faces,
    ...(texture && model.uv ? { uvs: model.uv.coords, uvIndices: model.uv.faces } : {}),
  };
  const out = rasterizer.render(mesh, camera, {
    ambient: texture ? 0.72 : 0.3,
    lights: [{ direction: [0.3, 0.5, 1], intensity: texture ? 0.38 : 0.75 }],
    specular: texture ? 0.04 : 0.1,
    albedo: [0.8, 0.62, 0.54],
    background: options.background ?? [0.93, 0.93, 0.93],
    ...(texture ? { texture } : {}),
  });
  // Extras: rendered on their own, kept where they are nearer than the head (a shared depth test).
  for (const extra of options.extras ?? []) {
    const layer = extraRasterizer.render(extra, camera, { ambient: 0.45, lights: [{ direction: [0.3, 0.5, 1], intensity: 0.6 }], specular: 0.03 });
    for (let p = 0; p < size * size; p++) {
      if (layer.triangleId[p]! < 0 || layer.depth[p]! >= out.depth[p]!) continue;
      out.depth[p] = layer.depth[p]!;
      out.triangleId[p] = 0;
      for (let c = 0; c < 3; c++) out.color![3 * p + c] = layer.color![3 * p + c]!;
    }
  }
  // Background pixels enclosed by the head (the open mouth: FLAME has no mouth cavity) get the cavity colour;
  // background reachable from the image border (including past the open bottom of the neck) stays.
  const color = out.color!;
  const ids = out.triangleId;
  const outside = new Uint8Array(size * size);
  const stack = new Int32Array(size * size);
  let top = 0;
  for (let i = 0; i < size; i++) {
    for (const p of [i, (size - 1) * size + i, i * size, i * size + size - 1]) {
      if (ids[p]! < 0 && !outside[p]) { outside[p] = 1; stack[top++] = p; }
    }
  }
  while (top > 0) {
    const p = stack[--top]!;
    const x = p % size, y = (p - x) / size;
    if (x > 0 && ids[p - 1]! < 0 && !outside[p - 1]) { outside[p - 1] = 1; stack[top++] = p - 1; }
    if (x < size - 1 && ids[p + 1]! < 0 && !outside[p + 1]) { outside[p + 1] = 1; stack[top++] = p + 1; }
    if (y > 0 && ids[p - size]! < 0 && !outside[p - size]) { outside[p - size] = 1; stack[top++] = p - size; }
    if (y < size - 1 && ids[p + size]! < 0 && !outside[p + size]) { outside[p + size] = 1; stack[top++] = p + size; }
  }
  const cavity = options.cavity ?? [46, 18, 20];
  for (let p = 0; p < size * size; p++) {
    if (ids[p]! < 0 && !outside[p]) {
      color[3 * p] = cavity[0];
      color[3 * p + 1] = cavity[1];
      color[3 * p + 2] = cavity[2];
    }
  }
  return { data: color, width: size, height: size };
}

