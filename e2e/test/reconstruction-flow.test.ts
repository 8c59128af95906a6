/**
 * The platform end to end, with real parts: two API instances and a worker on one PostgreSQL, a sample photo
 * uploaded through the GraphQL multipart spec, progress pushed over graphql-ws by the OTHER instance, the GLB
 * downloaded and checked by the Khronos validator; a photo without a face; a worker killed mid-job.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningApi, startApiServer } from '@seif/api/server';
import { type ApiServices, closeApiServices, createApiServices } from '@seif/api/services';
import { type RunningWorker, startWorker } from '@seif/gpu-worker/worker';
import { assetPath } from '@seif/models';
import { createLogger, generateApiKey, loadConfig, REPO_ROOT } from '@seif/platform';
import { createDatabase, type Database } from '@seif/platform/db';
import { createTestDatabase, freePort, type TestDatabase } from '@seif/platform/testing';

const CREATE = `mutation($input: CreateReconstructionInput!) {
  createReconstruction(input: $input) { reconstruction { id status } errors { code message } }
}`;

describe('reconstruction flow across instances', () => {
  let database: TestDatabase;
  let db: Database;
  let dataDir: string;
  const apis: { api: RunningApi; services: ApiServices }[] = [];
  let worker: RunningWorker | undefined;
  let key: string;
  let subjectId: string;
  let succeededId: string | undefined;

  async function gql(api: RunningApi, query: string, variables: Record<string, unknown> = {}) {
    const response = await fetch(api.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query, variables }) });
    return (await response.json()) as any;
  }

  async function upload(api: RunningApi, asset: string) {
    const bytes = await readFile(await assetPath(asset));
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: CREATE, variables: { input: { subjectId, photo: null, options: { formats: ['GLB', 'STL'], textureSize: 512 } } } }));
    form.set('map', JSON.stringify({ 0: ['variables.input.photo'] }));
    form.set('0', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), `${asset}.jpg`);
    const response = await fetch(api.url, { method: 'POST', headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${key}` }, body: form });
    const body = (await response.json()) as any;
    expect(body.data.createReconstruction.errors).toEqual([]);
    return body.data.createReconstruction.reconstruction.id as string;
  }

  /** Subscribes on `api` and collects every message until the stream completes. */
  function follow(api: RunningApi, id: string) {
    const client = createClient({ url: api.url.replace('http', 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` } });
    const events: any[] = [];
    const done = new Promise<any[]>((resolve, reject) => {
      client.subscribe(
        { query: 'subscription($id: ID!) { reconstructionProgress(id: $id) { status stage progress queuePosition etaSeconds message error { code message } } }', variables: { id } },
        { next: (message) => events.push(message.data?.reconstructionProgress), error: reject, complete: () => resolve(events) },
      );
    }).finally(() => client.dispose());
    return { events, done };
  }

  beforeAll(async () => {
    database = await createTestDatabase(inject('postgresAdminUrl'));
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'seif-flow-'));
    db = createDatabase(database.url);
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const config = loadConfig({ DATABASE_URL: database.url, SEIF_DATA_DIR: dataDir, API_PORT: String(port) });
      const services = await createApiServices(config, createLogger(`api-${i}`, 'silent'), createDatabase(database.url));
      apis.push({ api: await startApiServer(services, { host: '127.0.0.1', port }), services });
    }
    const generated = await generateApiKey();
    await db.tenant.create({ data: { name: 'Flow', apiKeys: { create: { name: 'k', prefix: generated.prefix, hash: generated.hash, scopes: ['READ', 'WRITE'] } } } });
    key = generated.key;
    subjectId = (await gql(apis[0]!.api, 'mutation { createSubject(input: { displayName: "Flow" }) { subject { id } } }')).data.createSubject.subject.id;
  });

  afterAll(async () => {
    await worker?.stop();
    for (const { api, services } of apis) {
      await api.stop();
      await closeApiServices(services);
    }
    await db?.$disconnect();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('uploads on one instance, streams progress from the other, and serves a valid GLB', async () => {
    const config = loadConfig({ DATABASE_URL: database.url, SEIF_DATA_DIR: dataDir });
    worker = await startWorker({ config, db: createDatabase(database.url), logger: createLogger('worker', 'silent') }, { metricsPort: 0, pollingIntervalMs: 500 });
    const id = await upload(apis[0]!.api, 'photo-city-portrait');
    succeededId = id;
    const { events, done } = follow(apis[1]!.api, id);
    await done;
    expect(events[0].status === 'QUEUED' || events[0].status === 'RUNNING').toBe(true);
    expect(events.at(-1)).toMatchObject({ status: 'SUCCEEDED', progress: 1, error: null });
    // Progress is throttled (one event per 250 ms per job), so quick stages may be folded into later events;
    // the fit alone lasts long enough to be reported.
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events.map((event) => event.stage)).toContain('fit');
    const progress = events.map((event) => event.progress);
    expect(progress, JSON.stringify(events.map((e) => [e.status, e.stage, e.progress]))).toEqual([...progress].sort((a, b) => a - b));

    const result = (await gql(apis[1]!.api, 'query($id: ID!) { reconstruction(id: $id) { status headModel { name } timings warnings artifacts { kind bytes url } } }', { id })).data.reconstruction;
    expect(result.headModel.name).toBe('flame2023-open-arkit');
    expect(result.artifacts.map((a: any) => a.kind).sort()).toEqual(['GLB', 'PARAMS', 'STL', 'TEXTURE', 'THUMBNAIL']);
    const glbUrl = result.artifacts.find((a: any) => a.kind === 'GLB').url;
    const glb = new Uint8Array(await (await fetch(glbUrl)).arrayBuffer());
    const { validateBytes } = await import('gltf-validator');
    const report = await validateBytes(glb);
    expect(report.issues.numErrors, JSON.stringify(report.issues.messages.slice(0, 3))).toBe(0);

    // Animate it: a smile, posed by the worker, downloaded through the other instance.
    const created = (await gql(apis[0]!.api, 'mutation($id: ID!) { createAnimation(input: { reconstructionId: $id, preset: "smile" }) { animation { id status kind } errors { code message } } }', { id })).data.createAnimation;
    expect(created.errors).toEqual([]);
    expect(created.animation).toMatchObject({ status: 'QUEUED', kind: 'PRESET' });
    const client = createClient({ url: apis[1]!.api.url.replace('http', 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` } });
    const animationEvents: any[] = [];
    await new Promise<void>((resolve, reject) =>
      client.subscribe(
        { query: 'subscription($id: ID!) { animationProgress(id: $id) { status progress error { code } } }', variables: { id: created.animation.id } },
        { next: (message) => animationEvents.push(message.data?.animationProgress), error: reject, complete: resolve },
      ),
    ).finally(() => client.dispose());
    expect(animationEvents.at(-1)).toMatchObject({ status: 'SUCCEEDED', progress: 1 });
    const animation = (await gql(apis[1]!.api, 'query($id: ID!) { animation(id: $id) { status artifacts { kind url } } }', { id: created.animation.id })).data.animation;
    const posed = new Uint8Array(await (await fetch(animation.artifacts[0].url)).arrayBuffer());
    expect((await validateBytes(posed)).issues.numErrors).toBe(0);
    const { NodeIO } = await import('@gltf-transform/core');
    const document = await new NodeIO().readBinary(posed);
    const head = document.getRoot().listMeshes().find((mesh) => (mesh.getExtras() as { targetNames?: string[] }).targetNames);
    const names = (head!.getExtras() as { targetNames: string[] }).targetNames;
    const weights = head!.getWeights();
    expect(weights[names.indexOf('mouthSmileLeft')] ?? weights[names.indexOf('mouthSmile_L')]).toBeCloseTo(0.9, 5);
  });

  it('animates with the expression of a driving photo, and says NO_FACE for one without a face', async () => {
    expect(succeededId, 'needs the reconstruction of the first test').toBeDefined();
    const drive = async (asset: string) => {
      const bytes = await readFile(await assetPath(asset));
      const form = new FormData();
      form.set('operations', JSON.stringify({ query: 'mutation($input: CreateAnimationInput!) { createAnimation(input: $input) { animation { id kind } errors { code message } } }', variables: { input: { reconstructionId: succeededId, drivingPhoto: null } } }));
      form.set('map', JSON.stringify({ 0: ['variables.input.drivingPhoto'] }));
      form.set('0', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), `${asset}.jpg`);
      const response = await fetch(apis[1]!.api.url, { method: 'POST', headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${key}` }, body: form });
      const created = ((await response.json()) as any).data.createAnimation;
      expect(created.errors).toEqual([]);
      expect(created.animation.kind).toBe('DRIVING_PHOTO');
      const client = createClient({ url: apis[0]!.api.url.replace('http', 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` } });
      const events: any[] = [];
      await new Promise<void>((resolve, reject) =>
        client.subscribe(
          { query: 'subscription($id: ID!) { animationProgress(id: $id) { status error { code } } }', variables: { id: created.animation.id } },
          { next: (message) => events.push(message.data?.animationProgress), error: reject, complete: resolve },
        ),
      ).finally(() => client.dispose());
      return { id: created.animation.id as string, last: events.at(-1) };
    };
    const surprised = await drive('photo-surprised');
    expect(surprised.last).toMatchObject({ status: 'SUCCEEDED' });
    const animation = (await gql(apis[0]!.api, 'query($id: ID!) { animation(id: $id) { artifacts { url } } }', { id: surprised.id })).data.animation;
    const posed = new Uint8Array(await (await fetch(animation.artifacts[0].url)).arrayBuffer());
    const { NodeIO } = await import('@gltf-transform/core');
    const document = await new NodeIO().readBinary(posed);
    const head = document.getRoot().listMeshes().find((mesh) => (mesh.getExtras() as { targetNames?: string[] }).targetNames);
    const weights = head!.getWeights();
    // A surprised face moves some expression (brows, eyes, jaw): not the neutral pose.
    expect(Math.max(...weights)).toBeGreaterThan(0.05);
    expect((await drive('photo-zebra-stripes')).last).toMatchObject({ status: 'FAILED', error: { code: 'NO_FACE' } });
  });

  it('records NO_FACE for a photo without a face', async () => {
    const id = await upload(apis[1]!.api, 'photo-zebra-stripes');
    const { events, done } = follow(apis[0]!.api, id);
    await done;
    expect(events.at(-1)).toMatchObject({ status: 'FAILED', error: { code: 'NO_FACE' } });
  });

  it('finishes a job whose worker was SIGKILLed mid-run', async () => {
    await worker?.stop();
    worker = undefined;
    const env = { ...process.env, DATABASE_URL: database.url, SEIF_DATA_DIR: dataDir, TEST_EXPIRE_SECONDS: '15', TEST_MAINTENANCE_SECONDS: '2' };
    const startChild = () =>
      new Promise<ReturnType<typeof spawn>>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'e2e/test/fixtures/worker-process.ts')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
        createInterface({ input: child.stdout! }).on('line', (line) => line === 'ready' && resolve(child));
        child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
      });
    const doomed = await startChild();
    const id = await upload(apis[0]!.api, 'photo-model-face');
    const { events, done } = follow(apis[0]!.api, id);
    while (!events.some((event) => event?.status === 'RUNNING')) await new Promise((resolve) => setTimeout(resolve, 100));
    doomed.kill('SIGKILL');
    const survivor = await startChild();
    try {
      await done;
      expect(events.at(-1)).toMatchObject({ status: 'SUCCEEDED' });
      const row = await db.reconstruction.findFirstOrThrow({ where: { status: 'SUCCEEDED' }, orderBy: { createdAt: 'desc' } });
      expect(row.attempts).toBeGreaterThanOrEqual(2);
    } finally {
      survivor.kill('SIGTERM');
    }
  });
});
