/**
 * Database chores without the Prisma CLI's native engine (see libs/platform/src/db/schema-engine.ts):
 *   npm run db:migrate                    apply pending migrations
 *   npm run db:new-migration -- <name>    write prisma/migrations/<timestamp>_<name> from schema.prisma
 *   npm run db:check                      exit 1 when schema.prisma and the migrations disagree
 * Uses DATABASE_URL when set, else the embedded PostgreSQL under .data/ (started and stopped around the task).
 */
import path from 'node:path';
import { loadConfig } from '@seif/platform';
import { applyMigrations, createMigration, diffSchemaAgainstMigrations, startEmbeddedPostgres } from '@seif/platform/db';

const [command, name] = process.argv.slice(2);
const config = loadConfig();

async function withDatabase<T>(work: (url: string) => Promise<T>): Promise<T> {
  if (config.databaseUrl) return work(config.databaseUrl);
  const server = await startEmbeddedPostgres({ dataDir: path.join(config.dataDir, 'postgres'), port: config.embeddedPostgresPort, database: 'seif' });
  try {
    return await work(server.url);
  } finally {
    await server.stop();
  }
}

switch (command) {
  case 'migrate': {
    const applied = await withDatabase((url) => applyMigrations(url));
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'up to date');
    break;
  }
  case 'new-migration': {
    if (!name) throw new Error('usage: npm run db:new-migration -- <snake_case_name>');
    const written = await withDatabase((url) => createMigration(url, name));
    console.log(written ? `wrote ${path.relative(process.cwd(), written)}/migration.sql; review it, then npm run db:migrate` : 'schema.prisma matches the migrations; nothing to write');
    break;
  }
  case 'check': {
    const drift = await withDatabase((url) => diffSchemaAgainstMigrations(url));
    if (!drift.inSync) {
      console.error(`schema.prisma and prisma/migrations disagree; missing SQL:\n${drift.script}`);
      process.exit(1);
    }
    console.log('schema.prisma and prisma/migrations agree');
    break;
  }
  default:
    console.error('usage: db.ts migrate | new-migration <name> | check');
    process.exit(2);
}
