/**
 * The FLAME prior maps the SeIF encoder reads beside the photo: the fitted FLAME mesh rendered in the SeIF frame
 * (orthographic, camera space = frame) as normals and depth. One function for the training-data generator and for
 * inference, so the network sees byte-identical encodings in both (models/training/dataset.py decodes them):
 * - normals: (n * 0.5 + 0.5) * 255 per channel, 128 off the mesh;
 * - depth: frame Z of the visible surface, 0 off the mesh.
 */
import { seifFrameCamera } from './camera.js';
import { Rasterizer, createBuffers } from './rasterizer.js';

export interface PriorMaps {
  size: number;
  /** size * size * 3 bytes. */
  normal: Uint8Array;
  /** size * size frame Z. */
  depth: Float32Array;
}

const shared = new Rasterizer();

export function renderPriorMaps(positions: Float32Array, indices: Uint32Array, size: number, rasterizer: Rasterizer = shared): PriorMaps {
  const buf = rasterizer.render({ positions, indices }, seifFrameCamera(size), { buffers: { normal: true } }, createBuffers(size, size, { normal: true }));
  const normal = new Uint8Array(3 * size * size).fill(128);
  const depth = new Float32Array(size * size);
  for (let p = 0; p < size * size; p++) {
    if (buf.triangleId[p]! < 0) continue;
    // The frame camera sits at Z = 10 looking down -Z; its depth buffer holds the distance from it.
    depth[p] = 10 - buf.depth[p]!;
    for (let c = 0; c < 3; c++) normal[3 * p + c] = Math.max(0, Math.min(255, Math.round((buf.normal![3 * p + c]! * 0.5 + 0.5) * 255)));
  }
  return { size, normal, depth };
}
