/**
 * Server-only access to the session (the API key in the httpOnly cookie). Pages that need it call requireKey(),
 * which sends a signed-out visitor to /sign-in and back afterwards.
 */
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { ApiError } from './api';
import { SESSION_COOKIE } from './session-cookie';

export async function readKey(): Promise<string | undefined> {
  return (await cookies()).get(SESSION_COOKIE)?.value || undefined;
}

export function signInPath(next: string, reason?: 'expired'): string {
  const params = new URLSearchParams({ next });
  if (reason) params.set('reason', reason);
  return `/sign-in?${params}`;
}

/** The key, or a redirect to /sign-in that returns to `next` afterwards. */
export async function requireKey(next: string): Promise<string> {
  const key = await readKey();
  if (!key) redirect(signInPath(next));
  return key;
}

/** Sends the visitor to sign in again when the API no longer accepts the cookie's key; rethrows anything else. */
export function handleAuthError(error: unknown, next: string): never {
  if (error instanceof ApiError && error.unauthenticated) redirect(signInPath(next, 'expired'));
  throw error;
}

export async function requestIsSecure(): Promise<boolean> {
  const h = await headers();
  return (h.get('x-forwarded-proto') ?? '').split(',')[0]!.trim() === 'https';
}
