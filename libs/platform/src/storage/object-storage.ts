/**
 * Where originals and artefacts live. Keys are slash-separated paths such as
 * `tenants/<tenant>/photos/<id>.jpg`; both drivers store them byte for byte. The local driver is the one-machine
 * default; the S3-compatible driver (src/storage/s3-storage.ts) passes the same contract (test/storage-contract.ts).
 */
import type { Readable } from 'node:stream';

export interface StoredObject {
  key: string;
  bytes: number;
  contentType: string;
}

export interface ObjectStorage {
  readonly driver: 'local' | 's3';
  /** Writes the whole object; readers never observe a partial object. */
  put(key: string, body: Buffer | Uint8Array | Readable, options: { contentType: string }): Promise<StoredObject>;
  get(key: string): Promise<Readable>;
  stat(key: string): Promise<StoredObject | undefined>;
  delete(key: string): Promise<void>;
  /** Deletes every object whose key starts with `prefix` (e.g. everything of one subject). */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * A URL from which a client can download the object without credentials until it expires, or undefined when
   * the driver cannot sign one (local disk): then the API serves the download itself, behind its own signed
   * link. Does not check that the object exists.
   */
  presignGet(key: string, options: PresignOptions): Promise<string | undefined>;
}

export interface PresignOptions {
  /** Lifetime of the URL in seconds (S3: at most 7 days). */
  expiresSeconds: number;
  /** Suggests a file name to the browser (Content-Disposition: attachment). */
  downloadName?: string;
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  constructor(readonly key: string) {
    super(`No stored object "${key}"`);
  }
}

const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** Rejects keys that could escape the storage root or confuse an S3 listing ("..", "//", leading "/"). */
export function assertValidKey(key: string): void {
  if (!KEY_PATTERN.test(key) || key.split('/').some((part) => part === '..' || part === '.')) {
    throw new Error(`Invalid object key "${key}": use slash-separated [A-Za-z0-9._-] segments`);
  }
}
