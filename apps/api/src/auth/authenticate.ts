/**
 * Turns an Authorization header into a Viewer (tenant + key + scopes), or says why not.
 * A verified key is remembered for a short while so that a busy client does not pay for argon2 on every
 * request; revocation through this instance takes effect at once, through another instance within CACHE_MS.
 */
import { createHash } from 'node:crypto';
import type { Database } from '@seif/platform/db';
import { parseApiKey, verifySecret } from '@seif/platform';

export type Scope = 'READ' | 'WRITE' | 'ADMIN';

export interface Viewer {
  tenantId: string;
  apiKeyId: string;
  scopes: ReadonlySet<Scope>;
}

/** How long a verified key is trusted without asking the database again. */
const CACHE_MS = 30_000;
/** lastUsedAt is written at most this often per key, to keep reads read-only under load. */
const TOUCH_MS = 60_000;

interface Cached {
  digest: string;
  viewer: Viewer;
  until: number;
}

export class Authenticator {
  readonly #cache = new Map<string, Cached>();
  readonly #touched = new Map<string, number>();

  constructor(private readonly db: Database) {}

  /** undefined: no credentials sent. Throws AuthError for credentials that are wrong, revoked or malformed. */
  async authenticate(authorization: string | undefined): Promise<Viewer | undefined> {
    if (!authorization) return undefined;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    const parsed = match ? parseApiKey(match[1] as string) : undefined;
    if (!parsed) throw new AuthError('Malformed credentials: send "Authorization: Bearer seif_<prefix>_<secret>"');

    const digest = createHash('sha256').update(parsed.secret).digest('hex');
    const cached = this.#cache.get(parsed.prefix);
    if (cached && cached.until > Date.now() && cached.digest === digest) return cached.viewer;

    const key = await this.db.apiKey.findUnique({ where: { prefix: parsed.prefix } });
    if (!key || key.revokedAt || !(await verifySecret(key.hash, parsed.secret))) {
      this.#cache.delete(parsed.prefix);
      throw new AuthError('Invalid or revoked API key');
    }
    const viewer: Viewer = { tenantId: key.tenantId, apiKeyId: key.id, scopes: new Set(key.scopes) };
    this.#cache.set(parsed.prefix, { digest, viewer, until: Date.now() + CACHE_MS });
    this.#touch(key.id);
    return viewer;
  }

  forget(prefix: string): void {
    this.#cache.delete(prefix);
  }

  #touch(apiKeyId: string): void {
    const last = this.#touched.get(apiKeyId) ?? 0;
    if (Date.now() - last < TOUCH_MS) return;
    this.#touched.set(apiKeyId, Date.now());
    // Best effort: a failed bookkeeping write must not fail the request.
    this.db.apiKey.update({ where: { id: apiKeyId }, data: { lastUsedAt: new Date() } }).catch(() => {});
  }
}

export class AuthError extends Error {
  override readonly name = 'AuthError';
}
