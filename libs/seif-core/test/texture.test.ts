/**
 * texture: completeness and seams on a real photo's bake; accuracy against a head rendered with a KNOWN texture.
 *
 * Measured (2026-11): known-texture bake (a smooth 3-cycle colour pattern), the 266k texels the render sees with
 * photo weight >= 0.9: mean absolute error 0.32 / 255 per channel, 95th percentile 1.0 (bilinear resampling
 * texture -> 512 render -> texture; a flipped v or a mis-registered projection gives tens). Seams on
 * photo-model-face (95 FLAME seam edges, 3 points each): mean 0.06 / 255, p95 0.4 — colours are computed from 3D
 * points, so both sides of a seam agree by construction; the bound leaves room for texel quantisation.
 */
import { type HeadModel, evaluate } from '@seif/flame';
import { assetPath } from '@seif/models';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../src/image/image.js';
import { reconstruct } from '../src/pipeline/reconstruct.js';
import { disposeModels } from '../src/runtime/registry.js';
import { type FitOutput, defaultHeadModel } from '../src/stages/fit.js';
import { TextureStage, pullPush, uvLayout } from '../src/stages/texture.js';
import { framingCamera, knownParams, renderKnownHead } from './flame-head.js';

const SEAM_MEAN_BOUND = 3;
const SEAM_P95_BOUND = 10;
const KNOWN_MEAN_BOUND = 2;
const KNOWN_P95_BOUND = 6;

let model: HeadModel;
let photoTexture: RgbImage;

beforeAll(async () => {
  model = await defaultHeadModel();
  const result = await reconstruct(await assetPath('photo-model-face'), { formats: [], textureSize: 1024, thumbnailSize: 0 });
  const png = result.files.find((f) => f.kind === 'TEXTURE')!.data;
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  photoTexture = { data: new Uint8Array(data), width: info.width, height: info.height };
});
afterAll(disposeModels);

function bilinear(image: RgbImage, u: number, v: number, out: number[]): void {
  const x = Math.min(image.width - 1, Math.max(0, u * image.width - 0.5));
  const y = Math.min(image.height - 1, Math.max(0, (1 - v) * image.height - 0.5));
  const x0 = Math.floor(x), y0 = Math.floor(y), x1 = Math.min(x0 + 1, image.width - 1), y1 = Math.min(y0 + 1, image.height - 1);
  const ax = x - x0, ay = y - y0;
  for (let c = 0; c < 3; c++) {
    const at = (xx: number, yy: number) => image.data[3 * (yy * image.width + xx) + c]!;
    out[c] = (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x1, y0)) + ay * ((1 - ax) * at(x0, y1) + ax * at(x1, y1));
  }
}

const percentile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))]!;

describe('texture baked from a photo (photo-model-face)', () => {
  it('has no pure-black texel inside the UV islands (nor anywhere else)', () => {
    const layout = uvLayout(model, photoTexture.width);
    let island = 0, black = 0, blackAnywhere = 0;
    for (let p = 0; p < layout.triangle.length; p++) {
      const isBlack = photoTexture.data[3 * p]! + photoTexture.data[3 * p + 1]! + photoTexture.data[3 * p + 2]! === 0;
      if (isBlack) blackAnywhere++;
      if (layout.triangle[p]! < 0) continue;
      island++;
      if (isBlack) black++;
    }
    expect(island).toBeGreaterThan(0.3 * layout.triangle.length);
    expect(black).toBe(0);
    expect(blackAnywhere).toBe(0);
  });

  it(`is continuous across UV seams (mean < ${SEAM_MEAN_BOUND}, p95 < ${SEAM_P95_BOUND} of 255)`, () => {
    const uv = model.uv!;
    // 3D edge -> the uv corners of each face using it.
    const edges = new Map<string, Array<[number, number]>>();
    for (let f = 0; f < model.faces.length / 3; f++) {
      for (let k = 0; k < 3; k++) {
        const a = model.faces[3 * f + k]!, b = model.faces[3 * f + ((k + 1) % 3)]!;
        const ta = uv.faces[3 * f + k]!, tb = uv.faces[3 * f + ((k + 1) % 3)]!;
        const key = a < b ? `${a},${b}` : `${b},${a}`;
        const pair: [number, number] = a < b ? [ta, tb] : [tb, ta];
        const list = edges.get(key) ?? [];
        list.push(pair);
        edges.set(key, list);
      }
    }
    const diffs: number[] = [];
    const s = [0, 0, 0], t = [0, 0, 0];
    for (const list of edges.values()) {
      if (list.length !== 2) continue;
      const [[a0, b0], [a1, b1]] = list as [[number, number], [number, number]];
      if (a0 === a1 && b0 === b1) continue; // not a seam
      for (const f of [0.2, 0.5, 0.8]) {
        bilinear(photoTexture, (1 - f) * uv.coords[2 * a0]! + f * uv.coords[2 * b0]!, (1 - f) * uv.coords[2 * a0 + 1]! + f * uv.coords[2 * b0 + 1]!, s);
        bilinear(photoTexture, (1 - f) * uv.coords[2 * a1]! + f * uv.coords[2 * b1]!, (1 - f) * uv.coords[2 * a1 + 1]! + f * uv.coords[2 * b1 + 1]!, t);
        diffs.push((Math.abs(s[0]! - t[0]!) + Math.abs(s[1]! - t[1]!) + Math.abs(s[2]! - t[2]!)) / 3);
      }
    }
    expect(diffs.length).toBeGreaterThan(100);
    const mean = diffs.reduce((x, y) => x + y, 0) / diffs.length;
    console.info(`seam discontinuity over ${diffs.length / 3} seam edges: mean ${mean.toFixed(2)}, p95 ${percentile(diffs, 0.95).toFixed(1)} (of 255)`);
    expect(mean).toBeLessThan(SEAM_MEAN_BOUND);
    expect(percentile(diffs, 0.95)).toBeLessThan(SEAM_P95_BOUND);
  });
});

describe('texture baked from a render with a known texture', () => {
  it(`reproduces the visible region (mean < ${KNOWN_MEAN_BOUND}, p95 < ${KNOWN_P95_BOUND} of 255)`, async () => {
    const size = 1024;
    const known = new Uint8Array(3 * size * size);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size, v = 1 - (y + 0.5) / size;
      const p = 3 * (y * size + x);
      known[p] = 128 + 90 * Math.sin(2 * Math.PI * 3 * u);
      known[p + 1] = 128 + 90 * Math.sin(2 * Math.PI * 3 * v);
      known[p + 2] = 128 + 60 * Math.cos(2 * Math.PI * 2 * (u + v));
    }
    const texture = { data: known, width: size, height: size };
    const params = knownParams(model);
    // Unlit (ambient 1, no lights) so the render's colours are the texture's.
    const head = await renderKnownHead(model, params, { texture, unlit: true });
    const camera = framingCamera(head.vertices, head.size);
    // The SeIF frame = the render's pixels / 512 (frame -> photo: x = (X + 0.5) 512, y = (0.5 - Y) 512).
    const s = head.size;
    const frameVertices = new Float32Array(head.vertices.length);
    for (let i = 0; i < head.vertices.length; i += 3) {
      frameVertices[i] = (camera.cx + camera.scaleX * head.vertices[i]!) / s - 0.5;
      frameVertices[i + 1] = 0.5 - (camera.cy - camera.scaleY * head.vertices[i + 1]!) / s;
      frameVertices[i + 2] = (camera.scaleX * head.vertices[i + 2]!) / s;
    }
    const fit = { model, frameVertices, modelVertices: evaluate(model, params) } as unknown as FitOutput;
    const transform = { size: s, frameToImage: [s, 0, s / 2, 0, -s, s / 2], imageToFrame: [1 / s, 0, -0.5, 0, -1 / s, 0.5], imageToCrop: [1, 0, 0, 0, 1, 0], cropToImage: [1, 0, 0, 0, 1, 0], scale: 1, rotation: 0 } as const;
    const baked = await new TextureStage({ size }).run({ image: { data: head.rgb, width: s, height: s }, transform: { ...transform } as never, fit });
    const errors: number[] = [];
    const eyes = model.eyeballs!;
    const layout = uvLayout(model, size);
    for (let p = 0; p < size * size; p++) {
      if (baked.photoWeight[p]! < 230) continue;
      const t = layout.triangle[p]!;
      if (model.faces[3 * t]! >= eyes.left[0]) continue; // eyeballs are procedural
      errors.push((Math.abs(baked.texture.data[3 * p]! - known[3 * p]!) + Math.abs(baked.texture.data[3 * p + 1]! - known[3 * p + 1]!) + Math.abs(baked.texture.data[3 * p + 2]! - known[3 * p + 2]!)) / 3);
    }
    expect(errors.length).toBeGreaterThan(0.15 * size * size);
    const mean = errors.reduce((x, y) => x + y, 0) / errors.length;
    console.info(`known-texture bake: ${errors.length} texels seen, mean abs error ${mean.toFixed(2)}, p95 ${percentile(errors, 0.95).toFixed(1)} (of 255)`);
    expect(mean).toBeLessThan(KNOWN_MEAN_BOUND);
    expect(percentile(errors, 0.95)).toBeLessThan(KNOWN_P95_BOUND);
    // The whole texture is filled (no black), the fill covers what the render cannot see.
    expect(baked.coverage.fill).toBeGreaterThan(0.2);
    let black = 0;
    for (let p = 0; p < size * size; p++) if (layout.triangle[p]! >= 0 && baked.texture.data[3 * p]! + baked.texture.data[3 * p + 1]! + baked.texture.data[3 * p + 2]! === 0) black++;
    expect(black).toBe(0);
  });
});

describe('pullPush', () => {
  it('fills holes smoothly from their borders and keeps known texels', () => {
    const w = 16, h = 16;
    const color = new Float32Array(3 * w * h);
    const weight = new Float32Array(w * h);
    for (let x = 0; x < w; x++) { weight[x] = 1; color.set([200, 100, 50], 3 * x); } // top row known
    pullPush(color, weight, w, h);
    expect(Array.from(color.subarray(0, 3))).toEqual([200, 100, 50]);
    expect(color[3 * (15 * w + 8)]).toBeCloseTo(200, 0);
    expect(weight.every((x) => x === 1)).toBe(true);
  });
});
