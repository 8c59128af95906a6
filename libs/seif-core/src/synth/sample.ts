/**
 * One synthetic training sample: a random head (head.ts) with procedural hair, beard and neck/shoulders
 * (implicit.ts), placed in the SeIF frame the way the production normaliser frames a photo (its own
 * seifFrameTransform on the head's MediaPipe landmarks), rendered with the seif-core rasterizer (mesh parts) and
 * sphere tracing (implicit parts) under random lights over a random background, plus:
 * - the FLAME prior maps (normals, depth) and prior semantic codes from `prior` (prior.ts);
 * - ground-truth occupancy samples: surface points + Gaussian noise at two scales + uniform in the box, inside =
 *   (generalized winding number of the watertight head mesh > 0.5) or (inside a hair/beard/body implicit);
 * - ground-truth semantic codes from the ground-truth FLAME part (with its displacements).
 */
import { type HeadModel, makeWatertight } from '@seif/flame';
import { SeifError } from '../pipeline/errors.js';
import { type Mat3, rotationYXZ, seifFrameCamera } from '../render/camera.js';
import { renderPriorMaps } from '../render/prior-maps.js';
import { type Light, Rasterizer, createBuffers } from '../render/rasterizer.js';
import { semanticFieldForHead } from '../semantic/semantic-field.js';
import { seifFrameTransform } from '../stages/normalise.js';
import { landmark, headGeometry, randomHead } from './head.js';
import { HAIR_STYLES, type HairStyle, type ImplicitPart, PlacedImplicit, type Vec3, beardPart, bodyPart, hairPart, randomHair } from './implicit.js';
import { type FlamePrior, groundTruthPrior } from './prior.js';
import { Random, valueNoise3 } from './random.js';
import { windingNumbers } from './winding.js';

export interface SynthOptions {
  /** Image size (the lite network's 256 by default). */
  size?: number;
  /** Occupancy samples per head (default 5000). */
  points?: number;
  /** Where the FLAME prior comes from (default: groundTruthPrior; the shipped data uses ProductionPrior). */
  prior?: FlamePrior;
  /** Return the scene (closed head mesh, implicits) with the sample, for tests and debugging. */
  keepScene?: boolean;
}

export interface SynthSample {
  size: number;
  image: Uint8Array; // size*size*3 sRGB
  flameNormal: Uint8Array; // size*size*3
  flameDepth: Float32Array; // size*size
  mask: Uint8Array; // size*size, 0|255
  points: Float32Array; // P*3
  occupancy: Uint8Array; // P
  codesPrior: Float32Array; // P*3
  codesGt: Float32Array; // P*3
  meta: Record<string, unknown>;
  scene?: { closed: { positions: Float32Array; indices: Uint32Array }; implicit: PlacedImplicit; gtFlame: Float32Array; priorFlame: Float32Array };
}

const HAIR_WEIGHTS: Record<HairStyle, number> = { 'short-crop': 2, bob: 2, 'long-straight': 2, 'curly-volume': 1.5, bun: 1, ponytail: 1, bald: 1 };

/** Linear albedos. Skin spans light to dark; hair black to blond and a few dyed reds; irises brown to blue. */
const SKIN: Vec3[] = [[0.78, 0.57, 0.47], [0.7, 0.48, 0.38], [0.55, 0.36, 0.26], [0.38, 0.24, 0.16], [0.22, 0.13, 0.09], [0.85, 0.66, 0.56]];
const HAIR: Vec3[] = [[0.02, 0.015, 0.012], [0.06, 0.035, 0.02], [0.15, 0.08, 0.04], [0.35, 0.22, 0.1], [0.6, 0.45, 0.25], [0.35, 0.08, 0.03], [0.5, 0.5, 0.5]];
const IRIS: Vec3[] = [[0.12, 0.06, 0.02], [0.25, 0.14, 0.05], [0.1, 0.2, 0.35], [0.15, 0.25, 0.12], [0.05, 0.03, 0.02]];

const jitter = (rng: Random, c: Vec3, amount: number): Vec3 => {
  const s = rng.uniform(1 - amount, 1 + amount);
  return [Math.min(1, c[0] * s * rng.uniform(0.95, 1.05)), Math.min(1, c[1] * s * rng.uniform(0.95, 1.05)), Math.min(1, c[2] * s * rng.uniform(0.95, 1.05))];
};
const mix = (a: Vec3, b: Vec3, t: number): Vec3 => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];

function toSrgbByte(linear: number): number {
  const c = linear <= 0 ? 0 : linear >= 1 ? 1 : linear;
  const s = c <= 0.0031308 ? 12.92 * c : 1.055 * Math.pow(c, 1 / 2.4) - 0.055;
  return Math.round(s * 255);
}

function transformVertices(v: Float32Array, R: Mat3, k: number, t: Vec3): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i += 3) {
    const x = v[i]!, y = v[i + 1]!, z = v[i + 2]!;
    out[i] = k * (R[0] * x + R[1] * y + R[2] * z) + t[0];
    out[i + 1] = k * (R[3] * x + R[4] * y + R[5] * z) + t[1];
    out[i + 2] = k * (R[6] * x + R[7] * y + R[8] * z) + t[2];
  }
  return out;
}

/** Per-vertex linear albedo of the head mesh: skin with low-frequency variation, redder lips, eyes. */
function vertexColors(model: HeadModel, v: Float32Array, skin: Vec3, iris: Vec3, rng: Random): Float32Array {
  const n = model.vertexCount;
  const colors = new Float32Array(3 * n);
  const seed = rng.int(1 << 30);
  const T = model.template;
  for (let i = 0; i < n; i++) {
    const f = 1 + 0.07 * valueNoise3(T[3 * i]! * 30, T[3 * i + 1]! * 30, T[3 * i + 2]! * 30, seed);
    colors[3 * i] = skin[0] * f; colors[3 * i + 1] = skin[1] * f; colors[3 * i + 2] = skin[2] * f;
  }
  const lip = mix(skin, [0.55, 0.18, 0.16], rng.uniform(0.25, 0.55));
  for (const i of model.masks.lips ?? []) { colors[3 * i] = lip[0]; colors[3 * i + 1] = lip[1]; colors[3 * i + 2] = lip[2]; }
  const ranges = model.eyeballs ? [model.eyeballs.left, model.eyeballs.right] : [];
  for (const [a, b] of ranges) {
    const c: Vec3 = [0, 0, 0];
    for (let i = a; i < b; i++) for (let k = 0; k < 3; k++) c[k] = c[k]! + v[3 * i + k]! / (b - a);
    // The cornea apex: the eyeball vertex furthest forward in the template, followed into the posed mesh.
    let apex = a;
    for (let i = a; i < b; i++) if (T[3 * i + 2]! > T[3 * apex + 2]!) apex = i;
    const d: Vec3 = [v[3 * apex]! - c[0], v[3 * apex + 1]! - c[1], v[3 * apex + 2]! - c[2]];
    const dl = Math.hypot(...d) || 1;
    for (let i = a; i < b; i++) {
      const e: Vec3 = [v[3 * i]! - c[0], v[3 * i + 1]! - c[1], v[3 * i + 2]! - c[2]];
      const cos = (e[0] * d[0] + e[1] * d[1] + e[2] * d[2]) / ((Math.hypot(...e) || 1) * dl);
      const col: Vec3 = cos > 0.985 ? [0.01, 0.01, 0.01] : cos > 0.92 ? iris : [0.75, 0.72, 0.68];
      colors[3 * i] = col[0]; colors[3 * i + 1] = col[1]; colors[3 * i + 2] = col[2];
    }
  }
  return colors;
}

function sampleSurface(positions: Float32Array, indices: Uint32Array, count: number, rng: Random, out: Float32Array, offset: number): void {
  const m = indices.length / 3;
  const cdf = new Float64Array(m);
  let total = 0;
  for (let f = 0; f < m; f++) {
    const a = 3 * indices[3 * f]!, b = 3 * indices[3 * f + 1]!, c = 3 * indices[3 * f + 2]!;
    const ux = positions[b]! - positions[a]!, uy = positions[b + 1]! - positions[a + 1]!, uz = positions[b + 2]! - positions[a + 2]!;
    const vx = positions[c]! - positions[a]!, vy = positions[c + 1]! - positions[a + 1]!, vz = positions[c + 2]! - positions[a + 2]!;
    total += Math.hypot(uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx) / 2;
    cdf[f] = total;
  }
  for (let s = 0; s < count; s++) {
    const u = rng.next() * total;
    let lo = 0, hi = m - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid]! < u) lo = mid + 1; else hi = mid; }
    let r1 = rng.next(), r2 = rng.next();
    if (r1 + r2 > 1) { r1 = 1 - r1; r2 = 1 - r2; }
    for (let k = 0; k < 3; k++) {
      const a = positions[3 * indices[3 * lo]! + k]!, b = positions[3 * indices[3 * lo + 1]! + k]!, c = positions[3 * indices[3 * lo + 2]! + k]!;
      out[3 * (offset + s) + k] = a + r1 * (b - a) + r2 * (c - a);
    }
  }
}

/** Points on the implicit surfaces: uniform candidates in the box pulled onto the zero set by Newton steps. */
function sampleImplicit(implicit: PlacedImplicit, count: number, rng: Random, out: Float32Array, offset: number): number {
  const g = new Float64Array(3);
  let made = 0;
  for (let tries = 0; made < count && tries < count * 20; tries++) {
    let x = rng.uniform(-0.5, 0.5), y = rng.uniform(-0.5, 0.5), z = rng.uniform(-0.5, 0.5);
    let d = implicit.sdf(x, y, z);
    if (Math.abs(d) > 0.08) continue;
    for (let it = 0; it < 6 && Math.abs(d) > 2e-4; it++) {
      implicit.normal(x, y, z, g);
      x -= d * g[0]!; y -= d * g[1]!; z -= d * g[2]!;
      d = implicit.sdf(x, y, z);
    }
    if (Math.abs(d) > 1e-3 || Math.max(Math.abs(x), Math.abs(y), Math.abs(z)) > 0.5) continue;
    out[3 * (offset + made)] = x; out[3 * (offset + made) + 1] = y; out[3 * (offset + made) + 2] = z;
    made++;
  }
  return made;
}

const rasterizer = new Rasterizer();

export async function generateSample(model: HeadModel, seed: number, index: number, options: SynthOptions = {}): Promise<SynthSample> {
  const size = options.size ?? 256;
  const P = options.points ?? 5000;
  const prior = options.prior ?? groundTruthPrior;
  const rng = Random.stream(seed, index);
  const t0 = performance.now();

  // 1. Head, hair, beard, body (model space).
  const head = randomHead(model, rng);
  const geometry = headGeometry(model, head.displaced);
  const style = HAIR_STYLES[rng.weighted(HAIR_STYLES.map((s) => HAIR_WEIGHTS[s]))]!;
  const hairColor = jitter(rng, rng.pick(HAIR), 0.25);
  const skin = jitter(rng, rng.pick(SKIN), 0.15);
  const iris = jitter(rng, rng.pick(IRIS), 0.2);
  const parts: ImplicitPart[] = [];
  const hair = randomHair(style, geometry, hairColor, rng);
  if (hair) parts.push(hairPart(hair, geometry));
  const beard = rng.chance(0.2);
  if (beard) parts.push(beardPart(geometry, mix(hairColor, [0.1, 0.07, 0.05], 0.3), rng));
  const clothing: Vec3 = [rng.uniform(0.02, 0.7), rng.uniform(0.02, 0.7), rng.uniform(0.02, 0.7)];
  parts.push(bodyPart(geometry, skin, rng));

  // 2. View and framing: rotate, then frame with the production normaliser's own rule on the MediaPipe landmarks.
  const yaw = rng.uniform(-60, 60), pitch = rng.uniform(-20, 20), roll = rng.uniform(-15, 15);
  const R = rotationYXZ(yaw, pitch, roll);
  const lm = new Float32Array(3 * 478);
  const PX = 1000; // "photo" pixels per metre; any scale works
  let zMin = Infinity, zMax = -Infinity;
  for (let i = 0; i < 478; i++) {
    const p = landmark(model, head.displaced, i);
    lm[3 * i] = PX * (R[0] * p[0] + R[1] * p[1] + R[2] * p[2]);
    lm[3 * i + 1] = -PX * (R[3] * p[0] + R[4] * p[1] + R[5] * p[2]);
    lm[3 * i + 2] = -PX * (R[6] * p[0] + R[7] * p[1] + R[8] * p[2]);
  }
  for (let i = 0; i < head.displaced.length; i += 3) {
    const z = R[6] * head.displaced[i]! + R[7] * head.displaced[i + 1]! + R[8] * head.displaced[i + 2]!;
    if (z < zMin) zMin = z; if (z > zMax) zMax = z;
  }
  const { transform } = seifFrameTransform(lm, { size });
  const A = transform.imageToFrame;
  // roll 'keep': a pure scale + translation; frame X = A0 x + A2, Y = A4 y + A5 with y = -PX * Y_model.
  const k = PX * A[0];
  const t: Vec3 = [A[2], A[5], -k * (zMin + zMax) / 2];
  const gtWorld = transformVertices(head.displaced, R, k, t);
  const flameWorld = transformVertices(head.flame, R, k, t);
  const implicit = new PlacedImplicit(parts, R, k, t);

  // 3. Render: rasterize the head mesh (visibility, normals), sphere-trace the implicits, shade both alike.
  const camera = seifFrameCamera(size);
  const colors = vertexColors(model, head.displaced, skin, iris, rng);
  const buf = rasterizer.render({ positions: gtWorld, indices: model.faces }, camera, { buffers: { normal: true } }, createBuffers(size, size, { normal: true }));
  const lights: Light[] = [];
  const nLights = 1 + rng.int(2);
  for (let i = 0; i < nLights; i++) lights.push({ direction: [rng.uniform(-1, 1), rng.uniform(-0.5, 1), rng.uniform(0.2, 1)], intensity: rng.uniform(0.4, 0.9) / nLights });
  for (const l of lights) { const n = Math.hypot(...l.direction); l.direction = [l.direction[0] / n, l.direction[1] / n, l.direction[2] / n]; }
  const ambient = rng.uniform(0.15, 0.45);
  const specular = rng.uniform(0.0, 0.08);
  const bgKind = rng.chance(0.5) ? 'gradient' : 'noise';
  const bgA: Vec3 = [rng.next(), rng.next(), rng.next()], bgB: Vec3 = [rng.next(), rng.next(), rng.next()];
  const bgAngle = rng.uniform(0, 2 * Math.PI), bgSeed = rng.int(1 << 30), bgScale = rng.uniform(3, 20);
  const image = new Uint8Array(3 * size * size);
  const mask = new Uint8Array(size * size);
  const normal = new Float64Array(3);
  const which = new Int32Array(1);
  const faces = model.faces;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const p = py * size + px;
      const X = (px + 0.5) / size - 0.5, Y = 0.5 - (py + 0.5) / size;
      const tri = buf.triangleId[p]!;
      const meshZ = tri >= 0 ? 10 - buf.depth[p]! : -0.6;
      // Sphere trace from the front; 0.7 x the bound as the step, since the noise and the ellipsoid
      // approximation make it a loose distance.
      let Z = 0.6, hitZ = -Infinity;
      let d = implicit.sdf(X, Y, Z);
      for (let it = 0; it < 96 && Z > meshZ; it++) {
        if (d < 4e-4) { hitZ = Z; break; }
        const step = Math.max(0.7 * d, 1e-3);
        const Zn = Z - step;
        const dn = implicit.sdf(X, Y, Zn);
        if (dn < 0) {
          // Bisect the crossing between Zn (inside) and Z (outside).
          let lo = Zn, hi = Z;
          for (let b = 0; b < 10; b++) { const mid = (lo + hi) / 2; if (implicit.sdf(X, Y, mid) < 0) lo = mid; else hi = mid; }
          hitZ = (lo + hi) / 2;
          break;
        }
        Z = Zn; d = dn;
      }
      let albedo: Vec3;
      let nx: number, ny: number, nz: number;
      if (hitZ > meshZ && hitZ > -0.6) {
        implicit.normal(X, Y, hitZ, normal);
        implicit.sdf(X, Y, hitZ, which);
        const part = parts[which[0]!]!;
        // The body is skin down the neck and clothing from the collar (7 cm under the neck's base) down.
        albedo = part.kind === 'body' && implicit.toModel(X, Y, hitZ)[1] < geometry.neckBase[1] - 0.07 ? clothing : part.albedo;
        nx = normal[0]!; ny = normal[1]!; nz = normal[2]!;
      } else if (tri >= 0) {
        const b1 = buf.barycentric[2 * p]!, b2 = buf.barycentric[2 * p + 1]!, b0 = 1 - b1 - b2;
        const a = 3 * faces[3 * tri]!, b = 3 * faces[3 * tri + 1]!, c = 3 * faces[3 * tri + 2]!;
        albedo = [b0 * colors[a]! + b1 * colors[b]! + b2 * colors[c]!, b0 * colors[a + 1]! + b1 * colors[b + 1]! + b2 * colors[c + 1]!, b0 * colors[a + 2]! + b1 * colors[b + 2]! + b2 * colors[c + 2]!];
        nx = buf.normal![3 * p]!; ny = buf.normal![3 * p + 1]!; nz = buf.normal![3 * p + 2]!;
      } else {
        let tt: number;
        if (bgKind === 'gradient') tt = 0.5 + (Math.cos(bgAngle) * X + Math.sin(bgAngle) * Y);
        else tt = 0.5 + 0.5 * (valueNoise3(X * bgScale, Y * bgScale, 0.5, bgSeed) * 0.7 + valueNoise3(X * bgScale * 4, Y * bgScale * 4, 1.5, bgSeed) * 0.3);
        const col = mix(bgA, bgB, Math.max(0, Math.min(1, tt)));
        image[3 * p] = toSrgbByte(col[0]); image[3 * p + 1] = toSrgbByte(col[1]); image[3 * p + 2] = toSrgbByte(col[2]);
        continue;
      }
      mask[p] = 255;
      let diffuse = ambient, spec = 0;
      for (const l of lights) {
        const ndl = nx * l.direction[0] + ny * l.direction[1] + nz * l.direction[2];
        if (ndl > 0) {
          diffuse += l.intensity * ndl;
          // Blinn half vector with the view direction (0, 0, 1).
          const hx = l.direction[0], hy = l.direction[1], hz = l.direction[2] + 1;
          const hn = Math.hypot(hx, hy, hz);
          spec += l.intensity * Math.pow(Math.max(0, (nx * hx + ny * hy + nz * hz) / hn), 16);
        }
      }
      for (let c = 0; c < 3; c++) image[3 * p + c] = toSrgbByte(albedo[c]! * diffuse + specular * spec);
    }
  }
  const tRender = performance.now();

  // 4. FLAME prior: normals and depth of the prior FLAME mesh in the frame (camera space = SeIF frame).
  const priorVertices = await prior.vertices({ image, size, groundTruthFlame: flameWorld, model });
  const tPrior = performance.now();
  if (!priorVertices) throw new SeifError('LANDMARKS_FAILED', `synth sample ${index}: the FLAME prior (${prior.name}) failed`);
  // How far the prior is from the truth (mean vertex distance, mm), recorded per sample for honest reporting.
  let priorError = 0;
  for (let i = 0; i < priorVertices.length; i += 3) {
    priorError += Math.hypot(priorVertices[i]! - flameWorld[i]!, priorVertices[i + 1]! - flameWorld[i + 1]!, priorVertices[i + 2]! - flameWorld[i + 2]!);
  }
  priorError = (1000 * priorError) / (priorVertices.length / 3) / k;
  const { normal: flameNormal, depth: flameDepth } = renderPriorMaps(priorVertices, faces, size, rasterizer);

  // 5. Occupancy samples and labels.
  const points = new Float32Array(3 * P);
  const nNear = Math.round(0.45 * P), nFar = Math.round(0.35 * P), nUniform = P - nNear - nFar;
  const nSurface = nNear + nFar;
  const nImplicit = Math.round(0.4 * nSurface);
  const made = sampleImplicit(implicit, nImplicit, rng, points, 0);
  sampleSurface(gtWorld, faces, nSurface - made, rng, points, made);
  // Shuffle surface points so both noise scales see mesh and implicit surfaces.
  for (let i = nSurface - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    for (let c = 0; c < 3; c++) { const tmp = points[3 * i + c]!; points[3 * i + c] = points[3 * j + c]!; points[3 * j + c] = tmp; }
  }
  for (let i = 0; i < nSurface; i++) {
    const sigma = i < nNear ? 0.006 : 0.03;
    for (let c = 0; c < 3; c++) points[3 * i + c] = Math.max(-0.5, Math.min(0.5, points[3 * i + c]! + sigma * rng.normal()));
  }
  for (let i = nSurface; i < P; i++) for (let c = 0; c < 3; c++) points[3 * i + c] = rng.uniform(-0.5, 0.5);
  const closed = makeWatertight(gtWorld, faces);
  const winding = windingNumbers(closed.positions, closed.indices, points);
  const occupancy = new Uint8Array(P);
  let inside = 0;
  for (let i = 0; i < P; i++) {
    const inMesh = winding[i]! > 0.5;
    occupancy[i] = inMesh || implicit.sdf(points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!) < 0 ? 1 : 0;
    inside += occupancy[i]!;
  }
  const tOcc = performance.now();

  // 6. Semantic codes: ground truth from the displaced GT FLAME part; the prior from the prior mesh.
  const codesGt = semanticFieldForHead(model, gtWorld).query(points);
  const codesPrior = prior.name === 'ground-truth' && priorVertices === flameWorld
    ? semanticFieldForHead(model, flameWorld).query(points)
    : semanticFieldForHead(model, priorVertices).query(points);
  const tEnd = performance.now();

  return {
    ...(options.keepScene ? { scene: { closed: { positions: closed.positions, indices: closed.indices }, implicit, gtFlame: gtWorld, priorFlame: priorVertices } } : {}),
    size, image, flameNormal, flameDepth, mask, points, occupancy, codesPrior, codesGt,
    meta: {
      seed, index, hair: style, beard, yaw, pitch, roll, expressions: head.expressions, jaw: head.params.pose[6],
      maxDisplacementMm: 1000 * head.maxDisplacement, frameScale: k, prior: prior.name, priorErrorMm: Math.round(priorError * 100) / 100, insideFraction: inside / P,
      watertight: { cappedLoops: closed.report.cappedLoops, nonManifoldEdges: closed.report.nonManifoldEdges },
      identity: Array.from(head.params.identity, (x) => Math.round(x * 1e4) / 1e4),
      ms: { render: Math.round(tRender - t0), prior: Math.round(tPrior - tRender), occupancy: Math.round(tOcc - tRender), codes: Math.round(tEnd - tOcc) },
    },
  };
}
