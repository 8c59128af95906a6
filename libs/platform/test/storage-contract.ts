/**
 * The ObjectStorage contract, run against every driver (test/storage.test.ts). A driver passes when a caller
 * cannot tell which driver it is talking to, except for presignGet, which a driver may decline (undefined).
 */
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectNotFoundError, type ObjectStorage } from '../src/storage/index.js';

export interface StorageUnderTest {
  storage: ObjectStorage;
  /** Whether presignGet must return a URL (true) or undefined (false). */
  presigns: boolean;
  cleanup(): Promise<void>;
}

export function storageContract(name: string, factory: () => Promise<StorageUnderTest>): void {
  describe(`ObjectStorage contract: ${name}`, () => {
    let subject: StorageUnderTest;
    let storage: ObjectStorage;
    beforeAll(async () => {
      subject = await factory();
      storage = subject.storage;
    });
    afterAll(() => subject.cleanup());

    it('stores, reads back, stats and deletes objects', async () => {
      const stored = await storage.put('tenants/t1/photos/p1.jpg', Buffer.from('jpeg bytes'), { contentType: 'image/jpeg' });
      expect(stored).toEqual({ key: 'tenants/t1/photos/p1.jpg', bytes: 10, contentType: 'image/jpeg' });
      expect(await text(await storage.get('tenants/t1/photos/p1.jpg'))).toBe('jpeg bytes');
      expect(await storage.stat('tenants/t1/photos/p1.jpg')).toEqual(stored);
      await storage.delete('tenants/t1/photos/p1.jpg');
      expect(await storage.stat('tenants/t1/photos/p1.jpg')).toBeUndefined();
      await expect(storage.get('tenants/t1/photos/p1.jpg')).rejects.toBeInstanceOf(ObjectNotFoundError);
      // Deleting what is not there is not an error.
      await storage.delete('tenants/t1/photos/p1.jpg');
    });

    it('overwrites an object whole', async () => {
      await storage.put('o/x.bin', Buffer.from('first version'), { contentType: 'application/octet-stream' });
      await storage.put('o/x.bin', new Uint8Array([1, 2, 3]), { contentType: 'model/gltf-binary' });
      expect(await storage.stat('o/x.bin')).toEqual({ key: 'o/x.bin', bytes: 3, contentType: 'model/gltf-binary' });
      expect([...(await buffer(await storage.get('o/x.bin')))]).toEqual([1, 2, 3]);
    });

    it('streams bodies, including ones larger than a multipart part', async () => {
      await storage.put('a/streamed.bin', Readable.from([Buffer.from('one'), Buffer.from('two')]), { contentType: 'application/octet-stream' });
      expect(await text(await storage.get('a/streamed.bin'))).toBe('onetwo');
      // 6 MiB in 64 KiB chunks: more than S3's 5 MiB minimum part, so the S3 driver uploads it in parts.
      const chunk = Buffer.alloc(64 * 1024, 7);
      const big = await storage.put('a/big.bin', Readable.from(Array.from({ length: 96 }, () => chunk)), { contentType: 'application/octet-stream' });
      expect(big.bytes).toBe(6 * 1024 * 1024);
      const back = await buffer(await storage.get('a/big.bin'));
      expect(back.length).toBe(6 * 1024 * 1024);
      expect(back.every((byte) => byte === 7)).toBe(true);
    });

    it('leaves no object when the body stream fails', async () => {
      const failing = new Readable({
        read() {
          this.destroy(new Error('client went away'));
        },
      });
      await expect(storage.put('a/broken.bin', failing, { contentType: 'x/y' })).rejects.toThrow('client went away');
      expect(await storage.stat('a/broken.bin')).toBeUndefined();
    });

    it('deletes by prefix without touching neighbours', async () => {
      for (const key of ['s/1/a', 's/1/b', 's/1/c/d', 's/10/a', 's/2/a']) await storage.put(key, Buffer.from(key), { contentType: 'text/plain' });
      expect(await storage.deletePrefix('s/1/')).toBe(3);
      expect(await storage.stat('s/1/c/d')).toBeUndefined();
      expect(await storage.stat('s/10/a')).toBeDefined();
      expect(await storage.stat('s/2/a')).toBeDefined();
      expect(await storage.deletePrefix('s/')).toBe(2);
      expect(await storage.deletePrefix('nothing/here/')).toBe(0);
    });

    it('rejects keys that could escape the root', async () => {
      for (const key of ['../etc/passwd', '/abs', 'a//b', 'a/../b', '']) {
        await expect(storage.put(key, Buffer.from('x'), { contentType: 'text/plain' })).rejects.toThrow(/Invalid object key/);
        await expect(storage.get(key)).rejects.toThrow(/Invalid object key/);
      }
    });

    it('presigns downloads, or declines so the API serves them', async () => {
      await storage.put('dl/head.glb', Buffer.from('glTF...'), { contentType: 'model/gltf-binary' });
      const url = await storage.presignGet('dl/head.glb', { expiresSeconds: 60, downloadName: 'head.glb' });
      if (!subject.presigns) {
        expect(url).toBeUndefined();
        return;
      }
      expect(url).toMatch(/^https?:\/\//);
      const response = await fetch(url!);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('glTF...');
      expect(response.headers.get('content-disposition')).toBe('attachment; filename="head.glb"');
      // Signed and expiring (whether a forged signature is refused is the server's business; s3rver does not check).
      const params = new URL(url!).searchParams;
      expect(params.get('X-Amz-Expires')).toBe('60');
      expect(params.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    });
  });
}
