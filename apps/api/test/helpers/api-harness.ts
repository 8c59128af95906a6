/** A real API server on a fresh migrated database, plus a tenant and keys to call it with. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { createLogger, loadConfig } from '@seif/platform';
import { createDatabase, type Database } from '@seif/platform/db';
import { createTestDatabase, freePort, type TestDatabase } from '@seif/platform/testing';
import { generateApiKey } from '@seif/platform';
import type { ApiServices } from '../../src/context.js';
import { type RunningApi, startApiServer } from '../../src/server.js';
import { closeApiServices, createApiServices } from '../../src/services.js';

export interface Harness {
  api: RunningApi;
  db: Database;
  services: ApiServices;
  dataDir: string;
  createTenant(name: string, scopes?: ('READ' | 'WRITE' | 'ADMIN')[]): Promise<{ tenantId: string; key: string; apiKeyId: string }>;
  gql(query: string, variables?: Record<string, unknown>, key?: string): Promise<{ status: number; body: any }>;
  /** A GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec) with one file. */
  upload(query: string, variables: Record<string, unknown>, filePath: string, file: { bytes: Uint8Array; name: string; type: string }, key?: string): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const database: TestDatabase = await createTestDatabase(inject('postgresAdminUrl'));
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'seif-api-'));
  // A known port, so that download links (API_PUBLIC_URL) point at this server.
  const port = await freePort();
  const config = loadConfig({ DATABASE_URL: database.url, SEIF_DATA_DIR: dataDir, API_PORT: String(port) });
  const db = createDatabase(database.url);
  const services = await createApiServices(config, createLogger('api-test', 'silent'), db);
  const api = await startApiServer(services, { host: '127.0.0.1', port });

  return {
    api,
    db,
    services,
    dataDir,
    async createTenant(name, scopes = ['READ', 'WRITE', 'ADMIN']) {
      const tenant = await db.tenant.create({ data: { name } });
      const generated = await generateApiKey();
      const apiKey = await db.apiKey.create({ data: { tenantId: tenant.id, name: `${name} key`, prefix: generated.prefix, hash: generated.hash, scopes } });
      return { tenantId: tenant.id, key: generated.key, apiKeyId: apiKey.id };
    },
    async gql(query, variables = {}, key) {
      const response = await fetch(api.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: await response.json() };
    },
    async upload(query, variables, filePath, file, key) {
      const form = new FormData();
      form.set('operations', JSON.stringify({ query, variables }));
      form.set('map', JSON.stringify({ 0: [filePath] }));
      form.set('0', new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
      // Apollo's CSRF prevention requires a non-simple header on multipart requests.
      const response = await fetch(api.url, {
        method: 'POST',
        headers: { 'apollo-require-preflight': 'true', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: form,
      });
      return { status: response.status, body: await response.json() };
    },
    async close() {
      await api.stop();
      await closeApiServices(services);
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
