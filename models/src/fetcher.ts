/**
 * Resolves manifest assets to verified local files.
 *
 * Order: the cache (SEIF_CACHE_DIR, default ~/.cache/seif/assets) if the file there still has the right hash;
 * else a mirror directory (SEIF_ASSET_MIRROR, else ../shared/assets next to the checkout when it exists);
 * else the upstream URL. Every copy is hash-checked before it is moved into the cache (temp file + rename),
 * so a reader never sees a partial or wrong file, and concurrent fetchers of the same asset are harmless.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetError } from './errors.js';
import { type AssetEntry, AssetManifest, mirrorRelativePath, upstreamUrl } from './manifest.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface FetcherOptions {
  /** Directory laid out as <owner>/<repo>/<commit>/<path>; undefined disables the mirror. */
  mirrorDir?: string;
  cacheDir: string;
  /** Whether to try the upstream address when neither cache nor mirror has the file. */
  allowDownload: boolean;
}

/** Options from the environment: SEIF_ASSET_MIRROR, SEIF_CACHE_DIR, SEIF_ASSET_DOWNLOAD (default on). */
export function fetcherOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): FetcherOptions {
  const sharedMirror = path.resolve(repoRoot, '../shared/assets');
  return {
    mirrorDir: env.SEIF_ASSET_MIRROR || (existsSync(sharedMirror) ? sharedMirror : undefined),
    cacheDir: path.join(env.SEIF_CACHE_DIR || path.join(os.homedir(), '.cache', 'seif'), 'assets'),
    allowDownload: env.SEIF_ASSET_DOWNLOAD !== '0',
  };
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class AssetFetcher {
  readonly #pending = new Map<string, Promise<string>>();

  constructor(
    readonly manifest: AssetManifest = AssetManifest.load(),
    readonly options: FetcherOptions = fetcherOptionsFromEnv(),
  ) {}

  /** Cache location of an asset (it keeps the upstream file name, so tools that look at extensions work). */
  cachePath(entry: AssetEntry): string {
    return path.join(this.options.cacheDir, entry.sha256.slice(0, 16), path.basename(mirrorRelativePath(entry)));
  }

  /** Local path of a verified copy of the asset, fetching it if needed. */
  resolve(id: string): Promise<string> {
    let entry: AssetEntry;
    try {
      entry = this.manifest.get(id);
    } catch (error) {
      return Promise.reject(error);
    }
    let pending = this.#pending.get(id);
    if (!pending) {
      pending = this.#resolve(entry).finally(() => this.#pending.delete(id));
      this.#pending.set(id, pending);
    }
    return pending;
  }

  async resolveAll(ids: readonly string[] = this.manifest.entries.map((entry) => entry.id)): Promise<Map<string, string>> {
    const paths = new Map<string, string>();
    // A few at a time: hashing is I/O and CPU bound and the machine has two cores.
    for (let start = 0; start < ids.length; start += 4) {
      const batch = ids.slice(start, start + 4);
      const resolved = await Promise.all(batch.map((id) => this.resolve(id)));
      batch.forEach((id, index) => paths.set(id, resolved[index] as string));
    }
    return paths;
  }

  async #resolve(entry: AssetEntry): Promise<string> {
    const target = this.cachePath(entry);
    if (existsSync(target) && (await sha256File(target)) === entry.sha256) return target;

    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${randomUUID()}.tmp`;
    try {
      const source = await this.#copyToTemp(entry, temp);
      const actual = await sha256File(temp);
      if (actual !== entry.sha256) {
        throw new AssetError(
          'ASSET_HASH_MISMATCH',
          entry.id,
          `Asset "${entry.id}" from ${source} has sha256 ${actual}, but models/assets.json expects ${entry.sha256}. ` +
            'The source file is corrupt or a different version; replace it, or fix the manifest if the pinned file changed.',
        );
      }
      await rename(temp, target);
      return target;
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** Copies the asset from the mirror or upstream into `temp`; returns a description of where from. */
  async #copyToTemp(entry: AssetEntry, temp: string): Promise<string> {
    const tried: string[] = [];
    if (this.options.mirrorDir) {
      const mirrored = path.join(this.options.mirrorDir, mirrorRelativePath(entry));
      if (existsSync(mirrored)) {
        await copyFile(mirrored, temp);
        return mirrored;
      }
      tried.push(`mirror ${mirrored} (missing)`);
    } else {
      tried.push('no mirror (set SEIF_ASSET_MIRROR)');
    }
    if (this.options.allowDownload) {
      const url = upstreamUrl(entry);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        await writeFile(temp, Buffer.from(await response.arrayBuffer()));
        return url;
      } catch (cause) {
        tried.push(`${url} (${cause instanceof Error ? cause.message : String(cause)})`);
      }
    } else {
      tried.push('download disabled (SEIF_ASSET_DOWNLOAD=0)');
    }
    throw new AssetError(
      'ASSET_UNAVAILABLE',
      entry.id,
      `Asset "${entry.id}" (${entry.upstream}) could not be fetched. Tried: ${tried.join('; ')}. ` +
        'Point SEIF_ASSET_MIRROR at a directory that holds <owner>/<repo>/<commit>/<path>, or allow network access to GitHub.',
    );
  }
}

let shared: AssetFetcher | undefined;

/** Path of a verified copy of asset `id`, using the environment's options (the usual entry point). */
export function assetPath(id: string): Promise<string> {
  shared ??= new AssetFetcher();
  return shared.resolve(id);
}
