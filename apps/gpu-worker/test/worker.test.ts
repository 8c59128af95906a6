import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger, loadConfig } from '@seif/platform';
import { createDatabase, type Database } from '@seif/platform/db';
import { createTestDatabase, type TestDatabase } from '@seif/platform/testing';
import { startWorker } from '../src/worker.js';

const logger = createLogger('worker-test', 'silent');

describe('worker lifecycle', () => {
  let database: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    database = await createTestDatabase(inject('postgresAdminUrl'));
    db = createDatabase(database.url);
  });
  afterAll(async () => {
    await db?.$disconnect();
    await database?.drop();
  });

  it('connects, serves Prometheus metrics and stops', async () => {
    const worker = await startWorker({ config: loadConfig({ DATABASE_URL: database.url }), db, logger }, { metricsPort: 0 });
    try {
      const response = await fetch(worker.metricsUrl);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      const body = await response.text();
      expect(body).toMatch(/^seif_worker_up 1$/m);
      expect(body).toMatch(/^seif_worker_database_up 1$/m);
      expect(body).toMatch(/^seif_worker_jobs_total\{outcome="failed"\} 0$/m);
    } finally {
      await worker.stop();
    }
    await expect(fetch(worker.metricsUrl)).rejects.toThrow();
  });

  it('refuses to start against an unreachable database', async () => {
    const broken = createDatabase('postgresql://nobody:x@127.0.0.1:1/none');
    try {
      await expect(startWorker({ config: loadConfig({}), db: broken, logger }, { metricsPort: 0 })).rejects.toThrow();
    } finally {
      await broken.$disconnect();
    }
  });
});
