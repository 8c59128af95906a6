/**
 * The one typed view of the environment. Every app calls `loadConfig()` once at start-up; a bad value stops
 * the process with a message naming the variable. Defaults give the one-machine set-up (embedded PostgreSQL,
 * objects on local disk under .data/); the same variables point the apps at shared services when scaled out.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetcherOptionsFromEnv } from '@seif/models';
import { z } from 'zod';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const port = z.coerce.number().int().min(0).max(65_535);
const flag = z.enum(['0', '1', 'true', 'false']).transform((value) => value === '1' || value === 'true');

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    /** Unset: `npm start` runs an embedded PostgreSQL and sets it. Set: that server is used as is. */
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
      .optional(),
    SEIF_DATA_DIR: z.string().default(path.join(REPO_ROOT, '.data')),
    EMBEDDED_PG_PORT: port.default(54329),
    HOST: z.string().default('127.0.0.1'),
    API_PORT: port.default(4000),
    WEB_PORT: port.default(3000),
    WORKER_METRICS_PORT: port.default(9464),
    /** Public base URL of the API, used by the web app and in download links. */
    API_PUBLIC_URL: z.url().optional(),
    STORAGE_DRIVER: z.enum(['local', 's3']).default('local'),
    STORAGE_DIR: z.string().optional(),
    S3_ENDPOINT: z.url().optional(),
    S3_REGION: z.string().default('us-east-1'),
    S3_BUCKET: z.string().optional(),
    S3_ACCESS_KEY_ID: z.string().optional(),
    S3_SECRET_ACCESS_KEY: z.string().optional(),
    S3_FORCE_PATH_STYLE: flag.default(true),
    SEIF_DEVICE: z.enum(['cpu', 'cuda']).default('cpu'),
    /** Shared by every API instance: signs download links. One machine: generated under SEIF_DATA_DIR. */
    SEIF_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Requests per minute per API key (sustained) and burst, per API instance: 200/s stops a runaway loop, not a busy partner. */
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(12_000),
    RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(400),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    if (env.STORAGE_DRIVER !== 's3') return;
    for (const key of ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const) {
      if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when STORAGE_DRIVER=s3' });
    }
  });

export type StorageConfig =
  | { driver: 'local'; dir: string }
  | {
      driver: 's3';
      endpoint: string | undefined;
      region: string;
      bucket: string;
      accessKeyId: string;
      secretAccessKey: string;
      forcePathStyle: boolean;
    };

export interface Config {
  env: 'development' | 'production' | 'test';
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPostgresPort: number;
  host: string;
  apiPort: number;
  webPort: number;
  workerMetricsPort: number;
  apiPublicUrl: string;
  storage: StorageConfig;
  device: 'cpu' | 'cuda';
  signingSecret: string | undefined;
  rateLimit: { perMinute: number; burst: number };
  logLevel: string;
  assets: ReturnType<typeof fetcherOptionsFromEnv>;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid environment:\n${issues.map((issue) => `  ${issue.variable}: ${issue.message}`).join('\n')}`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: issue.path.join('.') || '(env)', message: issue.message })),
    );
  }
  const e = parsed.data;
  const storage: StorageConfig =
    e.STORAGE_DRIVER === 's3'
      ? {
          driver: 's3',
          endpoint: e.S3_ENDPOINT,
          region: e.S3_REGION,
          bucket: e.S3_BUCKET as string,
          accessKeyId: e.S3_ACCESS_KEY_ID as string,
          secretAccessKey: e.S3_SECRET_ACCESS_KEY as string,
          forcePathStyle: e.S3_FORCE_PATH_STYLE,
        }
      : { driver: 'local', dir: e.STORAGE_DIR ?? path.join(e.SEIF_DATA_DIR, 'objects') };
  return {
    env: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.SEIF_DATA_DIR,
    embeddedPostgresPort: e.EMBEDDED_PG_PORT,
    host: e.HOST,
    apiPort: e.API_PORT,
    webPort: e.WEB_PORT,
    workerMetricsPort: e.WORKER_METRICS_PORT,
    apiPublicUrl: e.API_PUBLIC_URL ?? `http://${e.HOST}:${e.API_PORT}`,
    storage,
    device: e.SEIF_DEVICE,
    signingSecret: e.SEIF_SIGNING_SECRET,
    rateLimit: { perMinute: e.RATE_LIMIT_PER_MINUTE, burst: e.RATE_LIMIT_BURST },
    logLevel: e.LOG_LEVEL,
    assets: fetcherOptionsFromEnv(env),
  };
}

/** For code that needs a database: the configured URL, or a clear error saying how to get one. */
export function requireDatabaseUrl(config: Config): string {
  if (!config.databaseUrl) {
    throw new ConfigError([
      { variable: 'DATABASE_URL', message: 'is not set; run through `npm start` (embedded PostgreSQL) or set it' },
    ]);
  }
  return config.databaseUrl;
}
