import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/rate-limit.js';
import { REQUEST_LIMITS } from '../src/server.js';
import { type Harness, startHarness } from './helpers/api-harness.js';

describe('request protection', () => {
  let h: Harness;
  let key: string;
  beforeAll(async () => {
    h = await startHarness();
    ({ key } = await h.createTenant('Limits'));
  });
  afterAll(() => h?.close());

  it('rejects queries deeper or costlier than the limits', async () => {
    let selection = 'id';
    for (let i = 0; i < REQUEST_LIMITS.maxDepth; i++) selection = `latestReconstruction { subject { ${selection} } }`;
    const { status, body } = await h.gql(`{ subjects { edges { node { ${selection} } } } }`, {}, key);
    expect(status).toBe(400);
    // Deep nesting also multiplies cost; either guard may fire first.
    expect(body.errors[0].message).toMatch(/depth|cost/i);
    expect(body.data).toBeUndefined();
  });

  it('rejects alias floods', async () => {
    const aliases = Array.from({ length: REQUEST_LIMITS.maxAliases + 5 }, (_, i) => `a${i}: health { status }`).join(' ');
    const { body } = await h.gql(`{ ${aliases} }`, {}, key);
    expect(body.errors[0].message).toMatch(/alias/i);
  });

  it('does not suggest field names to probers and never returns stack traces', async () => {
    const { body } = await h.gql('{ subjectz { totalCount } }', {}, key);
    expect(body.errors[0].message).not.toMatch(/Did you mean/);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('rejects an oversized JSON body with a GraphQL-shaped error', async () => {
    const response = await fetch(h.api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: `{ health { status } } # ${'x'.repeat(2 * 1024 * 1024)}` }),
    });
    expect(response.status).toBe(413);
    const body = (await response.json()) as any;
    expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('limits requests per API key with HTTP 429, Retry-After, and lets other keys through', async () => {
    const original = h.services.rateLimiter;
    // One token per 10 s: the five requests must not see a refill even when a loaded machine takes seconds over
    // them (at 60 per minute the fourth one got a fresh token under load).
    (h.services as { rateLimiter: RateLimiter }).rateLimiter = new RateLimiter({ perMinute: 6, burst: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await h.gql('{ viewer { tenant { name } } }', {}, key)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const limited = await fetch(h.api.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: '{ health { status } }' }),
      });
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await limited.json()) as any).errors[0].extensions.code).toBe('RATE_LIMITED');
      const other = await h.createTenant('Other');
      expect((await h.gql('{ viewer { tenant { name } } }', {}, other.key)).status).toBe(200);
    } finally {
      (h.services as { rateLimiter: RateLimiter }).rateLimiter = original;
    }
  });

  it('refills the bucket over time', () => {
    const limiter = new RateLimiter({ perMinute: 60, burst: 1 });
    expect(limiter.take('k', 0)).toBe(0);
    expect(limiter.take('k', 10)).toBe(1);
    expect(limiter.take('k', 1_100)).toBe(0);
  });

  it('answers malformed and oversized query text with 400, not 500', async () => {
    for (const query of ['ringce', '4*', `{ ${Array.from({ length: 900 }, (_, i) => `a${i}: health { status }`).join(' ')} }`]) {
      const { status, body } = await h.gql(query, {}, key);
      expect(status, query.slice(0, 20)).toBe(400);
      expect(body.errors[0].extensions.code).toMatch(/GRAPHQL_(PARSE|VALIDATION)_FAILED|BAD_USER_INPUT/);
    }
  });

  it('refuses NUL characters in text inputs and subscriptions over HTTP with 400', async () => {
    const nul = await h.gql('mutation($name: String!) { createSubject(input: { displayName: $name }) { subject { id } } }', { name: 'a\u0000b' }, key);
    expect(nul.status).toBe(400);
    expect(nul.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const inline = await h.gql('mutation { createSubject(input: { displayName: "a\\u0000b" }) { subject { id } } }', {}, key);
    expect(inline.status).toBe(400);
    const subscription = await h.gql('subscription { reconstructionProgress(id: "x") { status } }', {}, key);
    expect(subscription.status).toBe(400);
    expect(subscription.body.errors[0].message).toMatch(/WebSocket/);
  });
});
