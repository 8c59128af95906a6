import { describe, expect, it } from 'vitest';
import { SESSION_COOKIE, SESSION_MAX_AGE_SECONDS, clearedSessionCookieOptions, isSecureRequest, normaliseApiKey, safeNextPath, sessionCookieOptions } from '../lib/session-cookie';

const KEY = `seif_abcdefghijk2_${'A'.repeat(40)}-_9`;

describe('session cookie', () => {
  it('is httpOnly, SameSite=Lax, site-wide, secure over https only', () => {
    expect(SESSION_COOKIE).toBe('seif_session');
    expect(sessionCookieOptions(true)).toEqual({ httpOnly: true, sameSite: 'lax', secure: true, path: '/', maxAge: SESSION_MAX_AGE_SECONDS });
    expect(sessionCookieOptions(false).secure).toBe(false);
  });

  it('sign-out sends the same cookie expired', () => {
    expect(clearedSessionCookieOptions(false)).toMatchObject({ httpOnly: true, sameSite: 'lax', path: '/', maxAge: 0 });
  });

  it('accepts only keys of the API key shape, trimmed', () => {
    expect(normaliseApiKey(`  ${KEY}\n`)).toBe(KEY);
    expect(normaliseApiKey('seif_short_x')).toBeUndefined();
    expect(normaliseApiKey(`${KEY}; other=1`)).toBeUndefined();
    expect(normaliseApiKey(`seif_ABCDEFGHIJKL_${'A'.repeat(43)}`)).toBeUndefined(); // prefix is lower-case base32
    expect(normaliseApiKey(null)).toBeUndefined();
  });

  it('returns only to local paths after sign-in', () => {
    expect(safeNextPath('/subjects/abc?x=1')).toBe('/subjects/abc?x=1');
    for (const bad of ['//evil.example', 'https://evil.example', '/\\evil.example', 'subjects', null, 3]) expect(safeNextPath(bad)).toBe('/');
  });

  it('knows https behind a proxy', () => {
    expect(isSecureRequest('https')).toBe(true);
    expect(isSecureRequest('https, http')).toBe(true);
    expect(isSecureRequest('http')).toBe(false);
    expect(isSecureRequest(null, 'https://x/')).toBe(true);
    expect(isSecureRequest(undefined)).toBe(false);
  });
});
