/**
 * The worker's lifecycle: connect to the database, expose metrics, wait for jobs, stop cleanly.
 * Job consumption (pg-boss queue, SeIF pipeline, progress events) plugs in here with the [platform] and
 * [front-end] issues; until then the worker proves its connection every `checkIntervalMs` and stays idle.
 */
import type { Config, Logger } from '@seif/platform';
import type { Database } from '@seif/platform/db';
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
}

export async function startWorker(
  { config, db, logger }: WorkerServices,
  options: { metricsPort?: number; checkIntervalMs?: number } = {},
): Promise<RunningWorker> {
  const metrics = new WorkerMetrics();
  // Fail at start-up, with the reason, rather than idling against a database we cannot reach.
  await checkDatabase(db);
  metrics.databaseUp = 1;

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
  logger.info({ device: config.device, metrics: url }, 'worker idle, waiting for jobs');

  return {
    metricsUrl: url,
    metrics,
    stop: async () => {
      clearInterval(timer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function checkDatabase(db: Database): Promise<void> {
  await db.$queryRaw`SELECT 1`;
}
