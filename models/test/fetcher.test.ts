import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AssetError, AssetFetcher, AssetManifest, type AssetEntry, mirrorRelativePath, upstreamUrl } from '../src/index.js';

const COMMIT = 'a'.repeat(40);
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function entry(id: string, filePath: string, bytes: Buffer): AssetEntry {
  return { id, upstream: `example/data@${COMMIT}:${filePath}`, sha256: sha(bytes), bytes: bytes.length, licence: 'MIT', attribution: 'test' };
}

describe('AssetFetcher', () => {
  let dir: string;
  let mirror: string;
  let cache: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'seif-assets-'));
    mirror = path.join(dir, 'mirror');
    cache = path.join(dir, 'cache');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function putInMirror(asset: AssetEntry, bytes: Buffer) {
    const file = path.join(mirror, mirrorRelativePath(asset));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, bytes);
  }

  it('resolves from the mirror, verifies, caches under the upstream file name', async () => {
    const bytes = Buffer.from('weights v1');
    const asset = entry('net', 'nets/model.onnx', bytes);
    await putInMirror(asset, bytes);
    const fetcher = new AssetFetcher(new AssetManifest([asset]), { mirrorDir: mirror, cacheDir: cache, allowDownload: false });
    const file = await fetcher.resolve('net');
    expect(file.startsWith(cache)).toBe(true);
    expect(path.basename(file)).toBe('model.onnx');
    expect(await readFile(file)).toEqual(bytes);
    // Cached: a second fetcher finds it without the mirror.
    const offline = new AssetFetcher(new AssetManifest([asset]), { mirrorDir: undefined, cacheDir: cache, allowDownload: false });
    expect(await offline.resolve('net')).toBe(file);
  });

  it('rejects a file whose hash differs, names it, and caches nothing', async () => {
    const asset = entry('net', 'nets/model.onnx', Buffer.from('the real weights'));
    await putInMirror(asset, Buffer.from('tampered weights'));
    const fetcher = new AssetFetcher(new AssetManifest([asset]), { mirrorDir: mirror, cacheDir: cache, allowDownload: false });
    const error = await fetcher.resolve('net').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AssetError);
    expect(error).toMatchObject({ code: 'ASSET_HASH_MISMATCH', assetId: 'net' });
    expect((error as Error).message).toContain('"net"');
    expect((error as Error).message).toContain(sha(Buffer.from('tampered weights')));
    const cached = await readdir(cache, { recursive: true }).catch(() => []);
    expect(cached.filter((name) => String(name).endsWith('.onnx') || String(name).endsWith('.tmp'))).toEqual([]);
  });

  it('replaces a cached copy that was corrupted after the fact', async () => {
    const bytes = Buffer.from('good');
    const asset = entry('data', 'd/x.bin', bytes);
    await putInMirror(asset, bytes);
    const fetcher = new AssetFetcher(new AssetManifest([asset]), { mirrorDir: mirror, cacheDir: cache, allowDownload: false });
    const file = await fetcher.resolve('data');
    await writeFile(file, 'bit rot');
    expect(await readFile(await fetcher.resolve('data'), 'utf8')).toBe('good');
  });

  it('says what it tried when a file is nowhere', async () => {
    const asset = entry('gone', 'd/gone.bin', Buffer.from('x'));
    const fetcher = new AssetFetcher(new AssetManifest([asset]), { mirrorDir: mirror, cacheDir: cache, allowDownload: false });
    await expect(fetcher.resolve('gone')).rejects.toMatchObject({ code: 'ASSET_UNAVAILABLE', assetId: 'gone' });
    await expect(fetcher.resolve('gone')).rejects.toThrow(/SEIF_ASSET_MIRROR/);
  });

  it('names unknown ids', async () => {
    const fetcher = new AssetFetcher(new AssetManifest([]), { mirrorDir: mirror, cacheDir: cache, allowDownload: false });
    await expect(fetcher.resolve('nope')).rejects.toMatchObject({ code: 'UNKNOWN_ASSET', assetId: 'nope' });
  });
});

describe('the project manifest', () => {
  it('is valid, with unique ids, pinned commits and a licence for every file', () => {
    const manifest = AssetManifest.load();
    expect(manifest.entries.length).toBeGreaterThan(50);
    for (const asset of manifest.entries) {
      expect(asset.licence.length).toBeGreaterThan(0);
      expect(upstreamUrl(asset)).toMatch(/^https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/[0-9a-f]{40}\//);
    }
    expect(manifest.get('mediapipe-face-landmark').upstream).toContain('face_landmark.onnx');
  });
});
