/** CI slice of the load test: 3 seconds, 20 subscriptions; the tool works and its numbers are sane. */
import { expect, inject, it } from 'vitest';
import { runApiLoad } from '../src/api-load.js';

it('measures query latency and delivers every progress event', async () => {
  const report = await runApiLoad({ duration: 3, subscriptions: 20, rate: 50, adminUrl: inject('postgresAdminUrl') });
  console.log(JSON.stringify(report));
  for (const [name, value] of Object.entries(report)) expect(Number.isFinite(value), name).toBe(true);
  expect(report.requests).toBeGreaterThan(0);
  expect(report.latencyP50Ms).toBeGreaterThan(0);
  expect(report.latencyP50Ms).toBeLessThanOrEqual(report.latencyP99Ms);
  expect(report.latencyP99Ms).toBeLessThan(10_000);
  expect(report.errors + report.non2xx + report.graphqlErrors).toBe(0);
  expect(report.subscriptionErrors).toBe(0);
  expect(report.subscriptionsCompleted).toBe(20);
  expect(report.eventsDelivered).toBe(report.eventsExpected);
  expect(report.eventsExpected).toBeGreaterThan(20);
}, 120_000);
