'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { ApiError, graphql } from '../../lib/api';
import { requestIsSecure } from '../../lib/session';
import { SESSION_COOKIE, clearedSessionCookieOptions, normaliseApiKey, safeNextPath, sessionCookieOptions } from '../../lib/session-cookie';

/** Validates the pasted key against the API (`viewer`) and stores it in the session cookie. */
export async function signIn(form: FormData): Promise<void> {
  const next = safeNextPath(form.get('next'));
  const back = (error: string) => redirect(`/sign-in?${new URLSearchParams({ next, error })}`);
  const key = normaliseApiKey(form.get('key'));
  if (!key) back('malformed');
  try {
    await graphql<{ viewer: { tenant: { name: string } } }>('{ viewer { tenant { name } } }', {}, key);
  } catch (error) {
    back(error instanceof ApiError && error.unauthenticated ? 'rejected' : 'unreachable');
  }
  (await cookies()).set(SESSION_COOKIE, key!, sessionCookieOptions(await requestIsSecure()));
  redirect(next);
}

export async function signOut(): Promise<void> {
  (await cookies()).set(SESSION_COOKIE, '', clearedSessionCookieOptions(await requestIsSecure()));
  redirect('/sign-in');
}
