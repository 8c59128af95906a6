/** ObjectStorage on a local directory: each object is a file plus a small JSON sidecar with its content type. */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertValidKey, type ObjectStorage, ObjectNotFoundError, type PresignOptions, type StoredObject } from './object-storage.js';

const META_SUFFIX = '.meta.json';

export class LocalStorage implements ObjectStorage {
  readonly driver = 'local' as const;

  constructor(readonly root: string) {}

  #file(key: string): string {
    assertValidKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Buffer | Uint8Array | Readable, options: { contentType: string }): Promise<StoredObject> {
    const file = this.#file(key);
    await mkdir(path.dirname(file), { recursive: true });
    // Temp file in the same directory, then rename: atomic on POSIX, so a crash leaves the old object or none.
    const temp = `${file}.${randomUUID()}.tmp`;
    try {
      const source = body instanceof Readable ? body : Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
      await pipeline(source, createWriteStream(temp, { flags: 'wx' }));
      const { size } = await stat(temp);
      await writeFile(`${file}${META_SUFFIX}`, JSON.stringify({ contentType: options.contentType }));
      await rename(temp, file);
      return { key, bytes: size, contentType: options.contentType };
    } finally {
      await rm(temp, { force: true });
    }
  }

  async get(key: string): Promise<Readable> {
    const file = this.#file(key);
    if (!(await this.stat(key))) throw new ObjectNotFoundError(key);
    return createReadStream(file);
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    const file = this.#file(key);
    try {
      const [info, meta] = await Promise.all([stat(file), readFile(`${file}${META_SUFFIX}`, 'utf8').catch(() => '{}')]);
      const contentType = (JSON.parse(meta) as { contentType?: string }).contentType ?? 'application/octet-stream';
      return { key, bytes: info.size, contentType };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.#file(key);
    await Promise.all([rm(file, { force: true }), rm(`${file}${META_SUFFIX}`, { force: true })]);
  }

  async deletePrefix(prefix: string): Promise<number> {
    const trimmed = prefix.replace(/\/+$/, '');
    assertValidKey(trimmed);
    const keys = (await this.#listFiles(this.root))
      .map((file) => path.relative(this.root, file).split(path.sep).join('/'))
      .filter((key) => !key.endsWith(META_SUFFIX) && !key.endsWith('.tmp'))
      .filter((key) => key === trimmed || key.startsWith(`${trimmed}/`) || (!prefix.endsWith('/') && key.startsWith(trimmed)));
    await Promise.all(keys.map((key) => this.delete(key)));
    return keys.length;
  }

  /** Local files have no URL of their own: undefined tells the API to serve the download itself. */
  async presignGet(key: string, _options: PresignOptions): Promise<undefined> {
    assertValidKey(key);
    return undefined;
  }

  async #listFiles(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const nested = await Promise.all(
      entries.map((entry) => {
        const full = path.join(dir, entry.name);
        return entry.isDirectory() ? this.#listFiles(full) : Promise.resolve([full]);
      }),
    );
    return nested.flat();
  }
}
