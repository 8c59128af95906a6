/**
 * The session is the tenant's API key in an httpOnly, SameSite=Lax cookie: the browser stores it but scripts
 * cannot read it, and cross-site POSTs do not carry it. Pure helpers (no Next imports) so that unit tests cover them.
 */
export const SESSION_COOKIE = 'seif_session';

/** 30 days: an API key does not expire by itself; revoking it on the API ends every session that holds it. */
export const SESSION_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;

/** Same shape as @seif/platform's KEY_PATTERN (copied: the web bundle cannot import workspace libraries). */
const KEY_PATTERN = /^seif_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/;

export interface SessionCookieOptions {
  httpOnly: true;
  sameSite: 'lax';
  secure: boolean;
  path: '/';
  maxAge: number;
}

/** The cookie's attributes. `secure` when the site is served over https (set from the request's protocol). */
export function sessionCookieOptions(secure: boolean): SessionCookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: SESSION_MAX_AGE_SECONDS };
}

/** The same cookie, expired: what sign-out sends. */
export function clearedSessionCookieOptions(secure: boolean): SessionCookieOptions {
  return { ...sessionCookieOptions(secure), maxAge: 0 };
}

/** The pasted key, trimmed, if it has the shape of a SeIF API key; undefined otherwise (saves a round trip). */
export function normaliseApiKey(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const key = input.trim();
  return KEY_PATTERN.test(key) ? key : undefined;
}

/** Where to go after signing in: a local path only (never `//host` or `https://...`: no open redirect). */
export function safeNextPath(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next;
}

/** Whether the request reached us over https, behind a proxy or not. */
export function isSecureRequest(forwardedProto: string | null | undefined, url?: string): boolean {
  if (forwardedProto) return forwardedProto.split(',')[0]!.trim() === 'https';
  return url?.startsWith('https:') ?? false;
}
