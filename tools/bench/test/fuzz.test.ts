/** CI slice of the fuzzer: 200 cases against a live API; no crash, no 5xx (beyond reported bugs), nothing stored from a rejected request. */
import { expect, inject, it } from 'vitest';
import { runFuzz } from '../src/fuzz.js';

it('survives 200 hostile requests without crash, 5xx or stored leftovers', async () => {
  const report = await runFuzz({ cases: 200, seed: 1, adminUrl: inject('postgresAdminUrl'), log: (line) => console.log(line) });
  const { findings, ...figures } = report;
  console.log(JSON.stringify(figures));
  const unexpected = findings.filter((finding) => finding.kind !== 'internal-error' && !finding.known);
  expect(unexpected).toEqual([]);
  expect({ crashes: report.crashes, unknown5xx: report.http5xx - report.http5xxKnown, storedFromRejected: report.storedFromRejected }).toEqual({ crashes: 0, unknown5xx: 0, storedFromRejected: 0 });
  expect(report.cases).toBe(200);
  expect(report.accepted + report.rejected + report.noResponse + report.crashes).toBe(200);
  // Every family of generators ran.
  for (const family of ['image:', 'mutation:', 'query:']) expect(Object.keys(report.byCategory).some((category) => category.startsWith(family)), family).toBe(true);
}, 240_000);
