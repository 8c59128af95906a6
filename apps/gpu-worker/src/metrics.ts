/** Prometheus text exposition of the worker's counters (GET /metrics). Counters only grow; gauges are set. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class WorkerMetrics {
  readonly startedAt = Date.now();
  jobsStarted = 0;
  jobsSucceeded = 0;
  jobsFailed = 0;
  busy = 0;
  databaseUp = 0;

  render(): string {
    const lines = [
      '# HELP seif_worker_up 1 while the worker process runs.',
      '# TYPE seif_worker_up gauge',
      'seif_worker_up 1',
      '# HELP seif_worker_database_up 1 when the last database check succeeded.',
      '# TYPE seif_worker_database_up gauge',
      `seif_worker_database_up ${this.databaseUp}`,
      '# HELP seif_worker_busy Jobs being processed now.',
      '# TYPE seif_worker_busy gauge',
      `seif_worker_busy ${this.busy}`,
      '# HELP seif_worker_jobs_total Jobs by outcome since start.',
      '# TYPE seif_worker_jobs_total counter',
      `seif_worker_jobs_total{outcome="started"} ${this.jobsStarted}`,
      `seif_worker_jobs_total{outcome="succeeded"} ${this.jobsSucceeded}`,
      `seif_worker_jobs_total{outcome="failed"} ${this.jobsFailed}`,
      '# HELP seif_worker_uptime_seconds Seconds since the worker started.',
      '# TYPE seif_worker_uptime_seconds gauge',
      `seif_worker_uptime_seconds ${((Date.now() - this.startedAt) / 1000).toFixed(1)}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}

export async function serveMetrics(metrics: WorkerMetrics, listen: { host: string; port: number }): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics.render());
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return { url: `http://${listen.host}:${(server.address() as AddressInfo).port}/metrics`, server };
}
