import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES } from '@seif/platform';
import { toGlobalId } from '../src/relay.js';
import { type Harness, startHarness } from './helpers/api-harness.js';

const CREATE = `mutation($input: CreateAnimationInput!) {
  createAnimation(input: $input) { animation { id kind status params } errors { __typename code message field } }
}`;

describe('createAnimation', () => {
  let h: Harness;
  let key: string;
  let succeeded: string;
  let queued: string;

  beforeAll(async () => {
    h = await startHarness();
    const tenant = await h.createTenant('Anim');
    key = tenant.key;
    const subject = await h.db.subject.create({ data: { tenantId: tenant.tenantId, displayName: 'S' } });
    const photo = await h.db.photo.create({ data: { tenantId: tenant.tenantId, subjectId: subject.id, storageKey: 'k', sha256: '0'.repeat(64), bytes: 1, width: 1, height: 1, mime: 'image/jpeg' } });
    const make = async (status: 'SUCCEEDED' | 'QUEUED') =>
      toGlobalId('Reconstruction', (await h.db.reconstruction.create({ data: { tenantId: tenant.tenantId, subjectId: subject.id, photoId: photo.id, status } })).id);
    succeeded = await make('SUCCEEDED');
    queued = await make('QUEUED');
  });
  afterAll(() => h?.close());

  const create = (input: Record<string, unknown>) => h.gql(CREATE, { input }, key).then((r) => r.body.data.createAnimation);

  it('queues a preset, ARKit weights or FLAME parameters with a job', async () => {
    const preset = await create({ reconstructionId: succeeded, preset: 'smile' });
    expect(preset.errors).toEqual([]);
    expect(preset.animation).toMatchObject({ kind: 'PRESET', status: 'QUEUED', params: { preset: 'smile' } });
    const weights = await create({ reconstructionId: succeeded, arkitWeights: { jawOpen: 0.5, eyeBlink_L: 1 } });
    expect(weights.animation).toMatchObject({ kind: 'ARKIT_WEIGHTS', params: { weights: { jawOpen: 0.5, eyeBlinkLeft: 1 } } });
    const flame = await create({ reconstructionId: succeeded, flameParams: { pose: { jaw: [0.2, 0, 0], neck: [0, 0.3, 0] }, expression: { mouthSmileLeft: 0.4 } } });
    expect(flame.animation).toMatchObject({ kind: 'FLAME_PARAMS', params: { joints: { jaw: [0.2, 0, 0] }, weights: { mouthSmileLeft: 0.4 } } });
    const row = await h.db.animation.findFirstOrThrow({ where: { kind: 'PRESET' } });
    expect(await h.services.queue.getJob(QUEUES.ANIMATE, row.jobId as string)).toMatchObject({ state: 'created' });
  });

  it('refuses what the worker could not do, with typed errors naming the field', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ reconstructionId: succeeded }, ['input']],
      [{ reconstructionId: succeeded, preset: 'smile', arkitWeights: { jawOpen: 1 } }, ['input']],
      [{ reconstructionId: succeeded, preset: 'dance' }, ['input', 'preset']],
      [{ reconstructionId: succeeded, arkitWeights: { tongueWag: 1 } }, ['input', 'arkitWeights', 'tongueWag']],
      [{ reconstructionId: succeeded, arkitWeights: { jawOpen: 2 } }, ['input', 'arkitWeights', 'jawOpen']],
      [{ reconstructionId: succeeded, arkitWeights: [1, 2] }, ['input', 'arkitWeights']],
      [{ reconstructionId: succeeded, flameParams: { pose: { tail: [0, 0, 0] } } }, ['input', 'flameParams', 'pose', 'tail']],
      [{ reconstructionId: succeeded, flameParams: { pose: { jaw: [4, 0, 0] } } }, ['input', 'flameParams', 'pose', 'jaw']],
      [{ reconstructionId: succeeded, flameParams: { shape: [] } }, ['input', 'flameParams', 'shape']],
      [{ reconstructionId: queued, preset: 'smile' }, ['input', 'reconstructionId']],
    ];
    for (const [input, field] of cases) {
      const result = await create(input);
      expect(result.animation, JSON.stringify(input)).toBeNull();
      expect(result.errors[0], JSON.stringify(input)).toMatchObject({ __typename: 'InvalidArgument', field });
    }
    const other = await h.createTenant('Other');
    const foreign = await h.gql(CREATE, { input: { reconstructionId: succeeded, preset: 'smile' } }, other.key);
    expect(foreign.body.data.createAnimation.errors[0]).toMatchObject({ __typename: 'NotFound' });
  });
});
