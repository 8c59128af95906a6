/**
 * Hostile images for the fuzzer: mutations of a valid JPEG/PNG (bit flips, truncation, rewritten header
 * dimensions) and decompression bombs (a tiny PNG that declares a huge all-zero canvas).
 */
import { constants, crc32, deflateRawSync } from 'node:zlib';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A greyscale PNG of width x height zero pixels. The IDAT is deflated row by row into one stream, so memory
 * stays at one row even for 100 MP (the file is a few hundred kB: deflate compresses zeros about 1000:1).
 */
export function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  // One zlib stream made of raw deflate pieces: each piece but the last ends with a sync flush (byte-aligned,
  // not final), so the pieces concatenate into one valid stream without holding the canvas in memory.
  const rows = Math.max(1, Math.floor((8 << 20) / (width + 1)));
  const block = Buffer.alloc(rows * (width + 1));
  const parts: Buffer[] = [Buffer.from([0x78, 0x01])];
  let remaining = height;
  while (remaining > 0) {
    const n = Math.min(rows, remaining);
    remaining -= n;
    parts.push(deflateRawSync(block.subarray(0, n * (width + 1)), { finishFlush: remaining > 0 ? constants.Z_SYNC_FLUSH : constants.Z_FINISH }));
  }
  // Adler-32 of all-zero data: a = 1, b = length mod 65521.
  const length = height * (width + 1);
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((length % 65521) << 16) | 1) >>> 0, 0);
  parts.push(adler);
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', Buffer.concat(parts)), chunk('IEND', Buffer.alloc(0))]);
}

/** Rewrites a PNG's IHDR width and height (with or without fixing its CRC). */
export function pngWithDimensions(png: Buffer, width: number, height: number, fixCrc: boolean): Buffer {
  const out = Buffer.from(png);
  if (out.length < 33 || out.toString('ascii', 12, 16) !== 'IHDR') return out;
  out.writeUInt32BE(width >>> 0, 16);
  out.writeUInt32BE(height >>> 0, 20);
  if (fixCrc) out.writeUInt32BE(crc32(out.subarray(12, 29)) >>> 0, 29);
  return out;
}

/** Rewrites the dimensions in every SOFn marker of a JPEG. */
export function jpegWithDimensions(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  let i = 2;
  while (i + 9 < out.length && out[i] === 0xff) {
    const marker = out[i + 1]!;
    const length = out.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      out.writeUInt16BE(height & 0xffff, i + 5);
      out.writeUInt16BE(width & 0xffff, i + 7);
    }
    if (marker === 0xda) break; // start of scan: entropy-coded data follows
    i += 2 + length;
  }
  return out;
}

export function flipBits(bytes: Buffer, positions: readonly number[]): Buffer {
  const out = Buffer.from(bytes);
  for (const p of positions) {
    const bit = p % (out.length * 8);
    out[bit >> 3]! ^= 1 << (bit & 7);
  }
  return out;
}
