import { packageVersions } from '@seif/platform';
import type { ApiContext } from '../context.js';

interface DatabaseProbe {
  reachable: boolean;
  latencyMs: number | null;
  serverVersion: string | null;
  migration: string | null;
  error: string | null;
}

async function probeDatabase({ db }: ApiContext): Promise<DatabaseProbe> {
  const started = performance.now();
  try {
    const [version] = await db.$queryRaw<{ server_version: string }[]>`SELECT current_setting('server_version') AS server_version`;
    const latencyMs = performance.now() - started;
    const [migration] = await db.$queryRaw<{ migration_name: string }[]>`
      SELECT migration_name FROM _prisma_migrations
      WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name DESC LIMIT 1`;
    return { reachable: true, latencyMs, serverVersion: version?.server_version ?? null, migration: migration?.migration_name ?? null, error: null };
  } catch (error) {
    // Say what failed without leaking connection details.
    const code = (error as { code?: string }).code;
    return { reachable: false, latencyMs: null, serverVersion: null, migration: null, error: code ? `database error ${code}` : 'database unreachable' };
  }
}

export const healthResolvers = {
  Query: {
    health: async (_parent: unknown, _args: unknown, context: ApiContext) => {
      const database = await probeDatabase(context);
      return {
        status: database.reachable && database.migration ? 'OK' : 'DEGRADED',
        database,
        packages: packageVersions(),
        uptimeSeconds: (Date.now() - context.startedAt) / 1000,
      };
    },
  },
};
