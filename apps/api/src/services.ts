/** Builds the API's long-lived services from the config, once per process; `closeApiServices` ends them. */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Config, createObjectStorage, JobQueue, type Logger, ProgressListener, ProgressPublisher, requireDatabaseUrl } from '@seif/platform';
import { createDatabase, type Database } from '@seif/platform/db';
import { Authenticator } from './auth/authenticate.js';
import type { ApiServices } from './context.js';

export type { ApiServices } from './context.js';
import { DownloadSigner } from './downloads.js';
import { RateLimiter } from './rate-limit.js';

/**
 * SEIF_SIGNING_SECRET, or on one machine a secret generated once into the data directory (mode 0600), so that
 * download links survive restarts. Several API instances must share SEIF_SIGNING_SECRET.
 */
export async function signingSecret(config: Config): Promise<string> {
  if (config.signingSecret) return config.signingSecret;
  const file = path.join(config.dataDir, 'signing-secret');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  await mkdir(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  await writeFile(file, secret, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error; // another process won the race: use its secret
  });
  return (await readFile(file, 'utf8')).trim();
}

export async function createApiServices(config: Config, logger: Logger, db: Database = createDatabase(requireDatabaseUrl(config))): Promise<ApiServices> {
  const connectionString = requireDatabaseUrl(config);
  const onError = (error: Error) => logger.error({ err: error }, error.message);
  // The API only enqueues; pg-boss maintenance (expiry, archiving) runs in the workers.
  const queue = new JobQueue({ connectionString, supervise: false, onError });
  const progress = new ProgressListener({ connectionString, db, onError });
  await Promise.all([queue.start(), progress.start()]);
  return {
    config,
    db,
    logger,
    storage: createObjectStorage(config.storage),
    authenticator: new Authenticator(db),
    downloads: new DownloadSigner(await signingSecret(config), config.apiPublicUrl),
    queue,
    progress,
    publisher: new ProgressPublisher(db, { onError }),
    rateLimiter: new RateLimiter(config.rateLimit),
    startedAt: Date.now(),
  };
}

export async function closeApiServices(services: ApiServices): Promise<void> {
  await services.publisher.close();
  await Promise.allSettled([services.progress.stop(), services.queue.stop()]);
  await services.db.$disconnect();
}
