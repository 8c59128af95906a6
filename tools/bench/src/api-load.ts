/**
 * Loopback load test of the API (issue 10, speed and scale): autocannon sends M GraphQL queries per second
 * (the gallery's subject list and `health`, alternately) for T seconds while N graphql-ws clients each follow
 * one reconstruction whose progress a ProgressPublisher in this process writes at a fixed rate, as workers
 * would: so the CPU goes to the API (a child process), not to reconstructions. Reports query latency p50/p99,
 * errors, throughput, events delivered vs expected (expected = the first state + every ProgressEvent row
 * written while subscribed) and publish-to-delivery latency.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ProgressPublisher } from '@seif/platform';
import { createEnvironment, gqlRequest, quantile, sleep, startApiProcess, stopChild, toGlobalId } from './harness.js';

export interface ApiLoadOptions {
  /** Concurrent progress subscriptions (N). */
  subscriptions?: number;
  /** Queries per second (M). */
  rate?: number;
  /** Seconds of load (T). */
  duration?: number;
  /** Progress events per second per reconstruction. */
  eventsPerSecond?: number;
  /** HTTP connections autocannon spreads the rate over. */
  connections?: number;
  adminUrl?: string;
  log?: (line: string) => void;
}

export interface ApiLoadReport {
  subscriptions: number;
  targetRate: number;
  durationSeconds: number;
  requests: number;
  achievedRate: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  /** 200 answers whose body carried GraphQL errors. */
  graphqlErrors: number;
  eventsExpected: number;
  eventsDelivered: number;
  subscriptionsCompleted: number;
  subscriptionErrors: number;
  eventLatencyP50Ms: number;
  eventLatencyP99Ms: number;
  /** CPU seconds the API process used during the load (user + system), per wall second. */
  apiCpuCores: number;
  /** 1-minute load average at the end, and the machine's cores: latency is only comparable between quiet runs. */
  loadAverage1m: number;
  cores: number;
}

export const SUBJECTS_QUERY = '{ subjects(first: 20) { edges { node { id displayName latestReconstruction { status } } } } }';
export const HEALTH_QUERY = '{ health { status database { reachable latencyMs } } }';

async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
}

export async function runApiLoad(options: ApiLoadOptions = {}): Promise<ApiLoadReport> {
  const n = options.subscriptions ?? 50;
  const rate = options.rate ?? 100;
  const duration = options.duration ?? 10;
  const eventsPerSecond = options.eventsPerSecond ?? 2;
  const log = options.log ?? (() => {});
  const env = await createEnvironment(options.adminUrl);
  const api = await startApiProcess(env);
  const publisher = new ProgressPublisher(env.db, { onError: (error) => log(`publisher: ${error.message}`) });
  const clients: ReturnType<typeof createClient>[] = [];
  try {
    // 30 subjects with a reconstruction each (what the gallery lists), plus the N followed reconstructions.
    const rows: string[] = [];
    for (let i = 0; i < Math.max(30, n); i++) {
      const subject = i === 0 ? { id: env.subjectId } : await env.db.subject.create({ data: { tenantId: env.tenantId, displayName: `Subject ${i}` } });
      const photo = await env.db.photo.create({ data: { tenantId: env.tenantId, subjectId: subject.id, storageKey: `bench/${i}.jpg`, sha256: '0'.repeat(64), bytes: 1, width: 256, height: 256, mime: 'image/jpeg' } });
      const reconstruction = await env.db.reconstruction.create({ data: { tenantId: env.tenantId, subjectId: subject.id, photoId: photo.id, status: 'RUNNING', stage: 'fit', progress: 0.1 } });
      rows.push(reconstruction.id);
    }
    const followed = rows.slice(0, n);

    // ---- subscriptions ------------------------------------------------------------------------------------------
    const delivered = new Array<number>(n).fill(0);
    const eventLatencies: number[] = [];
    let subscriptionErrors = 0;
    let completed = 0;
    const firstState = followed.map(() => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    });
    const finished = followed.map((id, i) => {
      const client = createClient({ url: api.url.replace('http', 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${env.key}` }, retryAttempts: 0, lazy: true });
      clients.push(client);
      return new Promise<void>((resolve) => {
        client.subscribe(
          { query: 'subscription($id: ID!) { reconstructionProgress(id: $id) { status stage progress message } }', variables: { id: toGlobalId('Reconstruction', id) } },
          {
            next: (message) => {
              delivered[i]!++;
              const text = (message.data as { reconstructionProgress?: { message?: string } } | undefined)?.reconstructionProgress?.message;
              const sent = text?.startsWith('t=') ? Number(text.slice(2)) : Number.NaN;
              if (Number.isFinite(sent)) eventLatencies.push(Date.now() - sent);
              if (delivered[i] === 1) firstState[i]!.resolve();
            },
            error: () => {
              subscriptionErrors++;
              firstState[i]!.resolve();
              resolve();
            },
            complete: () => {
              completed++;
              resolve();
            },
          },
        );
      });
    });
    await Promise.race([Promise.all(firstState.map((s) => s.promise)), sleep(30_000)]);
    const baseline = await env.db.progressEvent.aggregate({ _max: { id: true } });
    log(`${n} subscriptions open`);

    // ---- publishers: every reconstruction advances at eventsPerSecond, staggered ------------------------------
    let publishing = true;
    const publishers = followed.map(async (id, i) => {
      await sleep((i / n) * (1000 / eventsPerSecond));
      let step = 0;
      while (publishing) {
        step++;
        await publisher.report({ tenantId: env.tenantId, reconstructionId: id, status: 'RUNNING', stage: 'fit', progress: Math.min(0.98, 0.1 + step * 0.001), message: `t=${Date.now()}` }).catch((error: Error) => log(`report: ${error.message}`));
        await sleep(1000 / eventsPerSecond);
      }
    });

    // ---- queries ------------------------------------------------------------------------------------------------
    // Warm-up: a fresh process compiles modules lazily and opens its pool on first use; not what we measure.
    const warm = performance.now();
    for (let i = 0; i < 20; i++) for (const query of [SUBJECTS_QUERY, HEALTH_QUERY]) await gqlRequest(api.url, env.key, { query });
    log(`warm-up: 40 sequential queries in ${(performance.now() - warm).toFixed(0)} ms`);
    let graphqlErrors = 0;
    const cpuBefore = await cpuSeconds(api.handle.child.pid!);
    const wallBefore = performance.now();
    const body = (query: string) => JSON.stringify({ query });
    const onResponse = (status: number, text: string) => {
      if (status === 200 && text.includes('"errors"')) graphqlErrors++;
    };
    const result = await autocannon({
      url: api.url,
      method: 'POST',
      connections: options.connections ?? 10,
      overallRate: rate,
      duration,
      timeout: 10,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${env.key}` },
      requests: [
        { method: 'POST', body: body(SUBJECTS_QUERY), onResponse },
        { method: 'POST', body: body(HEALTH_QUERY), onResponse },
      ],
    });
    const apiCpuCores = ((await cpuSeconds(api.handle.child.pid!)) - cpuBefore) / ((performance.now() - wallBefore) / 1000);

    // ---- finish: final state for every reconstruction, streams complete ------------------------------------
    publishing = false;
    await Promise.all(publishers);
    await Promise.all(followed.map((id) => publisher.report({ tenantId: env.tenantId, reconstructionId: id, status: 'SUCCEEDED', stage: 'done', progress: 1, message: `t=${Date.now()}` })));
    await publisher.flush();
    await Promise.race([Promise.all(finished), sleep(15_000)]);
    const written = await env.db.progressEvent.count({ where: { reconstructionId: { in: followed }, id: { gt: baseline._max.id ?? 0n } } });
    const report: ApiLoadReport = {
      subscriptions: n,
      targetRate: rate,
      durationSeconds: duration,
      requests: result.requests.total,
      achievedRate: result.requests.total / duration,
      latencyP50Ms: result.latency.p50,
      latencyP99Ms: result.latency.p99,
      latencyMaxMs: result.latency.max,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
      graphqlErrors,
      eventsExpected: n + written,
      eventsDelivered: delivered.reduce((a, b) => a + b, 0),
      subscriptionsCompleted: completed,
      subscriptionErrors,
      eventLatencyP50Ms: quantile(eventLatencies, 0.5),
      eventLatencyP99Ms: quantile(eventLatencies, 0.99),
      apiCpuCores,
      loadAverage1m: os.loadavg()[0]!,
      cores: os.availableParallelism(),
    };
    return report;
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await publisher.close().catch(() => {});
    await stopChild(api.handle, 'SIGTERM', 5_000);
    await env.close();
  }
}
