import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { JobQueue, QUEUES } from '../src/queue/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';
import { uniqueSchema, waitFor } from './helpers.js';

const adminUrl = inject('postgresAdminUrl');
const here = path.dirname(fileURLToPath(import.meta.url));

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase(adminUrl, { migrate: false });
});
afterAll(() => database.drop());

it('retries a job after its expiry when the worker process is SIGKILLed mid-job', async () => {
  const schema = uniqueSchema();
  // This process runs maintenance every second (the one that expires jobs) and later the healthy worker.
  const queue = new JobQueue({ connectionString: database.url, schema, pollingIntervalMs: 500, maintenanceIntervalSeconds: 1, onError: () => {} });
  await queue.start();
  try {
    const payload = { tenantId: randomUUID(), reconstructionId: randomUUID() };
    // Short expiry so the test is quick; no retry delay so the retry starts as soon as the job expires.
    const jobId = await queue.enqueue(QUEUES.RECONSTRUCT, payload, { expireInSeconds: 2, retryLimit: 2, retryDelay: 0, retryBackoff: false });

    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/crash-worker.ts'), database.url, schema], {
      cwd: path.join(here, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await waitFor(() => output.includes(`started ${jobId}`), 20_000, 'the child worker to start the job');
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect((await queue.getJob(QUEUES.RECONSTRUCT, jobId))?.state).toBe('active');

    const runs: number[] = [];
    await queue.work(QUEUES.RECONSTRUCT, async (job) => {
      runs.push(job.attempt);
      return { finishedBy: 'survivor' };
    });
    const job = await waitFor(async () => {
      const found = await queue.getJob(QUEUES.RECONSTRUCT, jobId);
      return found?.state === 'completed' && found;
    }, 15_000, 'the job to be retried and completed');
    expect(runs).toEqual([1]);
    expect(job).toMatchObject({ retryCount: 1, output: { finishedBy: 'survivor' } });
  } finally {
    await queue.stop({ timeoutMs: 1_000 });
  }
});
