import { readFile } from 'node:fs/promises';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { assetPath } from '@seif/models';
import { QUEUES } from '@seif/platform';
import { type Harness, startHarness } from './helpers/api-harness.js';

const CREATE = `mutation($input: CreateReconstructionInput!) {
  createReconstruction(input: $input) {
    reconstruction { id status progress mode queuePosition options subject { displayName } }
    errors { __typename code message field ... on ImageTooLarge { maxBytes } }
  }
}`;

describe('reconstructions', () => {
  let h: Harness;
  let key: string;
  let tenantId: string;
  let subjectId: string;
  let portrait: Buffer;

  beforeAll(async () => {
    h = await startHarness();
    ({ key, tenantId } = await h.createTenant('Recon'));
    subjectId = (await h.gql('mutation { createSubject(input: { displayName: "Luis" }) { subject { id } } }', {}, key)).body.data.createSubject.subject.id;
    portrait = await readFile(await assetPath('photo-city-portrait'));
  });
  afterAll(() => h?.close());

  const upload = (bytes: Uint8Array, extra: Record<string, unknown> = {}, name = 'portrait.jpg', type = 'image/jpeg') =>
    h.upload(CREATE, { input: { subjectId, photo: null, ...extra } }, 'variables.input.photo', { bytes, name, type }, key);

  async function storedObjects(): Promise<number> {
    return (await h.db.photo.count({ where: { tenantId } })) + 0;
  }

  it('stores the photo, creates a QUEUED reconstruction and its job in one go', async () => {
    const { status, body } = await upload(portrait, { options: { formats: ['GLB', 'STL'], textureSize: 512 } });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const { reconstruction, errors } = body.data.createReconstruction;
    expect(errors).toEqual([]);
    expect(reconstruction).toMatchObject({ status: 'QUEUED', progress: 0, mode: 'SEIF', subject: { displayName: 'Luis' } });
    expect(reconstruction.options).toMatchObject({ formats: ['glb', 'stl'], textureSize: 512, faces: 'error' });
    expect(reconstruction.queuePosition).toBeGreaterThanOrEqual(0);

    const row = await h.db.reconstruction.findFirstOrThrow({ where: { tenantId }, include: { photo: true } });
    expect(row.photo.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(row.photo.bytes).toBe(portrait.length);
    expect(row.photo.width).toBeGreaterThan(100);
    const stored = await h.services.storage.stat(row.photo.storageKey);
    expect(stored?.bytes).toBe(portrait.length);
    const job = await h.services.queue.getJob(QUEUES.RECONSTRUCT, row.jobId as string);
    expect(job).toMatchObject({ state: 'created', data: { tenantId, reconstructionId: row.id } });
  });

  it('refuses corrupt, truncated and non-image uploads with InvalidImage and stores nothing', async () => {
    const before = await storedObjects();
    for (const [bytes, name] of [
      [Buffer.from('definitely not a jpeg'), 'fake.jpg'],
      [portrait.subarray(0, 2000), 'truncated.jpg'],
      [Buffer.from('%PDF-1.4 not an image'), 'doc.pdf'],
    ] as const) {
      const { body } = await upload(bytes, {}, name);
      expect(body.data.createReconstruction.reconstruction, name).toBeNull();
      expect(body.data.createReconstruction.errors[0], name).toMatchObject({ __typename: 'InvalidImage', code: 'INVALID_IMAGE', field: ['input', 'photo'] });
    }
    expect(await storedObjects()).toBe(before);
  });

  it('refuses an upload over 20 MB with ImageTooLarge and stores nothing', async () => {
    const before = await storedObjects();
    const huge = Buffer.concat([portrait, Buffer.alloc(21 * 1024 * 1024)]);
    const { body } = await upload(huge);
    expect(body.data.createReconstruction.errors[0]).toMatchObject({ __typename: 'ImageTooLarge', code: 'IMAGE_TOO_LARGE', maxBytes: 20 * 1024 * 1024 });
    expect(await storedObjects()).toBe(before);
  });

  it('refuses a decompression bomb (huge dimensions, small file) with ImageTooLarge', async () => {
    const sharp = (await import('sharp')).default;
    const bomb = await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: { r: 0, g: 0, b: 0 } } }).png({ compressionLevel: 9 }).toBuffer();
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const { body } = await upload(bomb, {}, 'bomb.png', 'image/png');
    expect(body.data.createReconstruction.errors[0]).toMatchObject({ code: 'IMAGE_TOO_LARGE' });
  });

  it('validates options with typed errors', async () => {
    const { body } = await upload(portrait, { options: { textureSize: 300 } });
    expect(body.data.createReconstruction.errors[0]).toMatchObject({ code: 'INVALID_ARGUMENT', field: ['input', 'options', 'textureSize'] });
  });

  it('creates one reconstruction and one job for the same idempotency key', async () => {
    const first = (await upload(portrait, { idempotencyKey: 'order-42' })).body.data.createReconstruction.reconstruction;
    const second = (await upload(portrait, { idempotencyKey: 'order-42' })).body.data.createReconstruction.reconstruction;
    expect(second.id).toBe(first.id);
    expect(await h.db.reconstruction.count({ where: { tenantId, idempotencyKey: 'order-42' } })).toBe(1);
  });

  it('gives NotFound for another tenant\'s subject', async () => {
    const other = await h.createTenant('Other');
    const { body } = await h.upload(CREATE, { input: { subjectId, photo: null } }, 'variables.input.photo', { bytes: portrait, name: 'p.jpg', type: 'image/jpeg' }, other.key);
    expect(body.data.createReconstruction.errors[0]).toMatchObject({ __typename: 'NotFound', field: ['input', 'subjectId'] });
  });

  it('streams progress over graphql-ws: current state first, then every event, ending at the final state', async () => {
    const created = (await upload(portrait)).body.data.createReconstruction.reconstruction;
    const row = await h.db.reconstruction.findFirstOrThrow({ where: { tenantId }, orderBy: { createdAt: 'desc' } });
    expect(row.id).toBeDefined();
    const client = createClient({ url: h.api.url.replace('http', 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` } });
    const received: any[] = [];
    const done = new Promise<void>((resolve, reject) => {
      client.subscribe(
        { query: 'subscription($id: ID!) { reconstructionProgress(id: $id) { id status stage progress queuePosition message error { code } } }', variables: { id: created.id } },
        { next: (message) => received.push(message.data?.reconstructionProgress ?? message.errors), error: reject, complete: resolve },
      );
    });
    // Wait for the first (persisted) state, then act as the worker.
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    const publisher = h.services.publisher;
    await publisher.report({ tenantId, reconstructionId: row.id, status: 'RUNNING', stage: 'decode', progress: 0.1 });
    await publisher.report({ tenantId, reconstructionId: row.id, status: 'RUNNING', stage: 'fit', progress: 0.6 });
    await publisher.report({ tenantId, reconstructionId: row.id, status: 'SUCCEEDED', stage: 'export', progress: 1 });
    await done;
    await client.dispose();
    expect(received[0]).toMatchObject({ id: created.id, status: 'QUEUED', progress: 0 });
    expect(received.at(-1)).toMatchObject({ status: 'SUCCEEDED', progress: 1, error: null });
    const progresses = received.map((update) => update.progress);
    expect(progresses).toEqual([...progresses].sort((a, b) => a - b));
  });

  it('cancels a queued reconstruction and retries it', async () => {
    const created = (await upload(portrait)).body.data.createReconstruction.reconstruction;
    const cancel = await h.gql('mutation($id: ID!) { cancelReconstruction(input: { id: $id }) { reconstruction { status queuePosition } errors { code } } }', { id: created.id }, key);
    expect(cancel.body.data.cancelReconstruction).toEqual({ reconstruction: { status: 'CANCELLED', queuePosition: null }, errors: [] });
    const retry = await h.gql('mutation($id: ID!) { retryReconstruction(input: { id: $id }) { reconstruction { status } errors { code } } }', { id: created.id }, key);
    expect(retry.body.data.retryReconstruction).toEqual({ reconstruction: { status: 'QUEUED' }, errors: [] });
    const again = await h.gql('mutation($id: ID!) { retryReconstruction(input: { id: $id }) { errors { code } } }', { id: created.id }, key);
    expect(again.body.data.retryReconstruction.errors).toEqual([{ code: 'INVALID_ARGUMENT' }]);
  });

  it('says whether a job error is the photo\'s (upload another) or transient (retry), from the pipeline\'s code table', async () => {
    const created = (await upload(portrait)).body.data.createReconstruction.reconstruction;
    const row = await h.db.reconstruction.findFirstOrThrow({ where: { tenantId }, orderBy: { createdAt: 'desc' } });
    expect(row.id).toBeDefined();
    const query = 'query($id: ID!) { reconstruction(id: $id) { status error { code photoProblem retryable } } }';
    for (const [code, photoProblem, retryable] of [
      ['NO_FACE', true, false],
      ['MULTIPLE_FACES', true, false],
      ['FACE_TOO_SMALL', true, false],
      ['INVALID_IMAGE', true, false],
      ['IMAGE_TOO_LARGE', true, false],
      ['INTERNAL', false, true],
      ['MODEL_UNAVAILABLE', false, true],
      ['INVALID_ARGUMENT', false, false],
      ['SOMETHING_NEW', false, true],
    ] as const) {
      await h.db.reconstruction.update({ where: { id: row.id }, data: { status: 'FAILED', errorCode: code, errorMessage: code } });
      const { body } = await h.gql(query, { id: created.id }, key);
      expect(body.data.reconstruction, code).toEqual({ status: 'FAILED', error: { code, photoProblem, retryable } });
    }
  });
});
