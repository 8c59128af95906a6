import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Database } from '../src/db/client.js';
import { ProgressListener, ProgressNotFoundError, ProgressPublisher, type ProgressUpdate } from '../src/progress/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';
import { seedReconstruction, waitFor } from './helpers.js';

const adminUrl = inject('postgresAdminUrl');

let database: TestDatabase;
let db: Database;
const listeners: ProgressListener[] = [];

async function startListener(options: { minReconnectDelayMs?: number } = {}): Promise<ProgressListener> {
  // Its own Prisma client too: two listeners stand for two API instances.
  const listener = new ProgressListener({ connectionString: database.url, db, onError: () => {}, ...options });
  listeners.push(listener);
  await listener.start();
  return listener;
}

/** Collects a subscription in the background; `first` resolves with the initial (persisted) state. */
function collect(iterable: AsyncIterableIterator<ProgressUpdate>) {
  const values: ProgressUpdate[] = [];
  let resolveFirst!: (value: ProgressUpdate) => void;
  const first = new Promise<ProgressUpdate>((resolve) => (resolveFirst = resolve));
  const done = (async () => {
    for await (const value of iterable) {
      if (!values.length) resolveFirst(value);
      values.push(value);
    }
  })();
  return { values, first, done };
}

beforeAll(async () => {
  database = await createTestDatabase(adminUrl);
  db = createDatabase(database.url, { maxConnections: 4 });
});
afterAll(async () => {
  await Promise.all(listeners.map((listener) => listener.stop()));
  await db.$disconnect();
  await database.drop();
});

describe('ProgressPublisher -> NOTIFY -> ProgressListener', () => {
  it('delivers every event to subscribers on two API instances, state first, completing after the end', async () => {
    const seeded = await seedReconstruction(db);
    const [a, b] = [await startListener(), await startListener()];
    const publisher = new ProgressPublisher(db, { intervalMs: 0 });
    const onA = collect(a.subscribe('reconstruction', seeded.reconstructionId));
    const onB = collect(b.subscribe('reconstruction', seeded.reconstructionId, { tenantId: seeded.tenantId }));
    expect(await onA.first).toMatchObject({ status: 'QUEUED', progress: 0, eventId: null, tenantId: seeded.tenantId });
    await onB.first;

    const base = { tenantId: seeded.tenantId, reconstructionId: seeded.reconstructionId };
    expect(await publisher.report({ ...base, status: 'RUNNING', stage: 'decode', progress: 0.1 })).toBe('published');
    await publisher.report({ ...base, status: 'RUNNING', stage: 'detect', progress: 0.2, message: 'one face' });
    await publisher.report({ ...base, status: 'SUCCEEDED', stage: 'export', progress: 1 });
    await Promise.all([onA.done, onB.done]);

    const summary = (values: ProgressUpdate[]) => values.map((v) => `${v.status}:${v.stage}:${v.progress}`);
    expect(summary(onA.values)).toEqual(['QUEUED:null:0', 'RUNNING:decode:0.1', 'RUNNING:detect:0.2', 'SUCCEEDED:export:1']);
    expect(onB.values).toEqual(onA.values);
    expect(onA.values[2]?.message).toBe('one face');

    const row = await db.reconstruction.findUniqueOrThrow({ where: { id: seeded.reconstructionId } });
    expect(row).toMatchObject({ status: 'SUCCEEDED', stage: 'export', progress: 1, attempts: 1 });
    expect(row.startedAt).toBeInstanceOf(Date);
    expect(row.finishedAt).toBeInstanceOf(Date);
    expect(await db.progressEvent.count({ where: { reconstructionId: seeded.reconstructionId } })).toBe(3);
    expect(a.watchedJobs).toBe(0);
  });

  it('gives a subscriber that joins after the end exactly the final state, then completes', async () => {
    const seeded = await seedReconstruction(db);
    const publisher = new ProgressPublisher(db);
    const base = { tenantId: seeded.tenantId, reconstructionId: seeded.reconstructionId };
    await publisher.report({ ...base, status: 'RUNNING', stage: 'detect', progress: 0.2 });
    await publisher.report({ ...base, status: 'FAILED', stage: 'detect', progress: 0.2, errorCode: 'NO_FACE', message: 'No face found in the photo' });
    const listener = await startListener();
    const values: ProgressUpdate[] = [];
    for await (const value of listener.subscribe('reconstruction', seeded.reconstructionId)) values.push(value);
    expect(values).toEqual([
      expect.objectContaining({ status: 'FAILED', errorCode: 'NO_FACE', message: 'No face found in the photo', stage: 'detect' }),
    ]);
    // The row keeps the reason; a late worker cannot move a finished job.
    expect(await publisher.report({ ...base, status: 'RUNNING', stage: 'fit' })).toBe('job-finished');
    expect((await db.reconstruction.findUniqueOrThrow({ where: { id: seeded.reconstructionId } })).errorMessage).toBe('No face found in the photo');
  });

  it('scopes subscriptions by tenant and reports unknown jobs', async () => {
    const seeded = await seedReconstruction(db);
    const listener = await startListener();
    await expect(listener.subscribe('reconstruction', seeded.reconstructionId, { tenantId: randomUUID() }).next()).rejects.toBeInstanceOf(ProgressNotFoundError);
    await expect(listener.subscribe('animation', randomUUID()).next()).rejects.toThrow(/No animation/);
    const publisher = new ProgressPublisher(db);
    expect(await publisher.report({ tenantId: randomUUID(), reconstructionId: seeded.reconstructionId, status: 'RUNNING' })).toBe('not-found');
    await expect(publisher.report({ tenantId: seeded.tenantId, status: "RUNNING" } as never)).rejects.toThrow(/exactly one of reconstructionId and animationId/);
  });

  it('stops a pending next() at once when the consumer unsubscribes', async () => {
    const seeded = await seedReconstruction(db);
    const listener = await startListener();
    const iterator = listener.subscribe('reconstruction', seeded.reconstructionId);
    await iterator.next();
    const pending = iterator.next();
    await iterator.return!();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(listener.watchedJobs).toBe(0);
  });

  it('keeps NOTIFY payloads small: long messages are cut in the notification, kept whole in the row', async () => {
    const seeded = await seedReconstruction(db);
    const listener = await startListener();
    const publisher = new ProgressPublisher(db);
    const sub = collect(listener.subscribe('reconstruction', seeded.reconstructionId));
    await sub.first;
    const long = 'é'.repeat(20_000);
    expect(await publisher.report({ tenantId: seeded.tenantId, reconstructionId: seeded.reconstructionId, status: 'FAILED', errorCode: 'INTERNAL', message: long })).toBe('published');
    await sub.done;
    expect(sub.values.at(-1)?.message?.length).toBe(1000);
    expect((await db.reconstruction.findUniqueOrThrow({ where: { id: seeded.reconstructionId } })).errorMessage).toBe(long);
  });
});

describe('throttling', () => {
  it('writes at most one intermediate event per interval, in order, never dropping status changes or the end', async () => {
    const seeded = await seedReconstruction(db);
    const publisher = new ProgressPublisher(db, { intervalMs: 250 });
    const base = { tenantId: seeded.tenantId, reconstructionId: seeded.reconstructionId };
    const started = Date.now();
    await publisher.report({ ...base, status: 'RUNNING', stage: 'fit', progress: 0 });
    const outcomes: string[] = [];
    for (let i = 1; i <= 40; i++) {
      outcomes.push(await publisher.report({ ...base, status: 'RUNNING', stage: 'fit', progress: i / 100 }));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const elapsed = Date.now() - started;
    // The last intermediate report is written when its interval ends, even with nothing after it.
    await waitFor(async () => (await db.reconstruction.findUniqueOrThrow({ where: { id: seeded.reconstructionId } })).progress === 0.4, 2_000, 'the trailing report');
    await publisher.report({ ...base, status: 'SUCCEEDED', stage: 'export', progress: 1 });

    const events = await db.progressEvent.findMany({ where: { reconstructionId: seeded.reconstructionId }, orderBy: { id: 'asc' } });
    expect(outcomes.filter((o) => o === 'coalesced').length).toBeGreaterThan(20);
    const intermediate = events.filter((e) => e.status === 'RUNNING').slice(1);
    expect(intermediate.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 2);
    // Spacing on the database's clock (createdAt = now() when the insert runs): each write starts at least 250 ms
    // after the previous one was queued, but a loaded machine delays inserts unevenly, so a single gap can shrink
    // (136 ms seen with training beside the tests); on average they cannot.
    const span = intermediate.at(-1)!.createdAt.getTime() - intermediate[0]!.createdAt.getTime();
    expect(intermediate.length).toBeGreaterThanOrEqual(2);
    expect(span / (intermediate.length - 1)).toBeGreaterThanOrEqual(200);
    const progress = events.map((e) => e.progress);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    expect(events[0]).toMatchObject({ status: 'RUNNING', progress: 0 });
    expect(events.at(-2)).toMatchObject({ status: 'RUNNING', progress: 0.4 });
    expect(events.at(-1)).toMatchObject({ status: 'SUCCEEDED', progress: 1 });
  });

  it('writes a final report at once, superseding a held-back intermediate one', async () => {
    const seeded = await seedReconstruction(db);
    const publisher = new ProgressPublisher(db, { intervalMs: 10_000 });
    const base = { tenantId: seeded.tenantId, reconstructionId: seeded.reconstructionId };
    await publisher.report({ ...base, status: 'RUNNING', stage: 'fit', progress: 0.1 });
    expect(await publisher.report({ ...base, status: 'RUNNING', stage: 'fit', progress: 0.5 })).toBe('coalesced');
    expect(await publisher.report({ ...base, status: 'RUNNING', stage: 'mesh', progress: 0.6 })).toBe('published');
    expect(await publisher.report({ ...base, status: 'CANCELLED', message: 'cancelled by the user' })).toBe('published');
    await publisher.close();
    const events = await db.progressEvent.findMany({ where: { reconstructionId: seeded.reconstructionId }, orderBy: { id: 'asc' } });
    expect(events.map((e) => `${e.status}:${e.stage}:${e.progress}`)).toEqual(['RUNNING:fit:0.1', 'RUNNING:mesh:0.6', 'CANCELLED:mesh:0.6']);
  });
});

describe('listener connection loss', () => {
  it('reconnects after pg_terminate_backend, catches up on what it missed, and keeps delivering', async () => {
    const seeded = await seedReconstruction(db);
    const listener = await startListener({ minReconnectDelayMs: 400 });
    const publisher = new ProgressPublisher(db, { intervalMs: 0 });
    const base = { tenantId: seeded.tenantId, reconstructionId: seeded.reconstructionId };
    const sub = collect(listener.subscribe('reconstruction', seeded.reconstructionId));
    await sub.first;
    await publisher.report({ ...base, status: 'RUNNING', stage: 'decode', progress: 0.1 });
    await waitFor(() => sub.values.length === 2, 5_000, 'the first event');

    const oldPid = listener.pid!;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query('SELECT pg_terminate_backend($1) AS ok', [oldPid]);
      expect(rows[0].ok).toBe(true);
    } finally {
      await admin.end();
    }
    await waitFor(() => !listener.connected, 5_000, 'the listener to notice');
    // Published while the listener is away (reconnect waits 200-400 ms): its NOTIFY is lost for this listener.
    await publisher.report({ ...base, status: 'RUNNING', stage: 'detect', progress: 0.2 });
    await waitFor(() => listener.connected, 5_000, 'the reconnect');
    expect(listener.pid).not.toBe(oldPid);
    expect(listener.reconnects).toBe(1);
    await waitFor(() => sub.values.length === 3, 5_000, 'the state re-read after the reconnect');

    await publisher.report({ ...base, status: 'RUNNING', stage: 'fit', progress: 0.5 });
    await publisher.report({ ...base, status: 'SUCCEEDED', stage: 'export', progress: 1 });
    await sub.done;
    expect(sub.values.map((v) => `${v.status}:${v.stage}`)).toEqual(['QUEUED:null', 'RUNNING:decode', 'RUNNING:detect', 'RUNNING:fit', 'SUCCEEDED:export']);
  });
});
