/** The fuzzer's hostile images are what they claim to be. */
import sharp from 'sharp';
import { expect, it } from 'vitest';
import { flipBits, jpegWithDimensions, pngBomb, pngWithDimensions } from '../src/images.js';
import { matmul512 } from '../src/stage-bench.js';

it('builds a small PNG that decodes to a large all-zero canvas', async () => {
  const bomb = pngBomb(3000, 2000);
  expect(bomb.length).toBeLessThan(20_000);
  const { data, info } = await sharp(bomb).raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([3000, 2000]);
  expect(data.every((value) => value === 0)).toBe(true);
});

it('rewrites declared dimensions of PNG and JPEG headers', async () => {
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer();
  expect((await sharp(pngWithDimensions(png, 40_000, 30_000, true), { limitInputPixels: false }).metadata()).width).toBe(40_000);
  const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).jpeg().toBuffer();
  const meta = await sharp(jpegWithDimensions(jpeg, 65_000, 12_345), { limitInputPixels: false }).metadata();
  expect([meta.width, meta.height]).toEqual([65_000, 12_345]);
  expect(flipBits(png, [0]).at(0)).toBe(png.at(0)! ^ 1);
});

it('computes the reference matrix product', () => {
  const a = new Float32Array(512 * 512).fill(1);
  const b = new Float32Array(512 * 512).fill(2);
  expect(matmul512(a, b, new Float32Array(512 * 512))).toBe(1024);
});
