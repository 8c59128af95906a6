import { buildClientSchema, buildSchema as parseSdl, getIntrospectionQuery, lexicographicSortSchema, printSchema } from 'graphql';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger, loadConfig } from '@seif/platform';
import { createDatabase, type Database } from '@seif/platform/db';
import { createTestDatabase, type TestDatabase } from '@seif/platform/testing';
import { SCHEMA_PATH } from '../src/schema.js';
import { type RunningApi, startApiServer } from '../src/server.js';

const healthQuery = '{ health { status uptimeSeconds database { reachable latencyMs serverVersion migration error } packages { name version } } }';

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as any };
}

describe('health query', () => {
  let database: TestDatabase;
  let db: Database;
  let api: RunningApi;

  beforeAll(async () => {
    database = await createTestDatabase(inject('postgresAdminUrl'));
    db = createDatabase(database.url);
    api = await startApiServer(
      { config: loadConfig({ DATABASE_URL: database.url }), db, logger: createLogger('api-test', 'silent'), startedAt: Date.now() },
      { host: '127.0.0.1', port: 0 },
    );
  });
  afterAll(async () => {
    await api?.stop();
    await db?.$disconnect();
    await database?.drop();
  });

  it('reports the database, the migration and package versions', async () => {
    const { status, json } = await post(api.url, { query: healthQuery });
    expect(status).toBe(200);
    expect(json.errors).toBeUndefined();
    const health = json.data.health;
    expect(health.status).toBe('OK');
    expect(health.database.reachable).toBe(true);
    expect(health.database.migration).toMatch(/^\d{14}_\w+$/);
    expect(health.database.serverVersion).toMatch(/^\d+\.\d+/);
    const names = health.packages.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(['node', '@prisma/client', 'onnxruntime-node', '@apollo/server']));
  });

  it('says DEGRADED, without leaking details, when the database is gone', async () => {
    const broken = createDatabase('postgresql://nobody:wrong@127.0.0.1:1/none');
    const other = await startApiServer(
      { config: loadConfig({}), db: broken, logger: createLogger('api-test', 'silent'), startedAt: Date.now() },
      { host: '127.0.0.1', port: 0 },
    );
    try {
      const { json } = await post(other.url, { query: healthQuery });
      expect(json.data.health.status).toBe('DEGRADED');
      expect(json.data.health.database).toMatchObject({ reachable: false, migration: null });
      expect(json.data.health.database.error).not.toMatch(/wrong|nobody/);
    } finally {
      await other.stop();
      await broken.$disconnect();
    }
  });

  it('keeps Apollo CSRF prevention on for simple requests', async () => {
    const response = await fetch(`${api.url}?query=${encodeURIComponent('{ health { status } }')}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF/i);
  });

  it('serves exactly the checked-in schema', async () => {
    // Compare as printed SDL (descriptions included) so the check does not depend on introspection options.
    const { json } = await post(api.url, { query: getIntrospectionQuery({ descriptions: true }) });
    const served = printSchema(lexicographicSortSchema(buildClientSchema(json.data)));
    const file = printSchema(lexicographicSortSchema(parseSdl(readFileSync(SCHEMA_PATH, 'utf8'))));
    expect(served).toBe(file);
    expect(served).toContain('type Health');
  });
});
