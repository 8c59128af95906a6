/**
 * Random heads from the default open model (never ICT-FaceKit's identity model: that is the evaluation source):
 * identity beta ~ N(0, 1) clipped at +-2.5, a few random ARKit expressions, jaw, neck and gaze rotations; then
 * smooth random displacement fields on the nose, cheeks, chin and brow that the FLAME space cannot express, so a
 * network has to read that shape from shading rather than copy the FLAME prior.
 */
import { type FlameParams, type HeadModel, evaluate, sampleLandmarks } from '@seif/flame';
import { computeVertexNormals } from '../render/mesh.js';
import type { HeadGeometry, Vec3 } from './implicit.js';
import { Random, valueNoise3 } from './random.js';

export const IDENTITY_CLIP = 2.5;

export interface RandomHead {
  params: { identity: Float32Array; expression: Float32Array; pose: Float32Array };
  /** Active expressions (name -> weight), for the shard metadata. */
  expressions: Record<string, number>;
  /** Posed FLAME vertices (model space): the ground-truth FLAME part, without displacements. */
  flame: Float32Array;
  /** The same with the displacement fields: the ground-truth head surface. */
  displaced: Float32Array;
  /** Largest displacement, metres. */
  maxDisplacement: number;
}

/** MediaPipe indices used to measure a head (normalise.ts and landmarks.ts use the same ones). */
const MP = { chin: 152, forehead: 10, mouth: 13, noseTip: 4 } as const;

export function landmark(model: HeadModel, vertices: ArrayLike<number>, index: number): Vec3 {
  const e = model.landmarks.mediapipe478;
  if (!e || e.faceIndex.length < 478) throw new RangeError(`head model ${model.name} lacks the 478-point MediaPipe embedding`);
  const out = sampleLandmarks(model, vertices, { faceIndex: e.faceIndex.subarray(index, index + 1), barycentric: e.barycentric.subarray(3 * index, 3 * index + 3) });
  return [out[0]!, out[1]!, out[2]!];
}

function maskSet(model: HeadModel, name: string): Uint32Array {
  const m = model.masks[name];
  if (!m) throw new RangeError(`head model ${model.name} has no mask "${name}"`);
  return m;
}

export function randomHead(model: HeadModel, rng: Random): RandomHead {
  const nId = model.identity.names.length;
  const identity = new Float32Array(nId);
  for (let i = 0; i < nId; i++) identity[i] = Math.max(-IDENTITY_CLIP, Math.min(IDENTITY_CLIP, rng.normal()));
  const expression = new Float32Array(model.expression.names.length);
  const expressions: Record<string, number> = {};
  const active = rng.int(7); // 0..6 shapes
  for (let k = 0; k < active; k++) {
    const i = rng.int(expression.length);
    const name = model.expression.names[i]!;
    if (name === 'jawOpen' || name === 'tongueOut') continue; // the jaw comes from the joint below
    expression[i] = rng.uniform(0.1, 0.9);
    expressions[name] = expression[i]!;
  }
  const pose = new Float32Array(3 * model.joints.names.length);
  const jawOpen = rng.chance(0.4) ? rng.uniform(0, 0.25) : 0;
  pose[3 * 2] = jawOpen; // jaw pitch
  if (jawOpen > 0) {
    const j = model.expression.names.indexOf('jawOpen');
    // The model's jawOpen shape is the corrective for the jaw rotation (libs/flame README): pair them.
    if (j >= 0) { expression[j] = Math.min(1, jawOpen / 0.35); expressions.jawOpen = expression[j]!; }
  }
  // Neck: small relative head/torso pose; the view itself comes from the camera (sample.ts).
  pose[3] = rng.uniform(-0.12, 0.12);
  pose[4] = rng.uniform(-0.15, 0.15);
  pose[5] = rng.uniform(-0.06, 0.06);
  const gx = rng.uniform(-0.2, 0.2), gy = rng.uniform(-0.3, 0.3);
  pose[9] = gx; pose[10] = gy; pose[12] = gx; pose[13] = gy;
  const params: FlameParams = { identity, expression, pose };
  const flame = new Float32Array(3 * model.vertexCount);
  evaluate(model, params, flame);
  const { displaced, maxDisplacement } = displace(model, flame, rng);
  return { params: { identity, expression, pose }, expressions, flame, displaced, maxDisplacement };
}

/**
 * Smooth displacement along the vertex normals on the nose, cheeks, chin and brow: a few Gaussian bumps (radius
 * 8-20 mm in template space, amplitude up to ~4 mm) per region plus low-frequency noise, all faded to zero at
 * the face mask's border so the surface stays closed and smooth.
 */
export function displace(model: HeadModel, vertices: Float32Array, rng: Random): { displaced: Float32Array; maxDisplacement: number } {
  const T = model.template;
  const face = maskSet(model, 'face');
  const nose = maskSet(model, 'nose');
  const forehead = maskSet(model, 'forehead');
  const mouth = landmark(model, T, MP.mouth);
  const noseTip = landmark(model, T, MP.noseTip);
  const eyeY = noseTip[1] + 0.6 * (landmark(model, T, MP.forehead)[1] - noseTip[1]) * 0.5;
  const pick = (set: ArrayLike<number>) => set[rng.int(set.length)]!;
  const chin: number[] = [], cheeks: number[] = [], brow: number[] = [];
  for (const v of face) {
    const x = T[3 * v]!, y = T[3 * v + 1]!;
    if (y < mouth[1] - 0.01 && Math.abs(x) < 0.025) chin.push(v);
    if (Math.abs(x) > 0.03 && Math.abs(x) < 0.06 && y > mouth[1] && y < eyeY) cheeks.push(v);
  }
  for (const v of forehead) if (T[3 * v + 1]! < eyeY + 0.05) brow.push(v);
  const regions = [nose, chin, cheeks, brow].filter((r) => r.length > 0);
  const bumps: Array<{ c: number; a: number; r2: number }> = [];
  for (const region of regions) {
    const count = 1 + rng.int(3);
    for (let k = 0; k < count; k++) {
      const a = Math.max(-0.004, Math.min(0.004, rng.normal() * 0.002));
      const r = rng.uniform(0.008, 0.02);
      bumps.push({ c: pick(region), a, r2: 2 * r * r });
    }
  }
  const noiseSeed = rng.int(1 << 30);
  const noiseAmp = rng.uniform(0, 0.0015);
  // Fade to 0 toward the face border: distance (template space) to the nearest non-face vertex, via the face set.
  const inFace = new Uint8Array(model.vertexCount);
  for (const v of face) inFace[v] = 1;
  const border: number[] = [];
  for (let f = 0; f < model.faces.length; f += 3) {
    const a = model.faces[f]!, b = model.faces[f + 1]!, c = model.faces[f + 2]!;
    const n = inFace[a]! + inFace[b]! + inFace[c]!;
    if (n > 0 && n < 3) for (const v of [a, b, c]) if (inFace[v]) border.push(v);
  }
  const normals = computeVertexNormals(vertices, model.faces);
  const out = Float32Array.from(vertices);
  let maxD = 0;
  for (const v of face) {
    const x = T[3 * v]!, y = T[3 * v + 1]!, z = T[3 * v + 2]!;
    let d = noiseAmp * valueNoise3(x * 40, y * 40, z * 40, noiseSeed);
    for (const b of bumps) {
      const dx = x - T[3 * b.c]!, dy = y - T[3 * b.c + 1]!, dz = z - T[3 * b.c + 2]!;
      d += b.a * Math.exp(-(dx * dx + dy * dy + dz * dz) / b.r2);
    }
    let nearest = Infinity;
    for (let i = 0; i < border.length; i += 4) {
      const u = border[i]!;
      const dd = (x - T[3 * u]!) ** 2 + (y - T[3 * u + 1]!) ** 2 + (z - T[3 * u + 2]!) ** 2;
      if (dd < nearest) nearest = dd;
    }
    d *= Math.min(1, Math.sqrt(nearest) / 0.015);
    for (let k = 0; k < 3; k++) out[3 * v + k] = vertices[3 * v + k]! + d * normals[3 * v + k]!;
    if (Math.abs(d) > maxD) maxD = Math.abs(d);
  }
  return { displaced: out, maxDisplacement: maxD };
}

/** Where the hair, beard and neck go for this posed head (model space). */
export function headGeometry(model: HeadModel, v: Float32Array): HeadGeometry {
  const stats = (sets: string[]) => {
    const min: Vec3 = [Infinity, Infinity, Infinity], max: Vec3 = [-Infinity, -Infinity, -Infinity];
    for (const s of sets) for (const i of maskSet(model, s)) for (let k = 0; k < 3; k++) {
      min[k] = Math.min(min[k]!, v[3 * i + k]!); max[k] = Math.max(max[k]!, v[3 * i + k]!);
    }
    return { min, max };
  };
  const skull = stats(['scalp', 'forehead']);
  const ears = stats(['left_ear', 'right_ear']);
  const fh = stats(['forehead']);
  const earTopY = ears.max[1];
  const cy = earTopY;
  // +3 mm so the shell starts just outside the skull rather than inside it.
  const scalpRadii: Vec3 = [(skull.max[0] - skull.min[0]) / 2 + 0.003, skull.max[1] - cy + 0.003, (skull.max[2] - skull.min[2]) / 2 + 0.003];
  const scalpCenter: Vec3 = [(skull.max[0] + skull.min[0]) / 2, cy, (skull.max[2] + skull.min[2]) / 2];
  const mouth = landmark(model, v, MP.mouth);
  const chin = landmark(model, v, MP.chin);
  const nose = landmark(model, v, MP.noseTip);
  const jmin: Vec3 = [Infinity, Infinity, Infinity], jmax: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const i of maskSet(model, 'face')) {
    if (v[3 * i + 1]! > mouth[1]) continue;
    for (let k = 0; k < 3; k++) { jmin[k] = Math.min(jmin[k]!, v[3 * i + k]!); jmax[k] = Math.max(jmax[k]!, v[3 * i + k]!); }
  }
  const boundary = maskSet(model, 'boundary');
  const nb: Vec3 = [0, 0, 0];
  for (const i of boundary) for (let k = 0; k < 3; k++) nb[k] = nb[k]! + v[3 * i + k]! / boundary.length;
  let rsum = 0;
  for (const i of boundary) rsum += Math.hypot(v[3 * i]! - nb[0], v[3 * i + 2]! - nb[2]);
  return {
    scalpCenter, scalpRadii, hairlineY: fh.max[1] - 0.005, earTopY, mouthY: mouth[1], chinY: chin[1], faceFrontZ: nose[2],
    jawCenter: [(jmin[0] + jmax[0]) / 2, (jmin[1] + jmax[1]) / 2, (jmin[2] + jmax[2]) / 2],
    jawHalf: [(jmax[0] - jmin[0]) / 2, (jmax[1] - jmin[1]) / 2, (jmax[2] - jmin[2]) / 2],
    neckBase: nb, neckRadius: rsum / boundary.length,
  };
}
