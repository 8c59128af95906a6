/** Prisma Client over node-postgres (driver adapter), the way every app talks to the database. */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.ts';

export type Database = PrismaClient;

export function createDatabase(databaseUrl: string, options: { maxConnections?: number } = {}): Database {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.maxConnections ?? 10 });
  // Prisma's defaults (2 s to get a connection, 5 s per interactive transaction) are tuned for idle servers;
  // a worker saturating both cores with a reconstruction delays everything else, and a timed-out progress
  // write would fail (and retry) a healthy job.
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 15_000, timeout: 30_000 } });
}
