/**
 * The worker's lifecycle: connect to the database, build the pipeline once (networks and head model loaded at
 * boot, reused for every job), consume reconstruction and animation jobs and their dead letters, expose metrics, stop cleanly
 * (running jobs get a grace period, then go back to the queue).
 */
import { reconstructionPipeline, type ReconstructionPipeline } from '@seif/core';
import {
  type Config,
  createObjectStorage,
  deadLetterQueue,
  JobQueue,
  type Logger,
  type ObjectStorage,
  ProgressPublisher,
  QUEUES,
  requireDatabaseUrl,
} from '@seif/platform';
import type { Database } from '@seif/platform/db';
import { animateDeadLetterHandler, animateHandler } from './jobs/animate.js';
import { reconstructDeadLetterHandler, reconstructHandler } from './jobs/reconstruct.js';
import { serveMetrics, WorkerMetrics } from './metrics.js';

export interface RunningWorker {
  metricsUrl: string;
  metrics: WorkerMetrics;
  stop(): Promise<void>;
}

export interface WorkerServices {
  config: Config;
  db: Database;
  logger: Logger;
  storage?: ObjectStorage;
  pipeline?: ReconstructionPipeline;
}

export interface WorkerOptions {
  metricsPort?: number;
  checkIntervalMs?: number;
  /** Reconstructions run at once by this process; default 1 (one pipeline saturates two cores). */
  concurrency?: number;
  /** Queue polling interval; tests use short ones. */
  pollingIntervalMs?: number;
  /** Grace period for running jobs on stop before they are released back to the queue. */
  stopTimeoutMs?: number;
  /** Queue policy overrides (tests use short expiries). */
  policies?: ConstructorParameters<typeof JobQueue>[0]['policies'];
  /** How often pg-boss looks for expired jobs (a dead worker's); tests use short ones. */
  maintenanceIntervalSeconds?: number;
}

export async function startWorker(services: WorkerServices, options: WorkerOptions = {}): Promise<RunningWorker> {
  const { config, db, logger } = services;
  const metrics = new WorkerMetrics();
  // Fail at start-up, with the reason, rather than idling against a database we cannot reach.
  await checkDatabase(db);
  metrics.databaseUp = 1;

  const pipeline = services.pipeline ?? reconstructionPipeline(config.device);
  await pipeline.warmUp();
  const storage = services.storage ?? createObjectStorage(config.storage);
  const onError = (error: Error) => logger.error({ err: error }, error.message);
  const queue = new JobQueue({
    connectionString: requireDatabaseUrl(config),
    onError,
    ...(options.pollingIntervalMs ? { pollingIntervalMs: options.pollingIntervalMs } : {}),
    ...(options.policies ? { policies: options.policies } : {}),
    ...(options.maintenanceIntervalSeconds ? { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds } : {}),
  });
  await queue.start();
  const publisher = new ProgressPublisher(db, { onError });
  const jobServices = { db, storage, publisher, pipeline, logger, metrics };
  await queue.work(QUEUES.RECONSTRUCT, reconstructHandler(jobServices), { concurrency: options.concurrency ?? 1 });
  await queue.work(deadLetterQueue(QUEUES.RECONSTRUCT), reconstructDeadLetterHandler(jobServices));
  await queue.work(QUEUES.ANIMATE, animateHandler(jobServices), { concurrency: 1 });
  await queue.work(deadLetterQueue(QUEUES.ANIMATE), animateDeadLetterHandler(jobServices));

  const { url, server } = await serveMetrics(metrics, { host: config.host, port: options.metricsPort ?? config.workerMetricsPort });
  const timer = setInterval(() => {
    checkDatabase(db).then(
      () => {
        if (!metrics.databaseUp) logger.info('database reachable again');
        metrics.databaseUp = 1;
      },
      (error: unknown) => {
        // The loop never dies: log, mark, and try again at the next tick.
        if (metrics.databaseUp) logger.error({ err: error }, 'database check failed');
        metrics.databaseUp = 0;
      },
    );
  }, options.checkIntervalMs ?? 15_000);
  timer.unref();
  logger.info({ device: config.device, metrics: url }, 'worker ready, waiting for jobs');

  return {
    metricsUrl: url,
    metrics,
    stop: async () => {
      clearInterval(timer);
      await queue.stop({ timeoutMs: options.stopTimeoutMs ?? 30_000 });
      await publisher.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function checkDatabase(db: Database): Promise<void> {
  await db.$queryRaw`SELECT 1`;
}
