import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers/api-harness.js';

describe('API keys and scopes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it('answers viewer for a valid key and stores only a hash', async () => {
    const { key, tenantId } = await h.createTenant('Acme');
    const { body } = await h.gql('{ viewer { tenant { name } apiKey { prefix scopes } } }', {}, key);
    expect(body.errors).toBeUndefined();
    expect(body.data.viewer.tenant.name).toBe('Acme');
    expect(key.startsWith(`seif_${body.data.viewer.apiKey.prefix}_`)).toBe(true);
    const stored = await h.db.apiKey.findFirstOrThrow({ where: { tenantId } });
    expect(stored.hash).toMatch(/^\$argon2id\$/);
    // The secret is base64url and may itself contain '_': take everything after `seif_<prefix>_`.
    const secret = key.slice(`seif_${stored.prefix}_`.length);
    expect(secret).toHaveLength(43);
    expect(stored.hash).not.toContain(secret);
  });

  it('rejects missing, malformed and wrong keys with UNAUTHENTICATED and HTTP 401', async () => {
    const { key } = await h.createTenant('Keys');
    const wrong = `${key.slice(0, -4)}AAAA`;
    for (const candidate of [undefined, 'not-a-key', wrong]) {
      const { status, body } = await h.gql('{ viewer { tenant { name } } }', {}, candidate);
      expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      if (candidate) expect(status).toBe(401);
    }
  });

  it('enforces scopes: READ cannot write, WRITE cannot manage keys', async () => {
    const reader = await h.createTenant('Reader', ['READ']);
    const denied = await h.gql('mutation { createSubject(input: { displayName: "x" }) { subject { id } } }', {}, reader.key);
    expect(denied.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(denied.status).toBe(403);
    const writer = await h.createTenant('Writer', ['WRITE']);
    const keys = await h.gql('mutation { createApiKey(input: { name: "k", scopes: [READ] }) { secret } }', {}, writer.key);
    expect(keys.body.errors[0].extensions.code).toBe('FORBIDDEN');
    // WRITE implies READ.
    const read = await h.gql('{ subjects { totalCount } }', {}, writer.key);
    expect(read.body.data.subjects.totalCount).toBe(0);
  });

  it('creates a key that works at once and revokes it', async () => {
    const admin = await h.createTenant('Admin');
    const created = await h.gql('mutation { createApiKey(input: { name: "ci", scopes: [READ] }) { apiKey { id prefix scopes } secret errors { code } } }', {}, admin.key);
    const { apiKey, secret } = created.body.data.createApiKey;
    expect(apiKey.scopes).toEqual(['READ']);
    expect((await h.gql('{ viewer { apiKey { id } } }', {}, secret)).body.data.viewer.apiKey.id).toBe(apiKey.id);

    const revoked = await h.gql('mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { revokedAt } errors { code } } }', { id: apiKey.id }, admin.key);
    expect(revoked.body.data.revokeApiKey.apiKey.revokedAt).toBeTruthy();
    const after = await h.gql('{ viewer { apiKey { id } } }', {}, secret);
    expect(after.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('cannot revoke another tenant\'s key', async () => {
    const a = await h.createTenant('A');
    const b = await h.createTenant('B');
    const bKeyId = (await h.gql('{ viewer { apiKey { id } } }', {}, b.key)).body.data.viewer.apiKey.id;
    const result = await h.gql('mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id } errors { __typename code field } } }', { id: bKeyId }, a.key);
    expect(result.body.data.revokeApiKey).toEqual({ apiKey: null, errors: [{ __typename: 'NotFound', code: 'NOT_FOUND', field: ['input', 'id'] }] });
    expect((await h.gql('{ viewer { apiKey { revokedAt } } }', {}, b.key)).body.data.viewer.apiKey.revokedAt).toBeNull();
  });
});
