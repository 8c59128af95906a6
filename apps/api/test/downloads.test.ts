import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconstructionKey } from '../src/storage-keys.js';
import { type Harness, startHarness } from './helpers/api-harness.js';

describe('artefact downloads', () => {
  let h: Harness;
  let key: string;
  let reconstructionGlobalId: string;
  const glb = Buffer.from('glTF binary bytes');

  beforeAll(async () => {
    h = await startHarness();
    const tenant = await h.createTenant('Downloads');
    key = tenant.key;
    const subject = await h.db.subject.create({ data: { tenantId: tenant.tenantId, displayName: 'S' } });
    const photo = await h.db.photo.create({
      data: { tenantId: tenant.tenantId, subjectId: subject.id, storageKey: 'k', sha256: '0'.repeat(64), bytes: 1, width: 1, height: 1, mime: 'image/jpeg' },
    });
    const reconstruction = await h.db.reconstruction.create({
      data: { tenantId: tenant.tenantId, subjectId: subject.id, photoId: photo.id, status: 'SUCCEEDED', progress: 1, headModelName: 'flame2023-open-arkit', headModelVersion: '1' },
    });
    const storageKey = reconstructionKey(tenant.tenantId, subject.id, reconstruction.id, 'head.glb');
    await h.services.storage.put(storageKey, glb, { contentType: 'model/gltf-binary' });
    await h.db.artifact.create({
      data: { tenantId: tenant.tenantId, reconstructionId: reconstruction.id, kind: 'GLB', storageKey, bytes: glb.length, sha256: 'f'.repeat(64), contentType: 'model/gltf-binary' },
    });
    const list = await h.gql('{ subjects { edges { node { latestReconstruction { id } } } } }', {}, key);
    reconstructionGlobalId = list.body.data.subjects.edges[0].node.latestReconstruction.id;
  });
  afterAll(() => h?.close());

  async function artifact() {
    const { body } = await h.gql(
      'query($id: ID!) { reconstruction(id: $id) { status headModel { name rotationConvention } artifacts { kind bytes contentType url urlExpiresAt } } }',
      { id: reconstructionGlobalId },
      key,
    );
    return body.data.reconstruction;
  }

  it('lists artefacts with signed, expiring URLs that download the bytes', async () => {
    const reconstruction = await artifact();
    expect(reconstruction.headModel).toEqual({ name: 'flame2023-open-arkit', rotationConvention: 'AXIS_ANGLE' });
    const [file] = reconstruction.artifacts;
    expect(file).toMatchObject({ kind: 'GLB', bytes: glb.length, contentType: 'model/gltf-binary' });
    expect(new Date(file.urlExpiresAt).getTime()).toBeGreaterThan(Date.now());
    const response = await fetch(file.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('model/gltf-binary');
    expect(response.headers.get('content-disposition')).toContain('head.glb');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(glb);
  });

  it('refuses tampered and expired links', async () => {
    const { url } = (await artifact()).artifacts[0];
    const tampered = new URL(url);
    tampered.searchParams.set('expires', String(Number(tampered.searchParams.get('expires')) + 3600));
    expect((await fetch(tampered)).status).toBe(403);
    const expiredUrl = new URL(url);
    const artifactId = expiredUrl.pathname.split('/').at(-1) as string;
    const old = h.services.downloads.sign(artifactId, Date.now() - 24 * 3600 * 1000);
    expect((await fetch(old.url)).status).toBe(410);
  });
});
