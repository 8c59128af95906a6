// Public API of @seif/platform. Database code is under the '@seif/platform/db' subpath so that importing
// config or storage does not load Prisma.
export { type Config, ConfigError, loadConfig, REPO_ROOT, requireDatabaseUrl, type StorageConfig } from './config.js';
export { createLogger, type Logger } from './logger.js';
export {
  type AnimateJob,
  animateJobSchema,
  JOB_PAYLOADS,
  PROGRESS_CHANNEL,
  type QueueName,
  QUEUES,
  type ReconstructJob,
  reconstructJobSchema,
} from './queue/jobs.js';
export {
  assertValidKey,
  createObjectStorage,
  LocalStorage,
  type ObjectStorage,
  ObjectNotFoundError,
  type StoredObject,
} from './storage/index.js';
export { packageVersions } from './versions.js';
export { generateApiKey, type NewApiKey, type ParsedApiKey, parseApiKey, verifySecret } from './auth/api-keys.js';
