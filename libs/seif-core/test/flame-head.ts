/**
 * A default-model head with KNOWN parameters rendered like a photo (the recipe in ../shared/eval/README.md:
 * orthographic 512^2, whole head at ~85 % of the height, two-sided smooth Lambert, ambient 0.35 + 0.70 diffuse from
 * (0.15, 0.45, 1), skin albedo (0.80, 0.62, 0.52), grey background) with painted lips, brows and eyes so the
 * MediaPipe networks see a face.
 */
import { type FlameParams, type HeadModel, evaluate, findShape } from '@seif/flame';
import sharp from 'sharp';
import { orthographicCamera } from '../src/render/camera.js';
import { Rasterizer, type Texture } from '../src/render/rasterizer.js';

export interface KnownHead {
  params: FlameParams;
  /** Posed vertices in model space (metres). */
  vertices: Float32Array;
  /** PNG bytes of the render. */
  png: Buffer;
  rgb: Uint8Array;
  size: number;
}

/** The known parameters: a non-mean identity, a smile, raised inner brows, the jaw open, yaw 0.25 rad, pitch 0.08. */
export function knownParams(model: HeadModel): FlameParams {
  const identity = new Float64Array(model.identity.names.length);
  // Deterministic, clearly non-zero identity: +-1.5 sigma on the first components, decaying.
  for (let i = 0; i < identity.length; i++) identity[i] = 2 * Math.sin(1.7 * i + 0.5) * Math.exp(-i / 12);
  const expression = new Float64Array(model.expression.names.length);
  expression[findShape(model.expression.names, 'mouthSmileLeft')] = 0.6;
  expression[findShape(model.expression.names, 'mouthSmileRight')] = 0.6;
  expression[findShape(model.expression.names, 'browInnerUp')] = 0.5;
  expression[findShape(model.expression.names, 'jawOpen')] = 0.3;
  const pose = new Float64Array(15);
  pose[0] = 0.08; // pitch
  pose[1] = 0.25; // yaw
  pose[6] = 0.15; // jaw
  return { identity, expression, pose };
}

/** Vertex colours (linear): skin, red lips, dark iris, white sclera. */
export function paintedColors(model: HeadModel, vertices: Float32Array): Float32Array {
  const n = model.vertexCount;
  const colors = new Float32Array(3 * n);
  for (let v = 0; v < n; v++) colors.set([0.8, 0.62, 0.52], 3 * v);
  for (const v of model.masks.lips ?? []) colors.set([0.55, 0.22, 0.2], 3 * v);
  for (const range of model.eyeballs ? [model.eyeballs.left, model.eyeballs.right] : []) {
    let cx = 0, cy = 0, cz = 0;
    for (let v = range[0]; v < range[1]; v++) { cx += vertices[3 * v]!; cy += vertices[3 * v + 1]!; cz += vertices[3 * v + 2]!; }
    const count = range[1] - range[0];
    cx /= count; cy /= count; cz /= count;
    for (let v = range[0]; v < range[1]; v++) {
      const dx = vertices[3 * v]! - cx, dy = vertices[3 * v + 1]! - cy, dz = vertices[3 * v + 2]! - cz;
      const front = dz / (Math.hypot(dx, dy, dz) || 1);
      colors.set(front > 0.93 ? [0.03, 0.02, 0.02] : front > 0.8 ? [0.15, 0.09, 0.05] : [0.85, 0.82, 0.8], 3 * v);
    }
  }
  return colors;
}

const rasterizer = new Rasterizer();

/** Orthographic camera that frames model-space vertices (head + neck) at `fill` of the height. */
export function framingCamera(vertices: Float32Array, size: number, fill = 0.85) {
  let minY = Infinity, maxY = -Infinity, minX = Infinity, maxX = -Infinity;
  for (let i = 0; i < vertices.length; i += 3) {
    minX = Math.min(minX, vertices[i]!); maxX = Math.max(maxX, vertices[i]!);
    minY = Math.min(minY, vertices[i + 1]!); maxY = Math.max(maxY, vertices[i + 1]!);
  }
  const scale = (fill * size) / (maxY - minY);
  return orthographicCamera({
    width: size, height: size, scaleX: scale,
    cx: size / 2 - scale * (minX + maxX) / 2, cy: size / 2 + scale * (minY + maxY) / 2,
    translation: [0, 0, -10],
  });
}

export async function renderKnownHead(model: HeadModel, params: FlameParams = knownParams(model), options: { size?: number; texture?: Texture; unlit?: boolean } = {}): Promise<KnownHead> {
  const size = options.size ?? 512;
  const vertices = evaluate(model, params, new Float32Array(3 * model.vertexCount));
  const camera = framingCamera(vertices, size);
  const mesh = {
    positions: vertices,
    indices: model.faces,
    ...(options.texture && model.uv ? { uvs: model.uv.coords, uvIndices: model.uv.faces } : { colors: paintedColors(model, vertices) }),
  };
  const out = rasterizer.render(mesh, camera, {
    twoSided: true,
    ambient: options.unlit ? 1 : 0.35,
    lights: options.unlit ? [] : [{ direction: [0.15, 0.45, 1], intensity: 0.7 }],
    specular: 0,
    background: [0.5, 0.5, 0.5],
    ...(options.texture ? { texture: options.texture } : {}),
  });
  const rgb = out.color!;
  const png = await sharp(Buffer.from(rgb), { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
  return { params, vertices, png, rgb, size };
}

/** Mean distance (same units as the inputs) between corresponding points of `a` and `b` after aligning a onto b. */
export function alignedError(a: Float32Array, b: Float32Array, subset: ArrayLike<number>, align: (a: Float32Array, b: Float32Array) => { scale: number; rotation: Float64Array; translation: Float64Array }): number {
  const pa = new Float32Array(3 * subset.length);
  const pb = new Float32Array(3 * subset.length);
  for (let i = 0; i < subset.length; i++) {
    const v = subset[i]!;
    for (let k = 0; k < 3; k++) { pa[3 * i + k] = a[3 * v + k]!; pb[3 * i + k] = b[3 * v + k]!; }
  }
  const { scale, rotation: r, translation: t } = align(pa, pb);
  let sum = 0;
  for (let i = 0; i < subset.length; i++) {
    const x = pa[3 * i]!, y = pa[3 * i + 1]!, z = pa[3 * i + 2]!;
    const qx = scale * (r[0]! * x + r[1]! * y + r[2]! * z) + t[0]!;
    const qy = scale * (r[3]! * x + r[4]! * y + r[5]! * z) + t[1]!;
    const qz = scale * (r[6]! * x + r[7]! * y + r[8]! * z) + t[2]!;
    sum += Math.hypot(qx - pb[3 * i]!, qy - pb[3 * i + 1]!, qz - pb[3 * i + 2]!);
  }
  return sum / subset.length;
}
