import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('gives the one-machine defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.apiPort).toBe(4000);
    expect(config.storage).toMatchObject({ driver: 'local' });
    expect(config.storage.driver === 'local' && config.storage.dir).toMatch(/\.data\/objects$/);
    expect(config.device).toBe('cpu');
  });

  it('names each bad variable and why', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://x', API_PORT: '70000', SEIF_DEVICE: 'tpu' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const variables = (error as ConfigError).issues.map((issue) => issue.variable).sort();
    expect(variables).toEqual(['API_PORT', 'DATABASE_URL', 'SEIF_DEVICE']);
    expect((error as ConfigError).message).toMatch(/DATABASE_URL: must be a postgresql:\/\/ URL/);
  });

  it('requires bucket and keys for S3 storage', () => {
    expect(() => loadConfig({ STORAGE_DRIVER: 's3' })).toThrow(/S3_BUCKET: is required when STORAGE_DRIVER=s3/);
    const config = loadConfig({
      STORAGE_DRIVER: 's3',
      S3_BUCKET: 'heads',
      S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 'secret',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
    });
    expect(config.storage).toMatchObject({ driver: 's3', bucket: 'heads', forcePathStyle: true });
  });

  it('coerces ports and the device', () => {
    const config = loadConfig({ API_PORT: '4100', SEIF_DEVICE: 'cuda', DATABASE_URL: 'postgresql://u:p@h:5432/d' });
    expect(config.apiPort).toBe(4100);
    expect(config.device).toBe('cuda');
    expect(config.databaseUrl).toBe('postgresql://u:p@h:5432/d');
  });
});
