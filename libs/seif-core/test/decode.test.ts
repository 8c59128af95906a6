import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DecodeStage } from '../src/stages/decode.js';
import { SeifError } from '../src/pipeline/errors.js';

const decode = new DecodeStage();

/** A 48 x 32 test card: left half red, right half blue, top-left 8x8 green marker. */
function card(width = 48, height = 32): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      if (x < 8 && y < 8) data[p + 1] = 255;
      else if (x < width / 2) data[p] = 255;
      else data[p + 2] = 255;
    }
  }
  return data;
}
const raw = { raw: { width: 48, height: 32, channels: 3 as const } };

function pixel(img: { data: Uint8Array; width: number }, x: number, y: number): number[] {
  const p = (y * img.width + x) * 3;
  return [img.data[p]!, img.data[p + 1]!, img.data[p + 2]!];
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SeifError);
  return (error as SeifError).code;
}

/** Rewrites a PNG's IHDR to claim width x height (CRC fixed), leaving the tiny pixel data as it is. */
function pngClaiming(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  // Signature (8) + length (4) + 'IHDR' (4), then width and height.
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

/** Rewrites a baseline JPEG's SOF0 frame size. */
function jpegClaiming(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i < out.length - 9; ) {
    const marker = out.readUInt16BE(i);
    const length = out.readUInt16BE(i + 2);
    if (marker === 0xffc0 || marker === 0xffc2) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
    i += 2 + length;
  }
  throw new Error('no SOF marker');
}

describe('decode', () => {
  it.each(['jpeg', 'png', 'webp', 'avif', 'tiff'] as const)('decodes %s to sRGB RGB', async (format) => {
    const bytes = await sharp(card(), raw).toFormat(format, format === 'jpeg' || format === 'webp' || format === 'avif' ? { quality: 95 } : {}).toBuffer();
    const img = await decode.run(bytes);
    expect(img.format).toBe(format);
    expect([img.width, img.height]).toEqual([48, 32]);
    expect(img.data.length).toBe(48 * 32 * 3);
    const tol = format === 'png' || format === 'tiff' ? 2 : 40; // lossless formats: colour-space round trip only
    const red = pixel(img, 12, 20);
    const blue = pixel(img, 40, 20);
    expect(red[0]).toBeGreaterThanOrEqual(255 - tol);
    expect(blue[2]).toBeGreaterThanOrEqual(255 - tol);
    expect(red[2]).toBeLessThanOrEqual(tol);
  });

  it('applies EXIF orientation', async () => {
    // Orientation 6: the stored image must be rotated 90 degrees clockwise for display.
    const bytes = await sharp(card(), raw).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const img = await decode.run(bytes);
    expect(img.orientation).toBe(6);
    expect([img.width, img.height]).toEqual([32, 48]);
    expect([img.sourceWidth, img.sourceHeight]).toEqual([48, 32]);
    // The green marker (stored top-left) is top-right after a clockwise turn; red (stored left) is on top.
    expect(pixel(img, 28, 3)[1]).toBeGreaterThan(200);
    expect(pixel(img, 16, 12)[0]).toBeGreaterThan(200);
    expect(pixel(img, 16, 40)[2]).toBeGreaterThan(200);
  });

  it('converts CMYK to sRGB and keeps alpha separately', async () => {
    const cmyk = await sharp(card(), raw).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    const img = await decode.run(cmyk);
    expect(img.sourceSpace).toBe('cmyk');
    expect(pixel(img, 12, 20)[0]).toBeGreaterThan(200);
    const rgba = Buffer.alloc(48 * 32 * 4, 255);
    for (let i = 0; i < 48 * 32; i++) rgba[4 * i + 3] = i % 48 < 24 ? 0 : 255;
    const png = await sharp(rgba, { raw: { width: 48, height: 32, channels: 4 } }).png().toBuffer();
    const withAlpha = await decode.run(png);
    expect(withAlpha.alpha?.[0]).toBe(0);
    expect(withAlpha.alpha?.[40]).toBe(255);
  });

  it('takes the first frame of an animation and warns', async () => {
    const frames = [card(), Buffer.alloc(48 * 32 * 3, 255)];
    const frameImages = await Promise.all(frames.map((f) => sharp(f, raw).png().toBuffer()));
    const animated = await sharp(frameImages, { join: { animated: true } }).webp({ lossless: true }).toBuffer();
    const img = await decode.run(animated);
    expect(img.pages).toBe(2);
    expect(img.height).toBe(32);
    expect(img.warnings.map((w) => w.code)).toContain('ANIMATED_IMAGE');
    expect(pixel(img, 12, 20)[2]).toBeLessThan(30); // red first frame, not the white second one
  });

  it('gives typed errors for garbage, truncated and unsupported input', async () => {
    expect(await codeOf(decode.run(new Uint8Array(1000).map((_, i) => (i * 7919) % 251)))).toBe('UNSUPPORTED_FORMAT');
    expect(await codeOf(decode.run(new Uint8Array(0)))).toBe('INVALID_IMAGE');
    const jpeg = await sharp(card(480, 320), { raw: { width: 480, height: 320, channels: 3 } }).jpeg().toBuffer();
    expect(await codeOf(decode.run(jpeg.subarray(0, Math.floor(jpeg.length / 2))))).toBe('INVALID_IMAGE');
    const png = await sharp(card(), raw).png().toBuffer();
    const corrupt = Buffer.from(png);
    corrupt.fill(0x55, 60, 90); // clobber the compressed pixel data
    expect(await codeOf(decode.run(corrupt))).toBe('INVALID_IMAGE');
    const gif = await sharp(card(), raw).gif().toBuffer();
    expect(await codeOf(decode.run(gif))).toBe('UNSUPPORTED_FORMAT');
  });

  it('refuses a 20k x 20k image from its header, fast and without large memory', async () => {
    const small = await sharp(card(), raw).png().toBuffer();
    const bigPng = pngClaiming(small, 20_000, 20_000);
    const bigJpeg = jpegClaiming(await sharp(card(), raw).jpeg().toBuffer(), 20_000, 20_000);
    const rssBefore = process.memoryUsage().rss;
    const start = performance.now();
    for (const bytes of [bigPng, bigJpeg]) {
      const error = await decode.run(bytes).catch((e: unknown) => e);
      expect((error as SeifError).code).toBe('IMAGE_TOO_LARGE');
      expect((error as SeifError).details).toMatchObject({ width: 20_000, height: 20_000 });
    }
    expect(performance.now() - start).toBeLessThan(500);
    // 20k x 20k RGB would be 1.2 GB; the header check must not come near it.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('enforces the byte limit and sharp pixel limit', async () => {
    const bytes = await sharp(card(), raw).png().toBuffer();
    expect(await codeOf(new DecodeStage({ maxBytes: 100 }).run(bytes))).toBe('IMAGE_TOO_LARGE');
    expect(await codeOf(new DecodeStage({ maxPixels: 1000 }).run(bytes))).toBe('IMAGE_TOO_LARGE');
  });
});
