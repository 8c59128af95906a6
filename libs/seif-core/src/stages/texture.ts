/**
 * Public API. texture: bakes a complete UV texture for the fitted head from the photo.
 *
 * 1. UV layout (cached per model and size): the head model's UV triangles (vt + uv faces) rasterized into the
 *    texture with the CPU rasterizer, giving per texel its triangle and barycentrics.
 * 2. Projection: each texel's point on the fitted mesh (SeIF frame) is depth-tested against a render of the mesh
 *    (visibility buffer) and sampled from the photo (bilinear, through the frame -> photo transform). Weight:
 *    a ramp on the view angle (the normal's component toward the camera), 0 at grazing, 1 from ~50 degrees on,
 *    times the person mask when one is given (no background at the silhouette).
 * 3. Mirror: where the photo does not see a point but sees its mirror image across the face's symmetry plane
 *    (the head model's x = 0 plane, vertex symmetry map from the template), the mirror side's colour is used.
 * 4. What neither sees (back of the head, under the chin, inside the ears and mouth) comes from a screened
 *    harmonic fill on the mesh's vertex graph: seen vertices fixed, the rest the Laplacian's steady state pulled
 *    weakly toward a skin-tone model (trimmed mean of the seen cheek/forehead colours). On vertices, not texels,
 *    so the fill is continuous across UV seams by construction.
 * 5. Eyeballs get a procedural eye (sclera, iris in the iris colour measured at the iris landmarks, pupil).
 * 6. Gutter: texels outside the UV islands get the islands' colours by pull-push, so mipmaps and bilinear
 *    filtering at island borders never pull in black.
 *
 * Output texture: RGB, row 0 at the top; v up (OBJ convention), so texel (i, j) covers u = (i + 0.5) / size,
 * v = 1 - (j + 0.5) / size.
 */
import type { HeadModel } from '@seif/flame';
import { type RgbImage, applyAffine } from '../image/image.js';
import { SeifError } from '../pipeline/errors.js';
import { type Stage, type StageContext, reportProgress } from '../pipeline/stage.js';
import { orthographicCamera, seifFrameCamera } from '../render/camera.js';
import { computeVertexNormals } from '../render/mesh.js';
import { Rasterizer, createBuffers } from '../render/rasterizer.js';
import type { FitOutput } from './fit.js';
import type { SeifFrameTransform } from './normalise.js';

export interface TextureOptions {
  /** Texture side in texels (default 1024). */
  size?: number;
  /** Side of the visibility render of the SeIF frame (default 512). */
  visibilitySize?: number;
}

export interface TextureInput {
  /** The photo (full resolution, sRGB). */
  image: RgbImage;
  /** SeIF frame <-> photo transform (NormalisedFace.transform). */
  transform: SeifFrameTransform;
  fit: FitOutput;
  /** 478 x 3 landmarks in the SeIF frame (for the iris colour); optional. */
  landmarks?: Float32Array;
  /** Person probability 0..255 at photo resolution (SegmentResult.person); optional. */
  personMask?: Uint8Array;
}

export interface TextureResult {
  /** size x size RGB, row 0 at the top, v up. */
  texture: RgbImage;
  /** Per texel: 0 outside the UV islands, 1 inside (islands = where the mesh maps). */
  islands: Uint8Array;
  /** Per texel weight of the photo (0..255) inside the islands. */
  photoWeight: Uint8Array;
  /** Fractions of the island texels that came from the photo, its mirror image and the fill. */
  coverage: { photo: number; mirror: number; fill: number };
  /** Skin tone (sRGB bytes) the fill was pulled toward. */
  skinTone: [number, number, number];
  /** Iris colour (sRGB bytes) used for the eyes. */
  irisColor: [number, number, number];
  /**
   * Colour of the open mouth in the photo (median inside the inner lip contour: teeth in a smile, dark in a
   * scream), for renderers to fill the mouth opening FLAME has no geometry for; dark red when the mouth is shut.
   */
  mouthColor: [number, number, number];
}

/** MediaPipe inner lip contour (face_mesh_connections FACEMESH_LIPS, inner ring), in order around the mouth. */
export const INNER_LIP = Object.freeze([78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95]);
const DEFAULT_MOUTH: [number, number, number] = [46, 18, 20];

/**
 * visibilitySize 512: the depth test only needs to tell which surface is in front (the colour comes from the
 * full-resolution photo); 512 matches the SeIF crop and halves the render's cost against 1024.
 */
export const TEXTURE_DEFAULTS = Object.freeze({ size: 1024, visibilitySize: 512 });

/** View-angle ramp: weight 0 below this cosine (grazing: stretched, mixed with background) ... */
const VIEW_COS_MIN = 0.2;
/** ... and 1 above this one (~50 degrees). */
const VIEW_COS_FULL = 0.65;
/** Depth tolerance of the visibility test, SeIF frame units (0.006 ~ 1.7 mm on an adult head). */
const DEPTH_TOLERANCE = 0.006;

interface UvLayout {
  size: number;
  /** Triangle per texel, -1 outside the islands. */
  triangle: Int32Array;
  /** Barycentrics (b1, b2) per texel. */
  bary: Float32Array;
}

const layoutCache = new WeakMap<HeadModel, Map<number, UvLayout>>();

/** Rasterizes the model's UV triangles into a size x size grid (cached per model and size). */
export function uvLayout(model: HeadModel, size: number): UvLayout {
  let perModel = layoutCache.get(model);
  if (!perModel) layoutCache.set(model, (perModel = new Map()));
  const cached = perModel.get(size);
  if (cached) return cached;
  const uv = model.uv;
  if (!uv) throw new SeifError('MODEL_UNAVAILABLE', `texture: head model ${model.name} has no UVs.`);
  const faceCount = model.faces.length / 3;
  // One unwelded vertex per corner at (u, v, 0): an orthographic camera maps u -> column u * size, v -> row
  // (1 - v) * size, so the texture's row 0 is v = 1 (top), the OBJ/PNG convention the exporters use.
  const positions = new Float32Array(9 * faceCount);
  const indices = new Uint32Array(3 * faceCount);
  for (let c = 0; c < 3 * faceCount; c++) {
    const t = uv.faces[c]!;
    positions[3 * c] = uv.coords[2 * t]!;
    positions[3 * c + 1] = uv.coords[2 * t + 1]!;
    indices[c] = c;
  }
  const camera = orthographicCamera({ width: size, height: size, scaleX: size, cx: 0, cy: size, translation: [0, 0, -1] });
  const out = new Rasterizer().render({ positions, indices }, camera, { twoSided: true, buffers: {} }, createBuffers(size, size, {}));
  const layout = { size, triangle: out.triangleId, bary: out.barycentric };
  perModel.set(size, layout);
  return layout;
}

const mirrorCache = new WeakMap<HeadModel, Uint32Array>();

/** For each vertex, the template vertex nearest to its mirror image across x = 0 (cached per model). */
export function mirrorMap(model: HeadModel): Uint32Array {
  const cached = mirrorCache.get(model);
  if (cached) return cached;
  const n = model.vertexCount;
  const t = model.template;
  // Uniform grid over the template for the nearest-neighbour search.
  let minX = Infinity, minY = Infinity, minZ = Infinity, maxX = -Infinity, maxY = -Infinity, maxZ = -Infinity;
  for (let v = 0; v < n; v++) {
    minX = Math.min(minX, t[3 * v]!); maxX = Math.max(maxX, t[3 * v]!);
    minY = Math.min(minY, t[3 * v + 1]!); maxY = Math.max(maxY, t[3 * v + 1]!);
    minZ = Math.min(minZ, t[3 * v + 2]!); maxZ = Math.max(maxZ, t[3 * v + 2]!);
  }
  const cell = Math.max(maxX - minX, maxY - minY, maxZ - minZ) / 32;
  const key = (i: number, j: number, k: number) => (i * 64 + j) * 64 + k;
  const grid = new Map<number, number[]>();
  const cellOf = (x: number, lo: number) => Math.floor((x - lo) / cell);
  for (let v = 0; v < n; v++) {
    const k = key(cellOf(t[3 * v]!, minX), cellOf(t[3 * v + 1]!, minY), cellOf(t[3 * v + 2]!, minZ));
    let list = grid.get(k);
    if (!list) grid.set(k, (list = []));
    list.push(v);
  }
  const out = new Uint32Array(n);
  for (let v = 0; v < n; v++) {
    const x = -t[3 * v]!, y = t[3 * v + 1]!, z = t[3 * v + 2]!;
    const ci = cellOf(x, minX), cj = cellOf(y, minY), ck = cellOf(z, minZ);
    let best = v;
    let bestD = Infinity;
    for (let r = 1; r <= 32 && bestD === Infinity; r++) {
      for (let i = ci - r; i <= ci + r; i++) for (let j = cj - r; j <= cj + r; j++) for (let k = ck - r; k <= ck + r; k++) {
        const list = grid.get(key(i, j, k));
        if (!list) continue;
        for (const w of list) {
          const d = (t[3 * w]! - x) ** 2 + (t[3 * w + 1]! - y) ** 2 + (t[3 * w + 2]! - z) ** 2;
          if (d < bestD) { bestD = d; best = w; }
        }
      }
    }
    out[v] = best;
  }
  mirrorCache.set(model, out);
  return out;
}

const trustCache = new WeakMap<HeadModel, Float32Array>();
const neighbourCache = new WeakMap<HeadModel, { offsets: Uint32Array; list: Uint32Array }>();

/** Vertex adjacency (CSR) from the faces, cached per model. */
function vertexNeighbours(model: HeadModel): { offsets: Uint32Array; list: Uint32Array } {
  const cached = neighbourCache.get(model);
  if (cached) return cached;
  const n = model.vertexCount;
  const sets: Set<number>[] = Array.from({ length: n }, () => new Set());
  const f = model.faces;
  for (let i = 0; i < f.length; i += 3) {
    const a = f[i]!, b = f[i + 1]!, c = f[i + 2]!;
    sets[a]!.add(b).add(c); sets[b]!.add(a).add(c); sets[c]!.add(a).add(b);
  }
  const offsets = new Uint32Array(n + 1);
  for (let v = 0; v < n; v++) offsets[v + 1] = offsets[v]! + sets[v]!.size;
  const list = new Uint32Array(offsets[n]!);
  for (let v = 0; v < n; v++) list.set([...sets[v]!], offsets[v]!);
  const result = { offsets, list };
  neighbourCache.set(model, result);
  return result;
}

/** Bilinear sample of an sRGB image at pixel coordinates (pixel centres at +0.5); writes out[0..2]. */
function samplePhoto(image: RgbImage, x: number, y: number, out: Float32Array): void {
  const w = image.width, h = image.height, d = image.data;
  const fx = Math.min(w - 1, Math.max(0, x - 0.5));
  const fy = Math.min(h - 1, Math.max(0, y - 0.5));
  const x0 = Math.floor(fx), y0 = Math.floor(fy);
  const x1 = Math.min(x0 + 1, w - 1), y1 = Math.min(y0 + 1, h - 1);
  const ax = fx - x0, ay = fy - y0;
  const q00 = 3 * (y0 * w + x0), q10 = 3 * (y0 * w + x1), q01 = 3 * (y1 * w + x0), q11 = 3 * (y1 * w + x1);
  for (let c = 0; c < 3; c++) {
    out[c] = (1 - ay) * ((1 - ax) * d[q00 + c]! + ax * d[q10 + c]!) + ay * ((1 - ax) * d[q01 + c]! + ax * d[q11 + c]!);
  }
}

/** Median (by luma) photo colour inside the inner lip contour; DEFAULT_MOUTH when the mouth is (nearly) shut. */
export function mouthColorOf(image: RgbImage, transform: SeifFrameTransform, landmarks: Float32Array | undefined): [number, number, number] {
  if (!landmarks || landmarks.length < 478 * 3) return DEFAULT_MOUTH;
  const m = transform.frameToImage;
  const poly = INNER_LIP.map((l) => [m[0] * landmarks[3 * l]! + m[1] * landmarks[3 * l + 1]! + m[2], m[3] * landmarks[3 * l]! + m[4] * landmarks[3 * l + 1]! + m[5]] as const);
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (const [x, y] of poly) { minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y); }
  const samples: [number, number, number, number][] = [];
  for (let y = Math.max(0, Math.floor(minY)); y <= Math.min(image.height - 1, Math.ceil(maxY)); y++) {
    for (let x = Math.max(0, Math.floor(minX)); x <= Math.min(image.width - 1, Math.ceil(maxX)); x++) {
      // Even-odd rule at the pixel centre.
      let inside = false;
      for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
        const [xi, yi] = poly[i]!, [xj, yj] = poly[j]!;
        if (yi > y + 0.5 !== yj > y + 0.5 && x + 0.5 < ((xj - xi) * (y + 0.5 - yi)) / (yj - yi) + xi) inside = !inside;
      }
      if (!inside) continue;
      const q = 3 * (y * image.width + x);
      const r = image.data[q]!, g = image.data[q + 1]!, b = image.data[q + 2]!;
      samples.push([0.299 * r + 0.587 * g + 0.114 * b, r, g, b]);
    }
  }
  // Fewer pixels than ~1 % of the mouth's bounding box squared: shut (or nearly) — keep the dark default.
  const span = Math.max(maxX - minX, 1);
  if (samples.length < Math.max(12, 0.04 * span * span)) return DEFAULT_MOUTH;
  samples.sort((a, b) => a[0] - b[0]);
  const median = samples[Math.floor(samples.length / 2)]!;
  return [Math.round(median[1]), Math.round(median[2]), Math.round(median[3])];
}

const ramp = (x: number, lo: number, hi: number) => (x <= lo ? 0 : x >= hi ? 1 : (x - lo) / (hi - lo));

/**
 * Pull-push fill (Gortler et al. 1996): texels with weight 0 get the weighted average of the coarser levels, so
 * holes are filled smoothly from their borders (an approximation of harmonic inpainting at O(n) cost).
 * `color` is width*height*3 floats, `weight` width*height in [0, 1]; both updated in place (weights become 1).
 */
export function pullPush(color: Float32Array, weight: Float32Array, width: number, height: number): void {
  if (width <= 1 && height <= 1) {
    if (weight[0]! > 0) weight[0] = 1;
    return;
  }
  const w2 = Math.max(1, Math.ceil(width / 2)), h2 = Math.max(1, Math.ceil(height / 2));
  const c2 = new Float32Array(3 * w2 * h2);
  const q2 = new Float32Array(w2 * h2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const wt = weight[p]!;
      if (wt <= 0) continue;
      const q = (y >> 1) * w2 + (x >> 1);
      q2[q] = q2[q]! + wt;
      c2[3 * q] = c2[3 * q]! + wt * color[3 * p]!;
      c2[3 * q + 1] = c2[3 * q + 1]! + wt * color[3 * p + 1]!;
      c2[3 * q + 2] = c2[3 * q + 2]! + wt * color[3 * p + 2]!;
    }
  }
  for (let q = 0; q < w2 * h2; q++) {
    const wt = q2[q]!;
    if (wt > 0) {
      c2[3 * q] = c2[3 * q]! / wt; c2[3 * q + 1] = c2[3 * q + 1]! / wt; c2[3 * q + 2] = c2[3 * q + 2]! / wt;
      q2[q] = Math.min(1, wt);
    }
  }
  pullPush(c2, q2, w2, h2);
  // Push: blend the coarse level (bilinear) into texels by their missing weight.
  for (let y = 0; y < height; y++) {
    const sy = Math.min(h2 - 1, Math.max(0, (y + 0.5) / 2 - 0.5));
    const y0 = Math.floor(sy), y1 = Math.min(y0 + 1, h2 - 1), ay = sy - y0;
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const wt = weight[p]!;
      if (wt >= 1) continue;
      const sx = Math.min(w2 - 1, Math.max(0, (x + 0.5) / 2 - 0.5));
      const x0 = Math.floor(sx), x1 = Math.min(x0 + 1, w2 - 1), ax = sx - x0;
      const a = y0 * w2 + x0, b = y0 * w2 + x1, c = y1 * w2 + x0, d = y1 * w2 + x1;
      for (let k = 0; k < 3; k++) {
        const coarse = (1 - ay) * ((1 - ax) * c2[3 * a + k]! + ax * c2[3 * b + k]!) + ay * ((1 - ax) * c2[3 * c + k]! + ax * c2[3 * d + k]!);
        color[3 * p + k] = wt * color[3 * p + k]! + (1 - wt) * coarse;
      }
      weight[p] = 1;
    }
  }
}

/**
 * Screened harmonic fill on the vertex graph: minimises sum over edges |c_i - c_j|^2 + lambda sum |c_i - prior_i|^2
 * over the free vertices with the known ones fixed; Gauss-Seidel, warm-started from the priors.
 */
function harmonicFill(model: HeadModel, color: Float32Array, known: Uint8Array, priors: Float32Array, lambda: number, sweeps: number): void {
  const { offsets, list } = vertexNeighbours(model);
  const n = model.vertexCount;
  for (let v = 0; v < n; v++) if (!known[v]) color.set(priors.subarray(3 * v, 3 * v + 3), 3 * v);
  for (let s = 0; s < sweeps; s++) {
    for (let v = 0; v < n; v++) {
      if (known[v]) continue;
      const start = offsets[v]!, end = offsets[v + 1]!;
      let r = lambda * priors[3 * v]!, g = lambda * priors[3 * v + 1]!, b = lambda * priors[3 * v + 2]!;
      for (let k = start; k < end; k++) {
        const u = list[k]!;
        r += color[3 * u]!; g += color[3 * u + 1]!; b += color[3 * u + 2]!;
      }
      const norm = 1 / (end - start + lambda);
      color[3 * v] = r * norm; color[3 * v + 1] = g * norm; color[3 * v + 2] = b * norm;
    }
  }
}

export class TextureStage implements Stage<TextureInput, TextureResult> {
  readonly name = 'texture';
  readonly options: Required<TextureOptions>;
  readonly #rasterizer = new Rasterizer();
  /** Depth / triangle-id buffers of the visibility render, reused across runs. */
  #visibility: ReturnType<typeof createBuffers> | undefined;
  /** Float colour and weight planes of the texture, reused across runs (16 MB at 1024^2). */
  #scratch: { color: Float32Array; weight: Float32Array } | undefined;

  constructor(options: TextureOptions = {}) {
    this.options = { ...TEXTURE_DEFAULTS, ...options };
    for (const key of ['size', 'visibilitySize'] as const) {
      const value = this.options[key];
      if (!Number.isInteger(value) || value < 16 || value > 8192) throw new SeifError('INVALID_ARGUMENT', `texture: ${key} must be an integer in [16, 8192], got ${value}.`);
    }
  }

  async run(input: TextureInput, context?: StageContext): Promise<TextureResult> {
    const { image, transform, fit, personMask } = input;
    const model = fit.model;
    const size = this.options.size;
    const layout = uvLayout(model, size);
    const mirror = mirrorMap(model);
    reportProgress(context, { stage: this.name, fraction: 0.1, message: 'visibility' });

    // Visibility render of the fitted mesh in the SeIF frame.
    const vs = this.options.visibilitySize;
    const frame = fit.frameVertices;
    if (this.#visibility?.width !== vs) this.#visibility = createBuffers(vs, vs, {});
    const vis = this.#rasterizer.render({ positions: frame, indices: model.faces }, seifFrameCamera(vs), { buffers: {} }, this.#visibility);
    const normals = computeVertexNormals(frame, model.faces);
    const [a0, a1, a2, a3, a4, a5] = transform.frameToImage;
    const sample = new Float32Array(3);
    /** Samples the photo at frame point (x, y) into `out` (no allocation). */
    const sampleAt = (x: number, y: number, out: Float32Array) => samplePhoto(image, a0 * x + a1 * y + a2, a3 * x + a4 * y + a5, out);

    /** Photo weight of a frame point with normal z `nz` (0 when hidden, outside the photo or background). */
    const visibility = (x: number, y: number, z: number, nz: number): number => {
      const wView = ramp(nz, VIEW_COS_MIN, VIEW_COS_FULL);
      if (wView <= 0) return 0;
      const px = Math.floor((x + 0.5) * vs), py = Math.floor((0.5 - y) * vs);
      if (px < 0 || py < 0 || px >= vs || py >= vs) return 0;
      const depth = 10 - z;
      // Nearest of a 2x2 neighbourhood: points on the silhouette edge are not hidden by the background.
      let zb = vis.depth[py * vs + px]!;
      if (px + 1 < vs) zb = Math.min(zb, vis.depth[py * vs + px + 1]!);
      if (py + 1 < vs) zb = Math.min(zb, vis.depth[(py + 1) * vs + px]!);
      if (depth > zb + DEPTH_TOLERANCE) return 0;
      const ix = a0 * x + a1 * y + a2, iy = a3 * x + a4 * y + a5;
      if (ix < 0 || iy < 0 || ix >= image.width || iy >= image.height) return 0;
      let w = wView;
      if (personMask) w *= ramp(personMask[Math.floor(iy) * image.width + Math.floor(ix)]!, 64, 192);
      return w;
    };

    // Eyeball vertices: procedural, never from the photo (lids and lashes cover most of them).
    const n = model.vertexCount;
    const isEye = new Uint8Array(n);
    const eyeCentres: number[][] = [];
    for (const range of model.eyeballs ? [model.eyeballs.left, model.eyeballs.right] : []) {
      const c = [0, 0, 0];
      for (let v = range[0]; v < range[1]; v++) { isEye[v] = 1; for (let k = 0; k < 3; k++) c[k] = c[k]! + model.template[3 * v + k]!; }
      eyeCentres.push(c.map((x) => x / (range[1] - range[0])));
    }

    // Per-vertex colours: seen vertices from the photo, their mirrors next, the rest by the harmonic fill.
    const vColor = new Float32Array(3 * n);
    const vWeight = new Float32Array(n);
    const trust = this.#photoTrust(model);
    for (let v = 0; v < n; v++) {
      if (isEye[v]) continue;
      const w = trust[v]! * visibility(frame[3 * v]!, frame[3 * v + 1]!, frame[3 * v + 2]!, normals[3 * v + 2]!);
      vWeight[v] = w;
      if (w > 0) {
        sampleAt(frame[3 * v]!, frame[3 * v + 1]!, sample);
        vColor.set(sample, 3 * v);
      }
    }
    const known = new Uint8Array(n);
    const filled = new Float32Array(3 * n);
    for (let v = 0; v < n; v++) {
      if (isEye[v]) continue;
      if (vWeight[v]! >= 0.5) { known[v] = 1; filled.set(vColor.subarray(3 * v, 3 * v + 3), 3 * v); }
      else if (vWeight[mirror[v]!]! >= 0.5) { known[v] = 1; filled.set(vColor.subarray(3 * mirror[v]!, 3 * mirror[v]! + 3), 3 * v); }
    }
    // Eyeball vertices are excluded from the graph fill: keep them "known" so they do not bleed into the lids.
    for (let v = 0; v < n; v++) if (isEye[v]) known[v] = 1;
    const skinTone = this.#skinTone(model, vColor, vWeight, model.masks.face ?? [], true) ?? [200, 160, 140];
    // The scalp's prior is what the photo shows of the scalp (hair, or skin on a bald head), else the skin tone.
    const scalpTone = this.#skinTone(model, vColor, vWeight, model.masks.scalp ?? [], false) ?? skinTone;
    const priors = new Float32Array(3 * n);
    for (let v = 0; v < n; v++) priors.set(skinTone, 3 * v);
    for (const v of model.masks.scalp ?? []) priors.set(scalpTone, 3 * v);
    // Screening 0.02: the fill relaxes to the prior over ~1 / sqrt(0.02) ~ 7 edges (~5 cm on the scalp).
    harmonicFill(model, filled, known, priors, 0.02, 200);
    reportProgress(context, { stage: this.name, fraction: 0.35, message: 'projection' });

    const irisColor = this.#irisColor(image, transform, input.landmarks);
    const mouthColor = mouthColorOf(image, transform, input.landmarks);

    // Texels.
    const texels = size * size;
    if (this.#scratch?.weight.length !== texels) this.#scratch = { color: new Float32Array(3 * texels), weight: new Float32Array(texels) };
    const { color, weight } = this.#scratch;
    color.fill(0);
    weight.fill(0);
    const islands = new Uint8Array(texels);
    const photoWeight = new Uint8Array(texels);
    const faces = model.faces;
    let nPhoto = 0, nMirror = 0, nFill = 0, nIsland = 0;
    const mirrorSample = new Float32Array(3);
    for (let p = 0; p < texels; p++) {
      const t = layout.triangle[p]!;
      if (t < 0) continue;
      islands[p] = 1;
      weight[p] = 1;
      nIsland++;
      const b1 = layout.bary[2 * p]!, b2 = layout.bary[2 * p + 1]!, b0 = 1 - b1 - b2;
      const i0 = faces[3 * t]!, i1 = faces[3 * t + 1]!, i2 = faces[3 * t + 2]!;
      if (isEye[i0] && isEye[i1] && isEye[i2]) {
        this.#eyeColor(model, eyeCentres, i0, i1, i2, b0, b1, b2, irisColor, sample);
        color.set(sample, 3 * p);
        continue;
      }
      const x = b0 * frame[3 * i0]! + b1 * frame[3 * i1]! + b2 * frame[3 * i2]!;
      const y = b0 * frame[3 * i0 + 1]! + b1 * frame[3 * i1 + 1]! + b2 * frame[3 * i2 + 1]!;
      const z = b0 * frame[3 * i0 + 2]! + b1 * frame[3 * i1 + 2]! + b2 * frame[3 * i2 + 2]!;
      const nz = b0 * normals[3 * i0 + 2]! + b1 * normals[3 * i1 + 2]! + b2 * normals[3 * i2 + 2]!;
      const tr = b0 * trust[i0]! + b1 * trust[i1]! + b2 * trust[i2]!;
      const w = tr > 0 ? tr * visibility(x, y, z, nz) : 0;
      // Fill colour: interpolated vertex fill.
      let r = b0 * filled[3 * i0]! + b1 * filled[3 * i1]! + b2 * filled[3 * i2]!;
      let g = b0 * filled[3 * i0 + 1]! + b1 * filled[3 * i1 + 1]! + b2 * filled[3 * i2 + 1]!;
      let b = b0 * filled[3 * i0 + 2]! + b1 * filled[3 * i1 + 2]! + b2 * filled[3 * i2 + 2]!;
      if (w < 1) {
        // The mirror point: same barycentrics on the mirrored vertices.
        const m0 = mirror[i0]!, m1 = mirror[i1]!, m2 = mirror[i2]!;
        const mx = b0 * frame[3 * m0]! + b1 * frame[3 * m1]! + b2 * frame[3 * m2]!;
        const my = b0 * frame[3 * m0 + 1]! + b1 * frame[3 * m1 + 1]! + b2 * frame[3 * m2 + 1]!;
        const mz = b0 * frame[3 * m0 + 2]! + b1 * frame[3 * m1 + 2]! + b2 * frame[3 * m2 + 2]!;
        const mnz = b0 * normals[3 * m0 + 2]! + b1 * normals[3 * m1 + 2]! + b2 * normals[3 * m2 + 2]!;
        const wm = tr > 0 ? (1 - w) * tr * visibility(mx, my, mz, mnz) : 0;
        if (wm > 0) {
          sampleAt(mx, my, mirrorSample);
          const keep = 1 - wm / (1 - w);
          r = keep * r + (1 - keep) * mirrorSample[0]!;
          g = keep * g + (1 - keep) * mirrorSample[1]!;
          b = keep * b + (1 - keep) * mirrorSample[2]!;
          if (wm >= 0.5 * (1 - w) && w < 0.5) nMirror++;
        }
      }
      if (w > 0) {
        sampleAt(x, y, sample);
        r = w * sample[0]! + (1 - w) * r;
        g = w * sample[1]! + (1 - w) * g;
        b = w * sample[2]! + (1 - w) * b;
      }
      if (w >= 0.5) nPhoto++;
      photoWeight[p] = Math.round(255 * w);
      color[3 * p] = r; color[3 * p + 1] = g; color[3 * p + 2] = b;
    }
    nFill = nIsland - nPhoto - nMirror;
    reportProgress(context, { stage: this.name, fraction: 0.85, message: 'gutter' });
    // Gutter: pull-push from the islands over the rest of the texture.
    pullPush(color, weight, size, size);
    const data = new Uint8Array(3 * texels);
    for (let i = 0; i < data.length; i++) {
      const c = color[i]!;
      data[i] = c <= 0 ? 0 : c >= 255 ? 255 : Math.round(c);
    }
    const total = Math.max(1, nIsland);
    return {
      texture: { data, width: size, height: size },
      islands,
      photoWeight,
      coverage: { photo: nPhoto / total, mirror: nMirror / total, fill: nFill / total },
      skinTone: skinTone.map(Math.round) as [number, number, number],
      irisColor: irisColor.map(Math.round) as [number, number, number],
      mouthColor,
    };
  }

  /** Trimmed mean (middle 50 % by luma) of the well-seen vertices of a region; undefined when too few are seen. */
  #skinTone(model: HeadModel, color: Float32Array, weight: Float32Array, region: ArrayLike<number>, skinOnly: boolean): [number, number, number] | undefined {
    const exclude = new Set<number>(skinOnly ? [...(model.masks.lips ?? []), ...(model.masks.eye_region ?? []), ...(model.masks.nose ?? [])] : []);
    const samples: [number, number, number, number][] = [];
    for (let i = 0; i < region.length; i++) {
      const v = region[i]!;
      if (exclude.has(v) || weight[v]! < 0.9) continue;
      const r = color[3 * v]!, g = color[3 * v + 1]!, b = color[3 * v + 2]!;
      samples.push([0.299 * r + 0.587 * g + 0.114 * b, r, g, b]);
    }
    if (samples.length < 20) return undefined;
    samples.sort((a, b) => a[0] - b[0]);
    const lo = Math.floor(samples.length * 0.25), hi = Math.ceil(samples.length * 0.75);
    const sum = [0, 0, 0];
    for (let i = lo; i < hi; i++) for (let k = 0; k < 3; k++) sum[k] = sum[k]! + samples[i]![k + 1]!;
    return sum.map((s) => s / (hi - lo)) as [number, number, number];
  }

  /**
   * How far the photo is trusted per vertex: 0 on the neck (in portraits it is collar, hair, shadow or a hand; the
   * fill from the jaw line and the skin tone is closer to the truth), 1 elsewhere, a one-ring ramp between.
   */
  #photoTrust(model: HeadModel): Float32Array {
    let trust = trustCache.get(model);
    if (trust) return trust;
    const n = model.vertexCount;
    trust = new Float32Array(n).fill(1);
    const neck = new Uint8Array(n);
    for (const v of model.masks.neck ?? []) neck[v] = 1;
    const face = new Uint8Array(n);
    for (const v of model.masks.face ?? []) face[v] = 1;
    const { offsets, list } = vertexNeighbours(model);
    for (let v = 0; v < n; v++) {
      if (!neck[v] || face[v]) continue;
      let borders = false;
      for (let k = offsets[v]!; k < offsets[v + 1]!; k++) if (!neck[list[k]!]) borders = true;
      trust[v] = borders ? 0.5 : 0;
    }
    trustCache.set(model, trust);
    return trust;
  }

  /** Iris colour: median-ish of photo samples between the iris centre (468 / 473) and its rim points. */
  #irisColor(image: RgbImage, transform: SeifFrameTransform, landmarks: Float32Array | undefined): [number, number, number] {
    const fallback: [number, number, number] = [90, 65, 45];
    if (!landmarks || landmarks.length < 478 * 3) return fallback;
    const samples: [number, number, number, number][] = [];
    const s = new Float32Array(3);
    for (const centre of [468, 473]) {
      const cx = landmarks[3 * centre]!, cy = landmarks[3 * centre + 1]!;
      for (let k = 1; k <= 4; k++) {
        const rx = landmarks[3 * (centre + k)]!, ry = landmarks[3 * (centre + k) + 1]!;
        for (const f of [0.45, 0.65]) {
          const [ix, iy] = applyAffine(transform.frameToImage, cx + f * (rx - cx), cy + f * (ry - cy));
          if (ix < 0 || iy < 0 || ix >= image.width || iy >= image.height) continue;
          samplePhoto(image, ix, iy, s);
          samples.push([s[0]! + s[1]! + s[2]!, s[0]!, s[1]!, s[2]!]);
        }
      }
    }
    if (samples.length < 4) return fallback;
    samples.sort((a, b) => a[0] - b[0]);
    const m = samples[Math.floor(samples.length / 2)]!;
    // Keep it an iris: not brighter than a light grey-blue, not black.
    const scale = Math.min(1, 420 / Math.max(1, m[0]));
    return [Math.max(25, m[1] * scale), Math.max(20, m[2] * scale), Math.max(15, m[3] * scale)];
  }

  /** Procedural eye: sclera, limbal ring, iris with radial streaks, pupil, by angle from the eye's +z axis. */
  #eyeColor(model: HeadModel, centres: number[][], i0: number, i1: number, i2: number, b0: number, b1: number, b2: number, iris: [number, number, number], out: Float32Array): void {
    const t = model.template;
    const x = b0 * t[3 * i0]! + b1 * t[3 * i1]! + b2 * t[3 * i2]!;
    const y = b0 * t[3 * i0 + 1]! + b1 * t[3 * i1 + 1]! + b2 * t[3 * i2 + 1]!;
    const z = b0 * t[3 * i0 + 2]! + b1 * t[3 * i1 + 2]! + b2 * t[3 * i2 + 2]!;
    const c = model.eyeballs && i0 >= model.eyeballs.right[0] ? centres[1]! : centres[0]!;
    const dx = x - c[0]!, dy = y - c[1]!, dz = z - c[2]!;
    const len = Math.hypot(dx, dy, dz) || 1;
    const angle = Math.acos(Math.max(-1, Math.min(1, dz / len))); // 0 at the front of the eye
    const phi = Math.atan2(dy, dx);
    // Human eye: iris ~ 6 mm radius on a ~12 mm eyeball -> ~30 degrees; pupil ~ 2 mm -> ~10 degrees.
    const deg = (angle * 180) / Math.PI;
    if (deg < 10) { out[0] = 12; out[1] = 10; out[2] = 10; return; }
    if (deg < 29) {
      const streak = 0.85 + 0.15 * Math.sin(37 * phi) * Math.sin(11 * phi + 1);
      const ring = deg > 25 ? 0.6 : deg < 14 ? 0.8 : 1;
      for (let k = 0; k < 3; k++) out[k] = iris[k]! * streak * ring;
      return;
    }
    // Sclera: warm white, slightly darker toward the back.
    const shade = deg < 60 ? 1 : 0.85;
    out[0] = 228 * shade; out[1] = 220 * shade; out[2] = 212 * shade;
  }
}
