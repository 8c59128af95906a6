import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStorage, ObjectNotFoundError } from '../src/storage/index.js';

describe('LocalStorage', () => {
  let dir: string;
  let storage: LocalStorage;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'seif-storage-'));
    storage = new LocalStorage(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('stores, reads back, stats and deletes objects', async () => {
    const stored = await storage.put('tenants/t1/photos/p1.jpg', Buffer.from('jpeg bytes'), { contentType: 'image/jpeg' });
    expect(stored).toEqual({ key: 'tenants/t1/photos/p1.jpg', bytes: 10, contentType: 'image/jpeg' });
    expect(await text(await storage.get('tenants/t1/photos/p1.jpg'))).toBe('jpeg bytes');
    expect(await storage.stat('tenants/t1/photos/p1.jpg')).toEqual(stored);
    await storage.delete('tenants/t1/photos/p1.jpg');
    expect(await storage.stat('tenants/t1/photos/p1.jpg')).toBeUndefined();
    await expect(storage.get('tenants/t1/photos/p1.jpg')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('streams bodies and leaves no temp file when the stream fails', async () => {
    await storage.put('a/streamed.bin', Readable.from([Buffer.from('one'), Buffer.from('two')]), { contentType: 'application/octet-stream' });
    expect(await text(await storage.get('a/streamed.bin'))).toBe('onetwo');
    const failing = new Readable({
      read() {
        this.destroy(new Error('client went away'));
      },
    });
    await expect(storage.put('a/broken.bin', failing, { contentType: 'x/y' })).rejects.toThrow('client went away');
    expect(await storage.stat('a/broken.bin')).toBeUndefined();
    expect((await readdir(path.join(dir, 'a'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('deletes by prefix without touching neighbours', async () => {
    for (const key of ['s/1/a', 's/1/b', 's/10/a', 's/2/a']) await storage.put(key, Buffer.from(key), { contentType: 'text/plain' });
    expect(await storage.deletePrefix('s/1/')).toBe(2);
    expect(await storage.stat('s/10/a')).toBeDefined();
    expect(await storage.stat('s/2/a')).toBeDefined();
  });

  it('rejects keys that could escape the root', async () => {
    for (const key of ['../etc/passwd', '/abs', 'a//b', 'a/../b', '']) {
      await expect(storage.put(key, Buffer.from('x'), { contentType: 'text/plain' })).rejects.toThrow(/Invalid object key/);
    }
  });
});
