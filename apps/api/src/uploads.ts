/**
 * Reading and checking an uploaded photo before anything is stored: the bytes are collected with a hard cap
 * (graphql-upload-minimal stops the stream at REQUEST_LIMITS.maxUploadBytes), hashed while streaming, and
 * decoded by the pipeline's own decode stage, so an image the worker could not read is refused at the door.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { decodeImage, isSeifError } from '@seif/core';
import { type UserError, userError } from './errors.js';

export interface UploadedFile {
  filename: string;
  mimetype: string;
  createReadStream(): Readable;
}

export interface CheckedPhoto {
  bytes: Buffer;
  sha256: string;
  width: number;
  height: number;
  format: string;
  mime: string;
  extension: string;
}

/** Matches seif-core's decode defaults: every phone camera fits, a decompression bomb does not. */
export const PHOTO_LIMITS = Object.freeze({ maxBytes: 20 * 1024 * 1024, maxPixels: 50_000_000 });

const MIME: Record<string, { mime: string; extension: string }> = {
  jpeg: { mime: 'image/jpeg', extension: 'jpg' },
  png: { mime: 'image/png', extension: 'png' },
  webp: { mime: 'image/webp', extension: 'webp' },
  avif: { mime: 'image/avif', extension: 'avif' },
  tiff: { mime: 'image/tiff', extension: 'tiff' },
};

export interface CollectedUpload {
  bytes: Buffer;
  sha256: string;
}

/**
 * Reads the whole upload (hashing as it goes). Always called before any other check: a resolver that returns
 * without consuming its upload leaves the request body unread, and the connection is then reset under the
 * client. Over the limit the rest of the stream is discarded by the upload middleware, not buffered.
 */
export async function collectUpload(upload: Promise<UploadedFile> | UploadedFile, field: string[]): Promise<CollectedUpload | UserError> {
  let file: UploadedFile;
  try {
    file = await upload;
  } catch {
    return userError('INVALID_IMAGE', 'The photo did not arrive; send it as a GraphQL multipart request', field);
  }
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of file.createReadStream()) {
      const buffer = chunk as Buffer;
      total += buffer.length;
      if (total > PHOTO_LIMITS.maxBytes) continue; // keep draining; the result is an error anyway
      hash.update(buffer);
      chunks.push(buffer);
    }
  } catch {
    return userError('INVALID_IMAGE', 'The photo upload was interrupted', field);
  }
  if (total > PHOTO_LIMITS.maxBytes) {
    return userError('IMAGE_TOO_LARGE', `The photo is larger than ${PHOTO_LIMITS.maxBytes / 1024 / 1024} MB`, field, { maxBytes: PHOTO_LIMITS.maxBytes, maxPixels: PHOTO_LIMITS.maxPixels });
  }
  return { bytes: Buffer.concat(chunks, total), sha256: hash.digest('hex') };
}

/** Decodes the photo with the pipeline's decode stage: the worker will be able to read what passes. */
export async function checkPhoto(upload: CollectedUpload, field: string[]): Promise<CheckedPhoto | UserError> {
  try {
    const decoded = await decodeImage(upload.bytes, { maxBytes: PHOTO_LIMITS.maxBytes, maxPixels: PHOTO_LIMITS.maxPixels });
    const type = MIME[decoded.format];
    if (!type) return userError('INVALID_IMAGE', `Photos in ${decoded.format} format are not supported; use JPEG, PNG, WebP, AVIF or TIFF`, field);
    return { ...upload, width: decoded.width, height: decoded.height, format: decoded.format, ...type };
  } catch (error) {
    if (isSeifError(error) && error.code === 'IMAGE_TOO_LARGE') {
      return userError('IMAGE_TOO_LARGE', error.message, field, { maxBytes: PHOTO_LIMITS.maxBytes, maxPixels: PHOTO_LIMITS.maxPixels });
    }
    const reason = isSeifError(error) ? error.message : 'it could not be decoded';
    return userError('INVALID_IMAGE', `The photo is not a readable image: ${reason}`, field);
  }
}
