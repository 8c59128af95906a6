import type { StorageConfig } from '../config.js';
import { LocalStorage } from './local-storage.js';
import type { ObjectStorage } from './object-storage.js';
import { S3Storage } from './s3-storage.js';

export { LocalStorage } from './local-storage.js';
export { assertValidKey, type ObjectStorage, ObjectNotFoundError, type PresignOptions, type StoredObject } from './object-storage.js';
export { S3_POLICY, S3Storage, type S3StorageOptions } from './s3-storage.js';

export function createObjectStorage(config: StorageConfig): ObjectStorage {
  switch (config.driver) {
    case 'local':
      return new LocalStorage(config.dir);
    case 's3':
      return new S3Storage(config);
  }
}
