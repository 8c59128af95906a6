import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photoKey, reconstructionKey } from '../src/storage-keys.js';
import { type Harness, startHarness } from './helpers/api-harness.js';

describe('artefact downloads', () => {
  let h: Harness;
  let key: string;
  let reconstructionGlobalId: string;
  const glb = Buffer.from('glTF binary bytes');
  const jpeg = Buffer.from('original photo bytes');

  beforeAll(async () => {
    h = await startHarness();
    const tenant = await h.createTenant('Downloads');
    key = tenant.key;
    const subject = await h.db.subject.create({ data: { tenantId: tenant.tenantId, displayName: 'S' } });
    const photoId = '00000000-0000-4000-8000-000000000001';
    const photoStorageKey = photoKey(tenant.tenantId, subject.id, photoId, 'jpg');
    await h.services.storage.put(photoStorageKey, jpeg, { contentType: 'image/jpeg' });
    const photo = await h.db.photo.create({
      data: { id: photoId, tenantId: tenant.tenantId, subjectId: subject.id, storageKey: photoStorageKey, sha256: '0'.repeat(64), bytes: jpeg.length, width: 640, height: 480, mime: 'image/jpeg' },
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

  async function photo() {
    const { body } = await h.gql('query($id: ID!) { reconstruction(id: $id) { photo { id contentType bytes width height url urlExpiresAt } } }', { id: reconstructionGlobalId }, key);
    return body.data.reconstruction.photo;
  }

  it("serves the reconstruction's original photo through a signed, expiring URL, shown inline", async () => {
    const original = await photo();
    expect(original).toMatchObject({ contentType: 'image/jpeg', bytes: jpeg.length, width: 640, height: 480 });
    expect(new Date(original.urlExpiresAt).getTime()).toBeGreaterThan(Date.now());
    expect(new URL(original.url).pathname).toMatch(/^\/downloads\/photos\//);
    const response = await fetch(original.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.headers.get('content-disposition')).toMatch(/^inline; filename=".+\.jpg"$/);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(jpeg);
    // The photo is a Node of the viewer's tenant, and of no other tenant.
    const node = await h.gql('query($id: ID!) { node(id: $id) { __typename ... on Photo { bytes } } }', { id: original.id }, key);
    expect(node.body.data.node).toEqual({ __typename: 'Photo', bytes: jpeg.length });
    const other = await h.createTenant('Other downloads');
    expect((await h.gql('query($id: ID!) { node(id: $id) { id } }', { id: original.id }, other.key)).body.data.node).toBeNull();
  });

  it('refuses tampered, expired and cross-kind photo links', async () => {
    const { url } = await photo();
    const tampered = new URL(url);
    tampered.searchParams.set('expires', String(Number(tampered.searchParams.get('expires')) + 3600));
    expect((await fetch(tampered)).status).toBe(403);
    const photoId = new URL(url).pathname.split('/').at(-1) as string;
    expect((await fetch(h.services.downloads.sign(photoId, Date.now() - 24 * 3600 * 1000, 'photo').url)).status).toBe(410);
    // An artefact-style signature for the photo's id does not open the photo, nor a photo signature an artefact.
    const asArtifact = new URL(h.services.downloads.sign(photoId).url);
    const crossed = new URL(url);
    crossed.searchParams.set('signature', asArtifact.searchParams.get('signature') as string);
    crossed.searchParams.set('expires', asArtifact.searchParams.get('expires') as string);
    expect((await fetch(crossed)).status).toBe(403);
    const artifactUrl = new URL((await artifact()).artifacts[0].url);
    const artifactId = artifactUrl.pathname.split('/').at(-1) as string;
    const photoSigned = new URL(h.services.downloads.sign(artifactId, Date.now(), 'photo').url);
    artifactUrl.searchParams.set('signature', photoSigned.searchParams.get('signature') as string);
    artifactUrl.searchParams.set('expires', photoSigned.searchParams.get('expires') as string);
    expect((await fetch(artifactUrl)).status).toBe(403);
  });
});
