/**
 * Procedural geometry FLAME cannot express, as implicit surfaces (signed distance bounds, negative inside) in
 * head-model space (metres, +y up, +z toward the face), built around a posed FLAME head: hair volumes over the
 * scalp (seven styles), beards, a neck with shoulders. Inside/outside is exact (the sign of the function); the
 * magnitude is a distance bound good enough for sphere tracing with a safety factor (the ellipsoid distance is
 * Quilez's approximation, noise adds a bounded offset).
 */
import { Random, valueNoise3 } from './random.js';

export type Vec3 = [number, number, number];

export const HAIR_STYLES = Object.freeze(['short-crop', 'bob', 'long-straight', 'curly-volume', 'bun', 'ponytail', 'bald'] as const);
export type HairStyle = (typeof HAIR_STYLES)[number];

/** Where a head's parts are, measured on the posed FLAME vertices (see headGeometry in head.ts). */
export interface HeadGeometry {
  /** Ellipsoid through the scalp and forehead. */
  scalpCenter: Vec3;
  scalpRadii: Vec3;
  /** Height of the hairline (top of the forehead mask). */
  hairlineY: number;
  earTopY: number;
  mouthY: number;
  chinY: number;
  /** Front-most z of the face (nose tip). */
  faceFrontZ: number;
  /** Box of the jaw and chin below the mouth: centre and half extents. */
  jawCenter: Vec3;
  jawHalf: Vec3;
  /** Centre and mean radius of the neck's open boundary. */
  neckBase: Vec3;
  neckRadius: number;
}

export type PartKind = 'hair' | 'beard' | 'body';

export interface ImplicitPart {
  kind: PartKind;
  /** Linear albedo. */
  albedo: Vec3;
  sdf(x: number, y: number, z: number): number;
}

function ellipsoid(x: number, y: number, z: number, r: Vec3): number {
  const k0 = Math.hypot(x / r[0], y / r[1], z / r[2]);
  const k1 = Math.hypot(x / (r[0] * r[0]), y / (r[1] * r[1]), z / (r[2] * r[2]));
  return k1 > 1e-12 ? (k0 * (k0 - 1)) / k1 : -Math.min(r[0], r[1], r[2]);
}

function capsule(x: number, y: number, z: number, a: Vec3, b: Vec3, ra: number, rb: number): number {
  const bax = b[0] - a[0], bay = b[1] - a[1], baz = b[2] - a[2];
  const pax = x - a[0], pay = y - a[1], paz = z - a[2];
  const h = Math.max(0, Math.min(1, (pax * bax + pay * bay + paz * baz) / (bax * bax + bay * bay + baz * baz)));
  return Math.hypot(pax - bax * h, pay - bay * h, paz - baz * h) - (ra + (rb - ra) * h);
}

function roundBox(x: number, y: number, z: number, c: Vec3, half: Vec3, round: number): number {
  const qx = Math.abs(x - c[0]) - half[0] + round;
  const qy = Math.abs(y - c[1]) - half[1] + round;
  const qz = Math.abs(z - c[2]) - half[2] + round;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0), Math.max(qz, 0)) + Math.min(Math.max(qx, qy, qz), 0) - round;
}

function smin(a: number, b: number, k: number): number {
  const h = Math.max(k - Math.abs(a - b), 0) / k;
  return Math.min(a, b) - (h * h * k) / 4;
}

const smoothstep = (e0: number, e1: number, x: number) => {
  const t = Math.max(0, Math.min(1, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
};

export interface HairParams {
  style: HairStyle;
  /** Shell thickness over the scalp at the crown, metres. */
  thickness: number;
  /** Extra thickness per scalp radius below the centre (volume toward the bottom: bobs, curls). */
  thicknessDown: number;
  /** Where the hair ends at the back, as a y coordinate. */
  backY: number;
  /** Hairline height offset (negative: a fringe lower on the forehead). */
  fringe: number;
  noiseAmplitude: number;
  noiseScale: number;
  noiseSeed: number;
  albedo: Vec3;
  /** Extra primitive for bun / ponytail / long hair. */
  extra?: { kind: 'sphere'; center: Vec3; radius: number } | { kind: 'capsule'; a: Vec3; b: Vec3; ra: number; rb: number } | { kind: 'box'; center: Vec3; half: Vec3; round: number };
}

/** Random hair of `style` for a head. */
export function randomHair(style: HairStyle, g: HeadGeometry, albedo: Vec3, rng: Random): HairParams | undefined {
  if (style === 'bald') return undefined;
  const [cx, cy, cz] = g.scalpCenter;
  const [rx, ry, rz] = g.scalpRadii;
  const base: HairParams = {
    style, thickness: rng.uniform(0.004, 0.01), thicknessDown: 0, backY: g.earTopY - rng.uniform(0, 0.03),
    fringe: rng.uniform(-0.005, 0.01), noiseAmplitude: rng.uniform(0.0005, 0.002), noiseScale: rng.uniform(0.01, 0.02),
    noiseSeed: rng.int(1 << 30), albedo,
  };
  switch (style) {
    case 'short-crop':
      return base;
    case 'bob':
      return { ...base, thickness: rng.uniform(0.01, 0.02), thicknessDown: rng.uniform(0.01, 0.025), backY: g.mouthY - rng.uniform(0, 0.03), fringe: rng.uniform(-0.03, 0) };
    case 'curly-volume':
      return { ...base, thickness: rng.uniform(0.03, 0.05), thicknessDown: rng.uniform(0.0, 0.02), backY: g.chinY + rng.uniform(-0.01, 0.03),
        fringe: rng.uniform(-0.01, 0.01), noiseAmplitude: rng.uniform(0.006, 0.012), noiseScale: rng.uniform(0.012, 0.02) };
    case 'long-straight': {
      const t = rng.uniform(0.008, 0.015);
      const bottom = g.chinY - rng.uniform(0.05, 0.15);
      return { ...base, thickness: t, thicknessDown: rng.uniform(0.005, 0.015), backY: g.chinY, fringe: rng.uniform(-0.03, 0.005),
        extra: { kind: 'box', center: [cx, (cy + bottom) / 2, cz - 0.5 * rz], half: [rx + t + 0.005, (cy - bottom) / 2, 0.5 * rz + t], round: 0.03 } };
    }
    case 'bun': {
      const r = rng.uniform(0.028, 0.045);
      return { ...base, extra: { kind: 'sphere', center: [cx + rng.uniform(-0.01, 0.01), cy + 0.55 * ry + rng.uniform(-0.02, 0.03), cz - 0.7 * rz], radius: r } };
    }
    case 'ponytail': {
      const top: Vec3 = [cx, cy + rng.uniform(-0.1, 0.4) * ry, cz - 0.9 * rz];
      const bottom: Vec3 = [cx + rng.uniform(-0.02, 0.02), g.chinY - rng.uniform(0.0, 0.08), cz - rz - rng.uniform(0.02, 0.06)];
      return { ...base, extra: { kind: 'capsule', a: top, b: bottom, ra: rng.uniform(0.018, 0.028), rb: rng.uniform(0.008, 0.015) } };
    }
  }
}

export function hairPart(h: HairParams, g: HeadGeometry): ImplicitPart {
  const [cx, cy, cz] = g.scalpCenter;
  const r = g.scalpRadii;
  const hairline = g.hairlineY + h.fringe;
  // Front/back blend of the cut height: the face side (z near the face front) keeps the hairline, the back of
  // the head goes down to backY; the blend runs over the temples.
  const zFront = cz + 0.35 * r[2];
  const zBack = cz - 0.15 * r[2];
  const inv = 1 / h.noiseScale;
  return {
    kind: 'hair',
    albedo: h.albedo,
    sdf(x, y, z) {
      const down = Math.max(0, Math.min(1.5, (cy - y) / r[1]));
      let d = ellipsoid(x - cx, y - cy, z - cz, r) - (h.thickness + h.thicknessDown * down);
      const w = smoothstep(zFront, zBack, z);
      const cut = hairline + (h.backY - hairline) * w;
      d = Math.max(d, cut - y);
      if (h.extra) {
        const e = h.extra;
        const de = e.kind === 'sphere'
          ? Math.hypot(x - e.center[0], y - e.center[1], z - e.center[2]) - e.radius
          : e.kind === 'capsule' ? capsule(x, y, z, e.a, e.b, e.ra, e.rb) : roundBox(x, y, z, e.center, e.half, e.round);
        d = smin(d, de, 0.01);
      }
      if (h.noiseAmplitude > 0) d += h.noiseAmplitude * valueNoise3(x * inv, y * inv, z * inv, h.noiseSeed);
      return d;
    },
  };
}

export function beardPart(g: HeadGeometry, albedo: Vec3, rng: Random): ImplicitPart {
  // An ellipsoid inscribed in the jaw's box bulges out of the face less than one around it: the shell then
  // stands 3-10 mm proud of the chin and jaw and stays inside the face elsewhere (hidden there).
  const t = rng.uniform(0.003, 0.01);
  const c = g.jawCenter;
  const half = g.jawHalf;
  const r: Vec3 = [half[0] * 0.95, half[1] * 1.0, half[2] * 0.95];
  const top = g.mouthY - rng.uniform(0.008, 0.015);
  const seed = rng.int(1 << 30);
  const amp = rng.uniform(0.0005, 0.0015);
  return {
    kind: 'beard',
    albedo,
    sdf(x, y, z) {
      let d = ellipsoid(x - c[0], y - c[1], z - c[2], r) - t;
      d = Math.max(d, y - top, c[2] - 0.3 * half[2] - z);
      return d + amp * valueNoise3(x * 150, y * 150, z * 150, seed);
    },
  };
}

export function bodyPart(g: HeadGeometry, albedo: Vec3, rng: Random): ImplicitPart {
  const n = g.neckBase;
  const rNeck = g.neckRadius * rng.uniform(0.95, 1.05);
  const top: Vec3 = [n[0], n[1] + 0.03, n[2]];
  const bottom: Vec3 = [n[0], n[1] - 0.12, n[2] - 0.01];
  const shoulders: Vec3 = [n[0], n[1] - rng.uniform(0.11, 0.15), n[2] - 0.015];
  const sr: Vec3 = [rng.uniform(0.17, 0.22), rng.uniform(0.06, 0.08), rng.uniform(0.09, 0.12)];
  return {
    kind: 'body',
    albedo,
    sdf(x, y, z) {
      return smin(capsule(x, y, z, top, bottom, rNeck, rNeck * 1.1), ellipsoid(x - shoulders[0], y - shoulders[1], z - shoulders[2], sr), 0.04);
    },
  };
}

/** The union of parts, with a uniform similarity applied: world (e.g. SeIF frame) = scale * R * model + t. */
export class PlacedImplicit {
  constructor(
    readonly parts: readonly ImplicitPart[],
    /** Row-major model -> world rotation. */
    readonly rotation: readonly number[],
    readonly scale: number,
    readonly translation: Vec3,
  ) {}

  /** World -> model space. */
  toModel(X: number, Y: number, Z: number): Vec3 {
    const R = this.rotation;
    const x = (X - this.translation[0]) / this.scale, y = (Y - this.translation[1]) / this.scale, z = (Z - this.translation[2]) / this.scale;
    // R^T (world - t) / s
    return [R[0]! * x + R[3]! * y + R[6]! * z, R[1]! * x + R[4]! * y + R[7]! * z, R[2]! * x + R[5]! * y + R[8]! * z];
  }

  /** Union distance bound in world units; `part` (optional, 1 value) receives the index of the nearest part. */
  sdf(X: number, Y: number, Z: number, part?: Int32Array): number {
    const [x, y, z] = this.toModel(X, Y, Z);
    let best = Infinity;
    let which = -1;
    for (let i = 0; i < this.parts.length; i++) {
      const d = this.parts[i]!.sdf(x, y, z);
      if (d < best) { best = d; which = i; }
    }
    if (part) part[0] = which;
    return best * this.scale;
  }

  /** Outward unit normal in world space (central differences), written to out. */
  normal(X: number, Y: number, Z: number, out: Float64Array, h = 5e-4): Float64Array {
    const dx = this.sdf(X + h, Y, Z) - this.sdf(X - h, Y, Z);
    const dy = this.sdf(X, Y + h, Z) - this.sdf(X, Y - h, Z);
    const dz = this.sdf(X, Y, Z + h) - this.sdf(X, Y, Z - h);
    const l = Math.hypot(dx, dy, dz) || 1;
    out[0] = dx / l; out[1] = dy / l; out[2] = dz / l;
    return out;
  }
}
