/**
 * `node --import tsx tools/bench/src/cli.ts repro`: replays the API bugs the fuzzer found, one request each,
 * against a fresh API, and prints what came back next to what should have. Exit code 1 while any reproduces.
 */
import { createEnvironment, gqlRequest, startApiProcess, stopChild, toGlobalId } from './harness.js';

export interface Repro {
  id: string;
  expected: string;
  request: { query: string; variables?: Record<string, unknown> };
  /** True when the answer shows the bug. */
  reproduces(status: number, json: any): boolean;
}

export const REPROS: Repro[] = [
  {
    id: 'armor-max-tokens-parse-500',
    expected: 'HTTP 400 GRAPHQL_PARSE_FAILED (a syntax error is the client’s)',
    request: { query: 'Y2N' },
    reproduces: (status) => status >= 500,
  },
  {
    id: 'armor-max-tokens-limit-500',
    expected: 'HTTP 400 (over the 2000-token limit)',
    request: { query: `{ ${Array.from({ length: 700 }, (_, i) => `a${i}: health { status }`).join(' ')} }` },
    reproduces: (status) => status >= 500,
  },
  {
    id: 'nul-in-string-internal-error',
    expected: 'a user error INVALID_ARGUMENT on input.displayName (PostgreSQL text cannot hold U+0000)',
    request: { query: 'mutation($n: String!) { createSubject(input: { displayName: $n }) { subject { id } errors { code message } } }', variables: { n: 'a\u0000b' } },
    reproduces: (_status, json) => JSON.stringify(json ?? {}).includes('INTERNAL_SERVER_ERROR'),
  },
  {
    id: 'subscription-over-http-internal-error',
    expected: 'HTTP 400 BAD_REQUEST: subscriptions are served over graphql-ws only',
    request: { query: `subscription { reconstructionProgress(id: "${toGlobalId('Reconstruction', '00000000-0000-4000-8000-000000000000')}") { status } }` },
    reproduces: (_status, json) => JSON.stringify(json ?? {}).includes('INTERNAL_SERVER_ERROR'),
  },
];

export async function runRepros(adminUrl?: string): Promise<{ id: string; reproduces: boolean; status: number; body: string; expected: string }[]> {
  const env = await createEnvironment(adminUrl);
  const api = await startApiProcess(env);
  try {
    const results = [];
    for (const repro of REPROS) {
      const response = await gqlRequest(api.url, env.key, repro.request);
      results.push({ id: repro.id, reproduces: repro.reproduces(response.status, response.json), status: response.status, body: response.text.slice(0, 300), expected: repro.expected });
    }
    return results;
  } finally {
    await stopChild(api.handle, 'SIGTERM', 5_000);
    await env.close();
  }
}
