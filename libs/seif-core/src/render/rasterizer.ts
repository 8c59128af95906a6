/**
 * Public API. A CPU rasterizer on typed arrays, used for texture baking, evaluation renders, thumbnails and
 * synthetic training data, so it aims to be exact and allocation-free per pixel.
 *
 * Two passes (a "visibility buffer"):
 *   1. rasterize: per triangle, pixel centres inside it by the top-left fill rule (edges shared by two triangles
 *      are drawn exactly once, so coverage of a flat triangle equals its area up to edge pixels), nearest depth
 *      wins (strict <, so the first triangle drawn wins exact ties); stores triangle id and perspective-correct
 *      barycentrics.
 *   2. resolve: per covered pixel, interpolate once (normal, uv, position, colour) and shade: Lambert + Blinn
 *      specular ("soft": low exponent, small weight) + ambient; optional two-sided lighting.
 * Pinhole triangles with a vertex nearer than camera.near are skipped, not clipped.
 */
import { type Camera, projectPoints, type Vec3 } from './camera.js';
import { computeVertexNormals, type Mesh } from './mesh.js';

export interface Light {
  /** Direction toward the light, camera space (normalised internally). */
  direction: Vec3;
  intensity: number;
}

export interface Texture {
  /** RGB bytes, sRGB encoded, row 0 at the top. */
  data: Uint8Array;
  width: number;
  height: number;
}

export interface RenderOptions {
  /** Draw back faces too (lit as seen: their normal is flipped toward the camera). Default false (culled). */
  twoSided?: boolean;
  /** Interpolated vertex normals ('smooth', default) or the triangle's own normal ('flat'). */
  shading?: 'smooth' | 'flat';
  lights?: Light[];
  ambient?: number;
  /** Weight and exponent of the Blinn-Phong term; the defaults give a soft sheen rather than a hot spot. */
  specular?: number;
  shininess?: number;
  /** Linear albedo when the mesh has no colours and no texture is given. */
  albedo?: Vec3;
  texture?: Texture;
  /** Linear background colour of the colour buffer. */
  background?: Vec3;
  /** Encode the colour buffer as sRGB (default true) or store linear values. */
  srgb?: boolean;
  /** Which optional buffers to fill; depth, triangleId and barycentrics are always filled. */
  buffers?: { color?: boolean; normal?: boolean; uv?: boolean; position?: boolean };
}

export const DEFAULT_LIGHTS: readonly Light[] = Object.freeze([
  { direction: [0.3, 0.4, 1] as Vec3, intensity: 0.8 },
  { direction: [-0.6, 0.1, 0.5] as Vec3, intensity: 0.25 },
]);

export interface RenderBuffers {
  width: number;
  height: number;
  /** View depth (distance along the camera axis); +Infinity where nothing was drawn. */
  depth: Float32Array;
  /** Triangle index per pixel, -1 for background. Doubles as the visibility buffer (which triangles are seen). */
  triangleId: Int32Array;
  /** Perspective-correct barycentrics (b1, b2) per pixel; b0 = 1 - b1 - b2, in the triangle's index order. */
  barycentric: Float32Array;
  /** RGB bytes (sRGB unless options.srgb is false, then linear * 255). */
  color?: Uint8Array;
  /** Camera-space unit normals (x, y, z), facing the camera for two-sided back faces; 0 for background. */
  normal?: Float32Array;
  /** Interpolated texture coordinates (u, v); -1 for background or when the mesh has none. */
  uv?: Float32Array;
  /** World-space positions; NaN for background. */
  position?: Float32Array;
}

export function createBuffers(width: number, height: number, options: RenderOptions['buffers'] = { color: true }): RenderBuffers {
  const n = width * height;
  return {
    width,
    height,
    depth: new Float32Array(n),
    triangleId: new Int32Array(n),
    barycentric: new Float32Array(2 * n),
    ...(options.color ? { color: new Uint8Array(3 * n) } : {}),
    ...(options.normal ? { normal: new Float32Array(3 * n) } : {}),
    ...(options.uv ? { uv: new Float32Array(2 * n) } : {}),
    ...(options.position ? { position: new Float32Array(3 * n) } : {}),
  };
}

function linearToSrgb(x: number): number {
  const c = x <= 0 ? 0 : x >= 1 ? 1 : x;
  return c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
}

// sRGB byte -> linear, for texture sampling.
const SRGB_TO_LINEAR = new Float32Array(256);
for (let i = 0; i < 256; i++) {
  const c = i / 255;
  SRGB_TO_LINEAR[i] = c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}
// Linear [0,1] (4096 steps) -> sRGB byte, so the resolve pass does no pow() per pixel.
const LINEAR_TO_SRGB_BYTE = new Uint8Array(4097);
for (let i = 0; i <= 4096; i++) LINEAR_TO_SRGB_BYTE[i] = Math.round(linearToSrgb(i / 4096) * 255);

// Scratch output of lightPixel (diffuse, specular): module scope, so shading allocates nothing per pixel.
const _shade = new Float64Array(2);

/**
 * Sum of Lambert and Blinn-Phong terms over the lights for unit normal n and view direction v. Kept out of the
 * resolve loop on purpose: inlined there, V8 ran out of registers and boxed doubles (3x slower, GC churn).
 */
function lightPixel(lights: Float64Array, count: number, nx: number, ny: number, nz: number, vx: number, vy: number, vz: number, specular: number, shininess: number): void {
  let diffuse = 0;
  let spec = 0;
  for (let l = 0; l < count; l++) {
    const lx = lights[4 * l]!;
    const ly = lights[4 * l + 1]!;
    const lz = lights[4 * l + 2]!;
    const intensity = lights[4 * l + 3]!;
    const ndl = nx * lx + ny * ly + nz * lz;
    if (ndl <= 0) continue;
    diffuse += intensity * ndl;
    if (specular > 0) {
      const hx = lx + vx;
      const hy = ly + vy;
      const hz = lz + vz;
      const hl = Math.sqrt(hx * hx + hy * hy + hz * hz) || 1;
      const ndh = (nx * hx + ny * hy + nz * hz) / hl;
      if (ndh > 0) {
        // Integer exponents by squaring: Math.pow was half the cost of a colour render.
        let power = 1;
        if (shininess === (shininess | 0)) {
          let base = ndh;
          for (let e = shininess; e > 0; e >>= 1) {
            if (e & 1) power *= base;
            base *= base;
          }
        } else {
          power = Math.pow(ndh, shininess);
        }
        spec += specular * intensity * power;
      }
    }
  }
  _shade[0] = diffuse;
  _shade[1] = spec;
}

/**
 * A renderer owns its scratch arrays (projected vertices, camera-space normals) and reuses them across calls:
 * create one per worker and call `render` many times.
 */
export class Rasterizer {
  #screen = new Float32Array(0);
  #cameraPositions = new Float32Array(0);
  #cameraNormals = new Float32Array(0);
  #facing = new Int8Array(0);

  #ensure(vertices: number, triangles: number): void {
    if (this.#screen.length < 3 * vertices) {
      this.#screen = new Float32Array(3 * vertices);
      this.#cameraPositions = new Float32Array(3 * vertices);
      this.#cameraNormals = new Float32Array(3 * vertices);
    }
    if (this.#facing.length < triangles) this.#facing = new Int8Array(triangles);
  }

  /** Renders `mesh` through `camera` into `target` (created to the camera's size when omitted). */
  render(mesh: Mesh, camera: Camera, options: RenderOptions = {}, target?: RenderBuffers): RenderBuffers {
    const width = camera.width;
    const height = camera.height;
    const out = target ?? createBuffers(width, height, options.buffers ?? { color: true });
    if (out.width !== width || out.height !== height) throw new RangeError(`render target is ${out.width}x${out.height}, camera is ${width}x${height}`);
    const nv = mesh.positions.length / 3;
    const nt = mesh.indices.length / 3;
    this.#ensure(nv, nt);
    projectPoints(camera, mesh.positions, this.#screen, this.#cameraPositions);
    this.#rasterize(mesh.indices, nt, camera, options.twoSided ?? false, out);
    this.#resolve(mesh, camera, options, out);
    return out;
  }

  #rasterize(indices: Uint32Array, nt: number, camera: Camera, twoSided: boolean, out: RenderBuffers): void {
    const { width, height, depth, triangleId, barycentric } = out;
    depth.fill(Infinity);
    triangleId.fill(-1);
    barycentric.fill(0);
    const s = this.#screen;
    const facing = this.#facing;
    const perspective = camera.kind === 'pinhole';
    const near = perspective ? camera.near : -Infinity;
    for (let t = 0; t < nt; t++) {
      const i0 = indices[3 * t]!;
      let i1 = indices[3 * t + 1]!;
      let i2 = indices[3 * t + 2]!;
      const x0 = s[3 * i0]!;
      const y0 = s[3 * i0 + 1]!;
      const d0 = s[3 * i0 + 2]!;
      let x1 = s[3 * i1]!;
      let y1 = s[3 * i1 + 1]!;
      let d1 = s[3 * i1 + 2]!;
      let x2 = s[3 * i2]!;
      let y2 = s[3 * i2 + 1]!;
      let d2 = s[3 * i2 + 2]!;
      facing[t] = 0;
      if (perspective && (d0 < near || d1 < near || d2 < near)) continue;
      let area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0);
      if (!(area !== 0) || !Number.isFinite(area)) continue;
      // CCW in the world is clockwise on screen (v grows down), i.e. area < 0 is a front face.
      const front = area < 0;
      if (!front && !twoSided) continue;
      facing[t] = front ? 1 : -1;
      let swapped = false;
      if (area < 0) {
        // Make the screen winding positive so one set of edge tests serves both orientations.
        [i1, i2] = [i2, i1];
        [x1, x2] = [x2, x1];
        [y1, y2] = [y2, y1];
        [d1, d2] = [d2, d1];
        area = -area;
        swapped = true;
      }
      const minX = Math.max(0, Math.floor(Math.min(x0, x1, x2) - 0.5));
      const maxX = Math.min(width - 1, Math.ceil(Math.max(x0, x1, x2) - 0.5));
      const minY = Math.max(0, Math.floor(Math.min(y0, y1, y2) - 0.5));
      const maxY = Math.min(height - 1, Math.ceil(Math.max(y0, y1, y2) - 0.5));
      if (minX > maxX || minY > maxY) continue;
      // Edge k is opposite vertex k: e0 = edge(v1 -> v2), e1 = edge(v2 -> v0), e2 = edge(v0 -> v1).
      // Top-left rule for this winding: an edge a->b is top if dy == 0 and dx > 0, left if dy < 0.
      const topLeft0 = (y2 === y1 && x2 > x1) || y2 < y1;
      const topLeft1 = (y0 === y2 && x0 > x2) || y0 < y2;
      const topLeft2 = (y1 === y0 && x1 > x0) || y1 < y0;
      const invArea = 1 / area;
      const w0 = perspective ? 1 / d0 : 1;
      const w1 = perspective ? 1 / d1 : 1;
      const w2 = perspective ? 1 / d2 : 1;
      // e_k(px, py) = A_k * px + B_k * py + C_k
      const A0 = -(y2 - y1);
      const B0 = x2 - x1;
      const C0 = -(A0 * x1 + B0 * y1);
      const A1 = -(y0 - y2);
      const B1 = x0 - x2;
      const C1 = -(A1 * x2 + B1 * y2);
      const A2 = -(y1 - y0);
      const B2 = x1 - x0;
      const C2 = -(A2 * x0 + B2 * y0);
      for (let py = minY; py <= maxY; py++) {
        const cy = py + 0.5;
        const r0 = B0 * cy + C0;
        const r1 = B1 * cy + C1;
        const r2 = B2 * cy + C2;
        const row = py * width;
        for (let px = minX; px <= maxX; px++) {
          const cx = px + 0.5;
          const e0 = A0 * cx + r0;
          const e1 = A1 * cx + r1;
          const e2 = A2 * cx + r2;
          // Inside: e > 0 for all three edges, or e == 0 on a top or left edge.
          if (e0 < 0 || e1 < 0 || e2 < 0) continue;
          if ((e0 === 0 && !topLeft0) || (e1 === 0 && !topLeft1) || (e2 === 0 && !topLeft2)) continue;
          const l0 = e0 * invArea;
          const l1 = e1 * invArea;
          const l2 = e2 * invArea;
          let b1 = l1;
          let b2 = l2;
          let z: number;
          if (perspective) {
            const q0 = l0 * w0;
            const q1 = l1 * w1;
            const q2 = l2 * w2;
            const sum = q0 + q1 + q2;
            z = 1 / sum;
            b1 = q1 * z;
            b2 = q2 * z;
          } else {
            z = l0 * d0 + l1 * d1 + l2 * d2;
          }
          const p = row + px;
          if (!(z < depth[p]!)) continue;
          depth[p] = z;
          triangleId[p] = t;
          // Store in the triangle's own index order (undo the winding swap).
          barycentric[2 * p] = swapped ? b2 : b1;
          barycentric[2 * p + 1] = swapped ? b1 : b2;
        }
      }
    }
  }

  #resolve(mesh: Mesh, camera: Camera, options: RenderOptions, out: RenderBuffers): void {
    const { width, height, triangleId, barycentric, color, normal, uv, position } = out;
    const n = width * height;
    const indices = mesh.indices;
    const smooth = (options.shading ?? 'smooth') === 'smooth';
    const nv = mesh.positions.length / 3;
    const r = camera.rotation;
    const cp = this.#cameraPositions;
    const cn = this.#cameraNormals;
    if (smooth && (color || normal)) {
      const worldNormals = mesh.normals ?? computeVertexNormals(mesh.positions, indices);
      for (let v = 0; v < nv; v++) {
        const x = worldNormals[3 * v]!;
        const y = worldNormals[3 * v + 1]!;
        const z = worldNormals[3 * v + 2]!;
        cn[3 * v] = r[0] * x + r[1] * y + r[2] * z;
        cn[3 * v + 1] = r[3] * x + r[4] * y + r[5] * z;
        cn[3 * v + 2] = r[6] * x + r[7] * y + r[8] * z;
      }
    }
    // Lights flattened to (x, y, z, intensity) quadruples: no per-pixel destructuring or allocation.
    const lightList = options.lights ?? DEFAULT_LIGHTS;
    const lights = new Float64Array(4 * lightList.length);
    lightList.forEach((l, k) => {
      const len = Math.hypot(...l.direction) || 1;
      lights.set([l.direction[0] / len, l.direction[1] / len, l.direction[2] / len, l.intensity], 4 * k);
    });
    const lightCount = lightList.length;
    const ambient = options.ambient ?? 0.15;
    const specular = options.specular ?? 0.12;
    const shininess = options.shininess ?? 12;
    const albedo = options.albedo ?? [0.75, 0.75, 0.75];
    const background = options.background ?? [0, 0, 0];
    const srgb = options.srgb ?? true;
    const texture = options.texture;
    const uvs = mesh.uvs;
    const uvIndices = mesh.uvIndices;
    const colors = mesh.colors;
    const positions = mesh.positions;
    const perspective = camera.kind === 'pinhole';
    const facing = this.#facing;
    const [albedoR, albedoG, albedoB] = albedo;
    const bgBytes = background.map((c) => (srgb ? LINEAR_TO_SRGB_BYTE[Math.round(Math.min(1, Math.max(0, c)) * 4096)]! : Math.round(Math.min(1, Math.max(0, c)) * 255)));

    for (let p = 0; p < n; p++) {
      const t = triangleId[p]!;
      if (t < 0) {
        if (color) {
          color[3 * p] = bgBytes[0]!;
          color[3 * p + 1] = bgBytes[1]!;
          color[3 * p + 2] = bgBytes[2]!;
        }
        if (normal) normal[3 * p] = normal[3 * p + 1] = normal[3 * p + 2] = 0;
        if (uv) uv[2 * p] = uv[2 * p + 1] = -1;
        if (position) position[3 * p] = position[3 * p + 1] = position[3 * p + 2] = NaN;
        continue;
      }
      const b1 = barycentric[2 * p]!;
      const b2 = barycentric[2 * p + 1]!;
      const b0 = 1 - b1 - b2;
      const i0 = indices[3 * t]!;
      const i1 = indices[3 * t + 1]!;
      const i2 = indices[3 * t + 2]!;
      const back = facing[t]! < 0;

      let u = -1;
      let v = -1;
      if (uvs && (uv || texture)) {
        const j0 = uvIndices ? uvIndices[3 * t]! : i0;
        const j1 = uvIndices ? uvIndices[3 * t + 1]! : i1;
        const j2 = uvIndices ? uvIndices[3 * t + 2]! : i2;
        u = b0 * uvs[2 * j0]! + b1 * uvs[2 * j1]! + b2 * uvs[2 * j2]!;
        v = b0 * uvs[2 * j0 + 1]! + b1 * uvs[2 * j1 + 1]! + b2 * uvs[2 * j2 + 1]!;
        if (uv) {
          uv[2 * p] = u;
          uv[2 * p + 1] = v;
        }
      }
      if (position) {
        for (let c = 0; c < 3; c++) position[3 * p + c] = b0 * positions[3 * i0 + c]! + b1 * positions[3 * i1 + c]! + b2 * positions[3 * i2 + c]!;
      }
      if (!color && !normal) continue;

      let nx: number;
      let ny: number;
      let nz: number;
      if (smooth) {
        nx = b0 * cn[3 * i0]! + b1 * cn[3 * i1]! + b2 * cn[3 * i2]!;
        ny = b0 * cn[3 * i0 + 1]! + b1 * cn[3 * i1 + 1]! + b2 * cn[3 * i2 + 1]!;
        nz = b0 * cn[3 * i0 + 2]! + b1 * cn[3 * i1 + 2]! + b2 * cn[3 * i2 + 2]!;
      } else {
        const ax = cp[3 * i1]! - cp[3 * i0]!;
        const ay = cp[3 * i1 + 1]! - cp[3 * i0 + 1]!;
        const az = cp[3 * i1 + 2]! - cp[3 * i0 + 2]!;
        const bx = cp[3 * i2]! - cp[3 * i0]!;
        const by = cp[3 * i2 + 1]! - cp[3 * i0 + 1]!;
        const bz = cp[3 * i2 + 2]! - cp[3 * i0 + 2]!;
        nx = ay * bz - az * by;
        ny = az * bx - ax * bz;
        nz = ax * by - ay * bx;
      }
      let len = Math.sqrt(nx * nx + ny * ny + nz * nz);
      if (len === 0) len = 1;
      nx /= len;
      ny /= len;
      nz /= len;
      if (back) {
        nx = -nx;
        ny = -ny;
        nz = -nz;
      }
      if (normal) {
        normal[3 * p] = nx;
        normal[3 * p + 1] = ny;
        normal[3 * p + 2] = nz;
      }
      if (!color) continue;

      // View direction (toward the eye), camera space.
      let vx = 0;
      let vy = 0;
      let vz = 1;
      if (perspective) {
        vx = -(b0 * cp[3 * i0]! + b1 * cp[3 * i1]! + b2 * cp[3 * i2]!);
        vy = -(b0 * cp[3 * i0 + 1]! + b1 * cp[3 * i1 + 1]! + b2 * cp[3 * i2 + 1]!);
        vz = -(b0 * cp[3 * i0 + 2]! + b1 * cp[3 * i1 + 2]! + b2 * cp[3 * i2 + 2]!);
        const vl = Math.sqrt(vx * vx + vy * vy + vz * vz) || 1;
        vx /= vl;
        vy /= vl;
        vz /= vl;
      }
      let ar: number;
      let ag: number;
      let ab: number;
      if (texture && u >= 0) {
        // Bilinear, v up, clamped.
        const tx = Math.min(texture.width - 1, Math.max(0, u * texture.width - 0.5));
        const ty = Math.min(texture.height - 1, Math.max(0, (1 - v) * texture.height - 0.5));
        const x0 = Math.floor(tx);
        const y0 = Math.floor(ty);
        const x1 = Math.min(x0 + 1, texture.width - 1);
        const y1 = Math.min(y0 + 1, texture.height - 1);
        const fx = tx - x0;
        const fy = ty - y0;
        const d = texture.data;
        const tw = texture.width;
        const q00 = 3 * (y0 * tw + x0);
        const q10 = 3 * (y0 * tw + x1);
        const q01 = 3 * (y1 * tw + x0);
        const q11 = 3 * (y1 * tw + x1);
        const w00 = (1 - fx) * (1 - fy);
        const w10 = fx * (1 - fy);
        const w01 = (1 - fx) * fy;
        const w11 = fx * fy;
        ar = w00 * SRGB_TO_LINEAR[d[q00]!]! + w10 * SRGB_TO_LINEAR[d[q10]!]! + w01 * SRGB_TO_LINEAR[d[q01]!]! + w11 * SRGB_TO_LINEAR[d[q11]!]!;
        ag = w00 * SRGB_TO_LINEAR[d[q00 + 1]!]! + w10 * SRGB_TO_LINEAR[d[q10 + 1]!]! + w01 * SRGB_TO_LINEAR[d[q01 + 1]!]! + w11 * SRGB_TO_LINEAR[d[q11 + 1]!]!;
        ab = w00 * SRGB_TO_LINEAR[d[q00 + 2]!]! + w10 * SRGB_TO_LINEAR[d[q10 + 2]!]! + w01 * SRGB_TO_LINEAR[d[q01 + 2]!]! + w11 * SRGB_TO_LINEAR[d[q11 + 2]!]!;
      } else if (colors) {
        ar = b0 * colors[3 * i0]! + b1 * colors[3 * i1]! + b2 * colors[3 * i2]!;
        ag = b0 * colors[3 * i0 + 1]! + b1 * colors[3 * i1 + 1]! + b2 * colors[3 * i2 + 1]!;
        ab = b0 * colors[3 * i0 + 2]! + b1 * colors[3 * i1 + 2]! + b2 * colors[3 * i2 + 2]!;
      } else {
        ar = albedoR;
        ag = albedoG;
        ab = albedoB;
      }
      lightPixel(lights, lightCount, nx, ny, nz, vx, vy, vz, specular, shininess);
      const diffuse = ambient + _shade[0]!;
      const spec = _shade[1]!;
      const cr = ar * diffuse + spec;
      const cg = ag * diffuse + spec;
      const cb = ab * diffuse + spec;
      if (srgb) {
        color[3 * p] = LINEAR_TO_SRGB_BYTE[Math.round((cr < 0 ? 0 : cr > 1 ? 1 : cr) * 4096)]!;
        color[3 * p + 1] = LINEAR_TO_SRGB_BYTE[Math.round((cg < 0 ? 0 : cg > 1 ? 1 : cg) * 4096)]!;
        color[3 * p + 2] = LINEAR_TO_SRGB_BYTE[Math.round((cb < 0 ? 0 : cb > 1 ? 1 : cb) * 4096)]!;
      } else {
        color[3 * p] = Math.round((cr < 0 ? 0 : cr > 1 ? 1 : cr) * 255);
        color[3 * p + 1] = Math.round((cg < 0 ? 0 : cg > 1 ? 1 : cg) * 255);
        color[3 * p + 2] = Math.round((cb < 0 ? 0 : cb > 1 ? 1 : cb) * 255);
      }
    }
  }
}

/** One-off render with a fresh Rasterizer (prefer keeping a Rasterizer for repeated renders). */
export function renderMesh(mesh: Mesh, camera: Camera, options?: RenderOptions, target?: RenderBuffers): RenderBuffers {
  return new Rasterizer().render(mesh, camera, options, target);
}

/** Number of pixels covered per triangle (from the visibility buffer); a triangle is visible when > 0. */
export function visibleTriangles(buffers: RenderBuffers, triangleCount: number, out = new Uint32Array(triangleCount)): Uint32Array {
  out.fill(0);
  const ids = buffers.triangleId;
  for (let p = 0; p < ids.length; p++) {
    const t = ids[p]!;
    if (t >= 0) out[t] = out[t]! + 1;
  }
  return out;
}
