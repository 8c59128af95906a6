import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../src/db/client.js';
import {
  applyMigrations,
  DEFAULT_MIGRATIONS_DIR,
  DEFAULT_SCHEMA_PATH,
  diffSchemaAgainstMigrations,
  latestAppliedMigration,
} from '../src/db/migrations.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

const adminUrl = inject('postgresAdminUrl');

describe('migrations on a fresh PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(adminUrl, { migrate: false });
  });
  afterAll(() => database.drop());

  it('apply every committed migration and record them the way Prisma does', async () => {
    const committed = (await readdir(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    expect(await applyMigrations(database.url)).toEqual(committed);
    // A second run is a no-op.
    expect(await applyMigrations(database.url)).toEqual([]);

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const rows = await client.query(
        'SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
      );
      expect(rows.rows.map((row) => row.migration_name)).toEqual(committed);
      for (const row of rows.rows) {
        expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
        expect(row.finished_at).toBeInstanceOf(Date);
        expect(row.applied_steps_count).toBe(1);
      }
      expect(await latestAppliedMigration(client)).toBe(committed.at(-1));
    } finally {
      await client.end();
    }
  });

  it('round-trips a Subject through Prisma Client', async () => {
    const db = createDatabase(database.url);
    try {
      const tenant = await db.tenant.create({ data: { name: 'Acme' } });
      const created = await db.subject.create({ data: { tenantId: tenant.id, displayName: 'Ada Lovelace' } });
      const found = await db.subject.findUniqueOrThrow({ where: { id: created.id }, include: { tenant: true } });
      expect(found.displayName).toBe('Ada Lovelace');
      expect(found.tenant.name).toBe('Acme');
      expect(found.createdAt.getTime()).toBeLessThanOrEqual(Date.now());
      // Tenant deletion cascades.
      await db.tenant.delete({ where: { id: tenant.id } });
      expect(await db.subject.count({ where: { id: created.id } })).toBe(0);
    } finally {
      await db.$disconnect();
    }
  });

  it('enforces one idempotency key per tenant', async () => {
    const db = createDatabase(database.url);
    try {
      const tenant = await db.tenant.create({ data: { name: 'Keys' } });
      const subject = await db.subject.create({ data: { tenantId: tenant.id, displayName: 'S' } });
      const photo = await db.photo.create({
        data: { tenantId: tenant.id, subjectId: subject.id, storageKey: 'k', sha256: 'a'.repeat(64), bytes: 1, width: 1, height: 1, mime: 'image/png' },
      });
      const data = { tenantId: tenant.id, subjectId: subject.id, photoId: photo.id, idempotencyKey: 'same' };
      await db.reconstruction.create({ data });
      await expect(db.reconstruction.create({ data })).rejects.toMatchObject({ code: 'P2002' });
    } finally {
      await db.$disconnect();
    }
  });
});

describe('schema.prisma and the migrations', () => {
  it('agree', async () => {
    const drift = await diffSchemaAgainstMigrations(adminUrl);
    expect(drift.script, 'run `npm run db:new-migration -- <name>` after editing prisma/schema.prisma').toBe('');
    expect(drift.inSync).toBe(true);
  });

  it('disagree is detected when the schema gains a field without a migration', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'seif-drift-'));
    try {
      const { readFile } = await import('node:fs/promises');
      const schema = (await readFile(DEFAULT_SCHEMA_PATH, 'utf8')).replace(
        'displayName     String\n',
        'displayName     String\n  nickname        String?\n',
      );
      expect(schema).toContain('nickname');
      await writeFile(path.join(dir, 'schema.prisma'), schema);
      await cp(DEFAULT_MIGRATIONS_DIR, path.join(dir, 'migrations'), { recursive: true });
      const drift = await diffSchemaAgainstMigrations(adminUrl, {
        schemaPath: path.join(dir, 'schema.prisma'),
        migrationsDir: path.join(dir, 'migrations'),
      });
      expect(drift.inSync).toBe(false);
      expect(drift.script).toMatch(/ALTER TABLE "Subject" ADD COLUMN\s+"nickname" TEXT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
