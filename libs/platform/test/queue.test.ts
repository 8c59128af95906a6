import { randomUUID } from 'node:crypto';
import PgBoss from 'pg-boss';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Database } from '../src/db/client.js';
import {
  deadLetterQueue,
  jobIdFor,
  JobQueue,
  JobQueueError,
  type JobQueueOptions,
  prismaTransactionExecutor,
  QUEUES,
} from '../src/queue/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';
import { seedReconstruction, uniqueSchema, waitFor } from './helpers.js';

const adminUrl = inject('postgresAdminUrl');

let database: TestDatabase;
let db: Database;
const queues: JobQueue[] = [];

async function startQueue(options: Partial<JobQueueOptions> = {}): Promise<JobQueue> {
  const queue = new JobQueue({ connectionString: database.url, schema: uniqueSchema(), pollingIntervalMs: 500, maintenanceIntervalSeconds: 1, onError: () => {}, ...options });
  queues.push(queue);
  await queue.start();
  return queue;
}

beforeAll(async () => {
  database = await createTestDatabase(adminUrl);
  db = createDatabase(database.url, { maxConnections: 4 });
});
afterEach(async () => {
  await Promise.all(queues.splice(0).map((queue) => queue.stop({ timeoutMs: 1_000 })));
});
afterAll(async () => {
  await db.$disconnect();
  await database.drop();
});

describe('enqueue inside the caller’s Prisma transaction', () => {
  it('leaves no job when the transaction rolls back, and exactly one when it commits', async () => {
    const queue = await startQueue();
    let rolledBackJobId: string | undefined;
    await expect(
      db.$transaction(async (tx) => {
        const seeded = await seedReconstruction(tx);
        rolledBackJobId = await queue.enqueue(QUEUES.RECONSTRUCT, { tenantId: seeded.tenantId, reconstructionId: seeded.reconstructionId }, { db: prismaTransactionExecutor(tx) });
        throw new Error('rollback on purpose');
      }),
    ).rejects.toThrow('rollback on purpose');
    expect(rolledBackJobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await queue.getJob(QUEUES.RECONSTRUCT, rolledBackJobId!)).toBeNull();

    const { seeded, jobId } = await db.$transaction(async (tx) => {
      const seeded = await seedReconstruction(tx);
      const jobId = await queue.enqueue(QUEUES.RECONSTRUCT, { tenantId: seeded.tenantId, reconstructionId: seeded.reconstructionId }, { db: prismaTransactionExecutor(tx) });
      return { seeded, jobId };
    });
    const job = await queue.getJob(QUEUES.RECONSTRUCT, jobId);
    expect(job).toMatchObject({ state: 'created', data: { reconstructionId: seeded.reconstructionId } });
  });

  it('dedupes by idempotency key, inside and outside transactions', async () => {
    const queue = await startQueue();
    const payload = { tenantId: randomUUID(), reconstructionId: randomUUID() };
    const first = await db.$transaction((tx) => queue.enqueue(QUEUES.RECONSTRUCT, payload, { db: prismaTransactionExecutor(tx), idempotencyKey: 'k1' }));
    const second = await queue.enqueue(QUEUES.RECONSTRUCT, payload, { idempotencyKey: 'k1' });
    expect(second).toBe(first);
    expect(first).toBe(jobIdFor(QUEUES.RECONSTRUCT, 'k1'));
    expect(await queue.queuePosition(QUEUES.RECONSTRUCT, first)).toBe(0);
  });
});

describe('argument and payload checks', () => {
  it('rejects a bad payload at enqueue with the fields named', async () => {
    const queue = await startQueue();
    const error = await queue.enqueue(QUEUES.RECONSTRUCT, { tenantId: 'nope' } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobQueueError);
    expect(error).toMatchObject({ code: 'INVALID_PAYLOAD' });
    expect((error as Error).message).toMatch(/tenantId: .*reconstructionId: /);
    await expect(queue.enqueue('nope' as never, {} as never)).rejects.toThrow(/Unknown queue "nope": use one of QUEUES/);
    await expect(queue.enqueue(QUEUES.ANIMATE, { tenantId: randomUUID(), animationId: randomUUID() }, { retryLimit: -1 })).rejects.toThrow(/retryLimit must be an integer from 0/);
  });

  it('fails a job whose payload does not match the schema at once, with a clear message and no retry', async () => {
    const queue = await startQueue();
    // A producer that bypasses JobQueue (an old API version, a manual insert).
    const raw = new PgBoss({ connectionString: database.url, schema: queue.schema, supervise: false, schedule: false, migrate: false });
    raw.on('error', () => {});
    await raw.start();
    const jobId = (await raw.send(QUEUES.RECONSTRUCT, { tenantId: 'not-a-uuid' }, { retryLimit: 3 }))!;
    await raw.stop({ graceful: false });
    const errors: Error[] = [];
    let calls = 0;
    await queue.work(QUEUES.RECONSTRUCT, async () => void calls++, { onError: (error) => errors.push(error) });
    const job = await waitFor(async () => {
      const found = await queue.getJob(QUEUES.RECONSTRUCT, jobId);
      return found?.state === 'failed' && found;
    });
    expect(calls).toBe(0);
    expect(job.retryCount).toBe(0);
    expect(job.output).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringMatching(/Payload for queue seif\.reconstruct does not match its schema \(tenantId: .*reconstructionId: /) });
    expect(errors[0]?.message).toMatch(/job failed without retry.*queue: seif\.reconstruct, worker: .*job: /);
  });
});

describe('retries and dead letters', () => {
  it('retries a throwing handler with back-off, then moves the job to the dead-letter queue', async () => {
    const queue = await startQueue();
    const payload = { tenantId: randomUUID(), reconstructionId: randomUUID() };
    const jobId = await queue.enqueue(QUEUES.RECONSTRUCT, payload, { retryLimit: 1, retryDelay: 1, retryBackoff: true });
    const attempts: { attempt: number; at: number }[] = [];
    const errors: Error[] = [];
    await queue.work(
      QUEUES.RECONSTRUCT,
      async (job) => {
        attempts.push({ attempt: job.attempt, at: Date.now() });
        throw new Error(`boom ${job.attempt}`);
      },
      { onError: (error) => errors.push(error) },
    );
    const dead: unknown[] = [];
    await queue.work(deadLetterQueue(QUEUES.RECONSTRUCT), async (job) => void dead.push({ data: job.data, output: job.output }));
    await waitFor(() => dead.length > 0, 15_000, 'the dead-letter consumer');
    expect(attempts.map((a) => a.attempt)).toEqual([0, 1]);
    // retryDelay 1 with back-off: the first retry waits 1 to 2 s (pg-boss plans.ts failJobs).
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(900);
    expect(dead).toEqual([{ data: payload, output: expect.objectContaining({ message: 'boom 1' }) }]);
    expect(await queue.getJob(QUEUES.RECONSTRUCT, jobId)).toMatchObject({ state: 'failed', retryCount: 1 });
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/boom 0.*queue: seif\.reconstruct/), expect.stringMatching(/boom 1/)]);
  });

  it('keeps the worker loop alive when the onError hook itself throws', async () => {
    const queue = await startQueue();
    let calls = 0;
    await queue.work(
      QUEUES.ANIMATE,
      async () => {
        calls++;
        if (calls === 1) throw new Error('first fails');
      },
      {
        onError: () => {
          throw new Error('hook bug');
        },
      },
    );
    const id = await queue.enqueue(QUEUES.ANIMATE, { tenantId: randomUUID(), animationId: randomUUID() }, { retryLimit: 0 });
    const second = await queue.enqueue(QUEUES.ANIMATE, { tenantId: randomUUID(), animationId: randomUUID() });
    await waitFor(async () => (await queue.getJob(QUEUES.ANIMATE, second))?.state === 'completed', 10_000, 'the second job');
    expect((await queue.getJob(QUEUES.ANIMATE, id))?.state).toBe('failed');
  });
});

describe('queue position, cancellation, concurrency', () => {
  it('counts the jobs ahead, honours priority, and cancels by id', async () => {
    const queue = await startQueue();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await queue.enqueue(QUEUES.RECONSTRUCT, { tenantId: randomUUID(), reconstructionId: randomUUID() }));
    expect(await Promise.all(ids.map((id) => queue.queuePosition(QUEUES.RECONSTRUCT, id)))).toEqual([0, 1, 2]);
    const urgent = await queue.enqueue(QUEUES.RECONSTRUCT, { tenantId: randomUUID(), reconstructionId: randomUUID() }, { priority: 10 });
    expect(await queue.queuePosition(QUEUES.RECONSTRUCT, urgent)).toBe(0);
    expect(await queue.queuePosition(QUEUES.RECONSTRUCT, ids[2]!)).toBe(3);
    expect(await queue.cancel(ids[0]!)).toBe(true);
    expect(await queue.cancel(ids[0]!)).toBe(false);
    expect(await queue.cancel(randomUUID())).toBe(false);
    expect(await queue.queuePosition(QUEUES.RECONSTRUCT, ids[0]!)).toBeNull();
    expect(await queue.queuePosition(QUEUES.RECONSTRUCT, ids[2]!)).toBe(2);
    expect((await queue.getJob(QUEUES.RECONSTRUCT, ids[0]!))?.state).toBe('cancelled');
  });

  it('runs up to `concurrency` jobs at once', async () => {
    const queue = await startQueue();
    let running = 0;
    let peak = 0;
    const done: string[] = [];
    await queue.work(
      QUEUES.ANIMATE,
      async (job) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 300));
        running--;
        done.push(job.id);
      },
      { concurrency: 3 },
    );
    for (let i = 0; i < 6; i++) await queue.enqueue(QUEUES.ANIMATE, { tenantId: randomUUID(), animationId: randomUUID() });
    await waitFor(() => done.length === 6, 10_000, 'six jobs');
    expect(peak).toBe(3);
  });
});
