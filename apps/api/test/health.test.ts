import { readFileSync } from 'node:fs';
import { buildClientSchema, buildSchema as parseSdl, getIntrospectionQuery, lexicographicSortSchema, printSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '@seif/platform/db';
import { SCHEMA_PATH } from '../src/schema.js';
import { startApiServer } from '../src/server.js';
import { type Harness, startHarness } from './helpers/api-harness.js';

const healthQuery = '{ health { status uptimeSeconds database { reachable latencyMs serverVersion migration error } packages { name version } } }';

describe('health query', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it('reports the database, the migration and package versions, without credentials', async () => {
    const { status, body } = await h.gql(healthQuery);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const health = body.data.health;
    expect(health.status).toBe('OK');
    expect(health.database.reachable).toBe(true);
    expect(health.database.migration).toMatch(/^\d{14}_\w+$/);
    expect(health.database.serverVersion).toMatch(/^\d+\.\d+/);
    const names = health.packages.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(['node', '@prisma/client', 'onnxruntime-node', '@apollo/server']));
  });

  it('says DEGRADED, without leaking details, when the database is gone', async () => {
    const broken = createDatabase('postgresql://nobody:wrong@127.0.0.1:1/none');
    const other = await startApiServer({ ...h.services, db: broken }, { host: '127.0.0.1', port: 0 });
    try {
      const response = await fetch(other.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: healthQuery }) });
      const body = (await response.json()) as any;
      expect(body.data.health.status).toBe('DEGRADED');
      expect(body.data.health.database).toMatchObject({ reachable: false, migration: null });
      expect(JSON.stringify(body)).not.toMatch(/wrong|nobody/);
    } finally {
      await other.stop();
      await broken.$disconnect();
    }
  });

  it('keeps Apollo CSRF prevention on for simple requests', async () => {
    const response = await fetch(`${h.api.url}?query=${encodeURIComponent('{ health { status } }')}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF/i);
  });

  it('serves exactly the checked-in schema', async () => {
    // Compare as printed SDL (descriptions included) so the check does not depend on introspection options.
    const { body } = await h.gql(getIntrospectionQuery({ descriptions: true }));
    const served = printSchema(lexicographicSortSchema(buildClientSchema(body.data)));
    const file = printSchema(lexicographicSortSchema(parseSdl(readFileSync(SCHEMA_PATH, 'utf8'))));
    expect(served).toBe(file);
    expect(served).toContain('type Health');
  });
});
