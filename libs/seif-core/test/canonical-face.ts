/**
 * Synthetic faces with known landmarks: MediaPipe's canonical face mesh (vertex i IS landmark i) rendered with
 * the rasterizer, with painted brows, eyes and lips so the networks see a face-like image.
 */
import { readFile } from 'node:fs/promises';
import { assetPath } from '@seif/models';
import { type PinholeCamera, lookAt, pinholeCamera, projectPoints, rotationYXZ } from '../src/render/camera.js';
import { parseObj } from '../src/render/obj.js';
import { Rasterizer } from '../src/render/rasterizer.js';
import type { RgbImage } from '../src/image/image.js';

// MediaPipe face_mesh_connections: eyebrows, eye contours, lips (outer and inner).
const BROWS = [46, 53, 52, 65, 55, 70, 63, 105, 66, 107, 276, 283, 282, 295, 285, 300, 293, 334, 296, 336];
const EYES = [33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173, 263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398];
const LIPS = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 185, 40, 39, 37, 0, 267, 269, 270, 409, 78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 191, 80, 81, 82, 13, 312, 311, 310, 415];

export interface SyntheticFace {
  image: RgbImage;
  /** Projected canonical vertices: 468 x (u, v, depth), image pixels. */
  truth: Float32Array;
  camera: PinholeCamera;
}

let meshPromise: Promise<ReturnType<typeof parseObj>> | undefined;
const rasterizer = new Rasterizer();

/** Renders the canonical face (centimetres) turned by yaw/pitch/roll degrees, 60 cm from a 24-degree camera. */
export async function renderCanonicalFace(yaw: number, pitch: number, roll: number, size = 512): Promise<SyntheticFace> {
  meshPromise ??= assetPath('mediapipe-canonical-face-model').then(async (file) => parseObj(await readFile(file, 'utf8')));
  const mesh = await meshPromise;
  const colors = new Float32Array(mesh.vertexCount * 3);
  for (let i = 0; i < mesh.vertexCount; i++) colors.set([0.75, 0.5, 0.4], 3 * i);
  for (const i of BROWS) colors.set([0.12, 0.07, 0.04], 3 * i);
  for (const i of EYES) colors.set([0.05, 0.04, 0.04], 3 * i);
  for (const i of LIPS) colors.set([0.55, 0.2, 0.2], 3 * i);
  const r = rotationYXZ(yaw, pitch, roll);
  const positions = new Float32Array(mesh.positions.length);
  for (let i = 0; i < mesh.vertexCount; i++) {
    const x = mesh.positions[3 * i]!;
    const y = mesh.positions[3 * i + 1]!;
    const z = mesh.positions[3 * i + 2]!;
    positions[3 * i] = r[0] * x + r[1] * y + r[2] * z;
    positions[3 * i + 1] = r[3] * x + r[4] * y + r[5] * z;
    positions[3 * i + 2] = r[6] * x + r[7] * y + r[8] * z;
  }
  const camera = pinholeCamera({ width: size, height: size, fovYDegrees: 24, ...lookAt([0, 0, 60], [0, 0, 0]) });
  const out = rasterizer.render({ positions, indices: mesh.indices, colors }, camera, { background: [0.2, 0.2, 0.2], twoSided: true });
  const truth = new Float32Array(mesh.vertexCount * 3);
  projectPoints(camera, positions, truth);
  return { image: { data: out.color!, width: size, height: size }, truth, camera };
}
