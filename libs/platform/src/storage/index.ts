import type { StorageConfig } from '../config.js';
import { LocalStorage } from './local-storage.js';
import type { ObjectStorage } from './object-storage.js';

export { LocalStorage } from './local-storage.js';
export { assertValidKey, type ObjectStorage, ObjectNotFoundError, type StoredObject } from './object-storage.js';

export function createObjectStorage(config: StorageConfig): ObjectStorage {
  switch (config.driver) {
    case 'local':
      return new LocalStorage(config.dir);
    case 's3':
      // Lands with the [platform] issue (@aws-sdk/client-s3, contract tests against s3rver).
      throw new Error('STORAGE_DRIVER=s3 is not available yet; use STORAGE_DRIVER=local');
  }
}
