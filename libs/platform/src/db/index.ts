export { createDatabase, type Database } from './client.js';
export {
  dropDatabase,
  ensureDatabase,
  type EmbeddedPostgresOptions,
  postgresUrl,
  type RunningPostgres,
  startEmbeddedPostgres,
} from './embedded-postgres.js';
export * from './generated/enums.ts';
export type * from './generated/models.ts';
export {
  applyMigrations,
  createMigration,
  DEFAULT_MIGRATIONS_DIR,
  DEFAULT_SCHEMA_PATH,
  diffSchemaAgainstMigrations,
  latestAppliedMigration,
  type SchemaDrift,
} from './migrations.js';
export { ensureLocalTenant } from './local-tenant.js';
