/**
 * Public API. decode: bytes -> sRGB RGB pixels, upright (EXIF orientation applied), first frame of animations.
 *
 * Safety: the header is read first (sharp.metadata() does not decode pixels), so a 20k x 20k "decompression
 * bomb" is refused in milliseconds; sharp's own `limitInputPixels` is set to the same limit as a second guard.
 */
import { stat, readFile } from 'node:fs/promises';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import type { RgbImage } from '../image/image.js';
import { SeifError } from '../pipeline/errors.js';
import { type Stage, type StageContext, type StageWarning, reportProgress } from '../pipeline/stage.js';

/** Formats accepted by default (sharp's `metadata().format` names; AVIF is reported as 'heif' with av1). */
export const DEFAULT_FORMATS = Object.freeze(['jpeg', 'png', 'webp', 'avif', 'tiff'] as const);
export type ImageFormat = (typeof DEFAULT_FORMATS)[number] | 'gif' | 'heic';

export interface DecodeOptions {
  /** Largest accepted file, bytes. 40 MB holds any phone photo, even 16-bit TIFF of 12 MP. */
  maxBytes?: number;
  /** Largest accepted width * height after decode. 50 MP: above every phone camera, far below 20k x 20k. */
  maxPixels?: number;
  /** Smallest accepted side, pixels: below this no face can be reconstructed. */
  minSide?: number;
  formats?: readonly ImageFormat[];
}

export const DECODE_DEFAULTS = Object.freeze({
  maxBytes: 40 * 1024 * 1024,
  maxPixels: 50_000_000,
  minSide: 32,
  formats: DEFAULT_FORMATS,
} satisfies Required<DecodeOptions>);

export interface DecodedImage extends RgbImage {
  /** Source format, as detected from the bytes (not the file name). */
  format: ImageFormat;
  /** Alpha channel (width * height) when the source had one; colour is composited over white. */
  alpha?: Uint8Array;
  /** EXIF orientation tag of the source (1 = upright); already applied to `data`. */
  orientation: number;
  /** Size before orientation was applied. */
  sourceWidth: number;
  sourceHeight: number;
  /** Number of frames of an animated source (only the first is decoded). */
  pages: number;
  /** Source colour space as reported by libvips (srgb, cmyk, b-w, ...); `data` is always sRGB. */
  sourceSpace: string;
  hasIccProfile: boolean;
  warnings: StageWarning[];
}

export type DecodeInput = Uint8Array | string;

function formatOf(meta: Metadata): ImageFormat | string {
  if (meta.format === 'heif') return meta.compression === 'av1' ? 'avif' : 'heic';
  return meta.format ?? 'unknown';
}

function sharpError(cause: unknown, what: string): SeifError {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/unsupported image format/i.test(message)) {
    return new SeifError('UNSUPPORTED_FORMAT', `${what} is not in a recognised image format.`, { cause });
  }
  if (/pixel limit/i.test(message)) return new SeifError('IMAGE_TOO_LARGE', `${what}: ${message}`, { cause });
  return new SeifError('INVALID_IMAGE', `${what} could not be decoded (corrupt or truncated): ${message}`, { cause });
}

export class DecodeStage implements Stage<DecodeInput, DecodedImage> {
  readonly name = 'decode';
  readonly options: Required<DecodeOptions>;

  constructor(options: DecodeOptions = {}) {
    this.options = { ...DECODE_DEFAULTS, ...options };
    if (!(this.options.maxPixels > 0) || !(this.options.maxBytes > 0)) {
      throw new SeifError('INVALID_ARGUMENT', 'decode: maxPixels and maxBytes must be positive numbers.');
    }
  }

  async run(input: DecodeInput, context?: StageContext): Promise<DecodedImage> {
    const { maxBytes, maxPixels, minSide, formats } = this.options;
    const what = typeof input === 'string' ? `'${input}'` : 'The image';
    let bytes: Uint8Array;
    if (typeof input === 'string') {
      const info = await stat(input).catch((cause: unknown) => {
        throw new SeifError('INVALID_ARGUMENT', `Cannot read ${what}: ${(cause as Error).message}`, { cause });
      });
      if (info.size > maxBytes) throw this.#tooManyBytes(info.size);
      bytes = await readFile(input);
    } else {
      bytes = input;
      if (bytes.byteLength > maxBytes) throw this.#tooManyBytes(bytes.byteLength);
    }
    if (bytes.byteLength === 0) throw new SeifError('INVALID_IMAGE', `${what} is empty.`);

    // 1. Header only: format, size, orientation, frames. No pixel is decoded here.
    let meta: Metadata;
    try {
      meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    } catch (cause) {
      throw sharpError(cause, what);
    }
    const format = formatOf(meta);
    if (!(formats as readonly string[]).includes(format)) {
      throw new SeifError('UNSUPPORTED_FORMAT', `${what} is ${format}; accepted formats: ${formats.join(', ')}.`, {
        details: { format },
      });
    }
    const sourceWidth = meta.width ?? 0;
    const sourceHeight = meta.pageHeight ?? meta.height ?? 0;
    if (sourceWidth * sourceHeight > maxPixels) {
      throw new SeifError(
        'IMAGE_TOO_LARGE',
        `${what} is ${sourceWidth} x ${sourceHeight} pixels; the limit is ${maxPixels} pixels (${(maxPixels / 1e6).toFixed(0)} MP). Downscale it first.`,
        { details: { width: sourceWidth, height: sourceHeight, maxPixels } },
      );
    }
    if (Math.min(sourceWidth, sourceHeight) < minSide) {
      throw new SeifError('INVALID_IMAGE', `${what} is ${sourceWidth} x ${sourceHeight} pixels; each side must be at least ${minSide}.`, {
        details: { width: sourceWidth, height: sourceHeight },
      });
    }
    reportProgress(context, { stage: this.name, fraction: 0.2, message: 'header read' });

    // 2. Pixels: first page, upright, sRGB, 8 bit; truncated data is an error rather than grey rows.
    const hasAlpha = meta.hasAlpha === true;
    let raw: { data: Buffer; info: OutputInfo };
    try {
      let pipeline = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated', page: 0, pages: 1 })
        .autoOrient()
        .toColourspace('srgb');
      pipeline = hasAlpha ? pipeline.ensureAlpha() : pipeline.removeAlpha();
      raw = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    } catch (cause) {
      throw sharpError(cause, what);
    }
    const { width, height, channels } = raw.info;
    const n = width * height;
    const data = new Uint8Array(n * 3);
    let alpha: Uint8Array | undefined;
    const src = raw.data;
    if (channels === 4) {
      alpha = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const a = src[4 * i + 3] as number;
        alpha[i] = a;
        // Composite over white: transparent PNG portraits are usually cut-outs on white.
        for (let c = 0; c < 3; c++) data[3 * i + c] = Math.round(((src[4 * i + c] as number) * a + 255 * (255 - a)) / 255);
      }
    } else if (channels === 3) {
      data.set(src.subarray(0, n * 3));
    } else {
      throw new SeifError('INTERNAL', `decode: unexpected channel count ${channels}`);
    }
    const warnings: StageWarning[] = [];
    const pages = meta.pages ?? 1;
    if (pages > 1) warnings.push({ code: 'ANIMATED_IMAGE', message: `The image has ${pages} frames; the first was used.`, value: pages });
    return {
      data,
      width,
      height,
      format: format as ImageFormat,
      ...(alpha ? { alpha } : {}),
      orientation: meta.orientation ?? 1,
      sourceWidth,
      sourceHeight,
      pages,
      sourceSpace: meta.space ?? 'unknown',
      hasIccProfile: meta.icc !== undefined,
      warnings,
    };
  }

  #tooManyBytes(size: number): SeifError {
    return new SeifError('IMAGE_TOO_LARGE', `The file is ${size} bytes; the limit is ${this.options.maxBytes} bytes.`, {
      details: { bytes: size, maxBytes: this.options.maxBytes },
    });
  }
}

/** Convenience: decode once with default options. */
export function decodeImage(input: DecodeInput, options?: DecodeOptions, context?: StageContext): Promise<DecodedImage> {
  return new DecodeStage(options).run(input, context);
}
