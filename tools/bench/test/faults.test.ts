/** CI slice of the fault script: 5 jobs, worker SIGKILLs, an API instance killed during uploads; 0 / 0 / 0. */
import { expect, inject, it } from 'vitest';
import { runFaults } from '../src/faults.js';

it('loses, duplicates and strands no job while workers and an API instance are killed', async () => {
  const report = await runFaults({ jobs: 5, workerKills: 2, apiRestarts: 1, timeoutSeconds: 120, adminUrl: inject('postgresAdminUrl'), log: (line) => console.log(line) });
  console.log(JSON.stringify(report));
  expect(report.details.filter((line) => !line.startsWith('note')), 'details').toEqual([]);
  expect({ lost: report.lost, duplicated: report.duplicated, stuck: report.stuck }).toEqual({ lost: 0, duplicated: 0, stuck: 0 });
  expect(report.accepted).toBe(5);
  expect(report.succeeded + report.failed + report.cancelled).toBe(5);
  expect(report.workerKills).toBeGreaterThanOrEqual(1);
  expect(report.apiKills).toBe(1);
  expect(report.seconds).toBeLessThan(180);
}, 240_000);
