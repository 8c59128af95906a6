import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import S3rver from 's3rver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createObjectStorage, LocalStorage, S3Storage } from '../src/storage/index.js';
import { freePort } from '../src/testing/index.js';
import { storageContract } from './storage-contract.js';

storageContract('LocalStorage', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'seif-storage-'));
  return { storage: new LocalStorage(dir), presigns: false, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

// s3rver (npm, in-process, files in a temp directory) stands in for S3: it runs on Node 20 and speaks
// SigV4, multipart uploads, DeleteObjects and presigned URLs.
storageContract('S3Storage on s3rver', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'seif-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: await freePort(), directory: dir, silent: true });
  const { port } = await server.run();
  const storage = createObjectStorage({
    driver: 's3',
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    bucket: 'seif-test',
    // s3rver's fixed development credentials.
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    forcePathStyle: true,
  }) as S3Storage;
  expect(storage).toBeInstanceOf(S3Storage);
  await storage.ensureBucket();
  return {
    storage,
    presigns: true,
    cleanup: async () => {
      storage.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('LocalStorage specifics', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'seif-storage-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('leaves no temp file when the stream fails', async () => {
    const storage = new LocalStorage(dir);
    const failing = new Readable({
      read() {
        this.destroy(new Error('client went away'));
      },
    });
    await expect(storage.put('a/broken.bin', failing, { contentType: 'x/y' })).rejects.toThrow('client went away');
    expect((await readdir(path.join(dir, 'a'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
