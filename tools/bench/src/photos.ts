/** Sample photos for the tools, from the asset cache (models/assets.json), re-encoded small with sharp. */
import { readFile } from 'node:fs/promises';
import { assetPath } from '@seif/models';
import sharp from 'sharp';

/** A real portrait at `size` px on its long side, JPEG: a short reconstruction that still finds a face. */
export async function smallPortrait(size = 256, asset = 'photo-model-face'): Promise<Buffer> {
  const bytes = await readFile(await assetPath(asset));
  return sharp(bytes).rotate().resize(size, size, { fit: 'inside' }).jpeg({ quality: 90 }).toBuffer();
}

export async function smallPng(size = 64, asset = 'photo-model-face'): Promise<Buffer> {
  const bytes = await readFile(await assetPath(asset));
  return sharp(bytes).resize(size, size, { fit: 'inside' }).png().toBuffer();
}
