/** API process entry point: `npm start` runs it with DATABASE_URL set; SIGTERM/SIGINT drain and exit 0. */
import { createLogger, loadConfig } from '@seif/platform';
import { startApiServer } from './server.js';
import { closeApiServices, createApiServices } from './services.js';

const config = loadConfig();
const logger = createLogger('api', config.logLevel);
const services = await createApiServices(config, logger);
const api = await startApiServer(services, { host: config.host, port: config.apiPort });
logger.info({ url: api.url }, 'api listening');

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'api stopping');
  await api.stop();
  await closeApiServices(services);
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
