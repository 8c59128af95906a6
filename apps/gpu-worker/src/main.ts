/** Worker process entry point. SIGTERM/SIGINT: finish or release the current job, then exit 0. */
import { createLogger, loadConfig, requireDatabaseUrl } from '@seif/platform';
import { createDatabase } from '@seif/platform/db';
import { startWorker } from './worker.js';

const config = loadConfig();
const logger = createLogger('gpu-worker', config.logLevel);
const db = createDatabase(requireDatabaseUrl(config), { maxConnections: 4 });
const worker = await startWorker({ config, db, logger });

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'worker stopping');
  await worker.stop();
  await db.$disconnect();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
