import type { Metadata } from 'next';
import { fetchHealth } from '../../lib/api';
import { safeNextPath } from '../../lib/session-cookie';
import { BackendStatus } from '../backend-status';
import { signIn } from './actions';

export const metadata: Metadata = { title: 'Sign in · SeIF' };
export const dynamic = 'force-dynamic';

const MESSAGES: Record<string, string> = {
  malformed: 'That does not look like a SeIF API key. Keys start with seif_ and have two parts after it.',
  rejected: 'The API did not accept this key: it is unknown or has been revoked. Ask your administrator for a new one.',
  unreachable: 'The API could not be reached to check the key. Try again in a moment.',
  expired: 'Your key is no longer accepted. Sign in again.',
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const next = safeNextPath(params.next);
  const errorCode = typeof params.error === 'string' ? params.error : typeof params.reason === 'string' ? params.reason : undefined;
  const message = errorCode ? MESSAGES[errorCode] : undefined;
  return (
    <section className="panel narrow" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p className="lede">
        Paste an API key of your organisation. It stays on the server in an httpOnly cookie; this page never shows it
        again. <code>npm start</code> prints a local admin key.
      </p>
      <form action={signIn} className="stack">
        <input type="hidden" name="next" value={next} />
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          placeholder="seif_xxxxxxxxxxxx_…"
          aria-describedby={message ? 'sign-in-error' : undefined}
          aria-invalid={message ? true : undefined}
        />
        {message && (
          <p id="sign-in-error" className="form-error" role="alert">
            {message}
          </p>
        )}
        <button type="submit" className="button primary">
          Sign in
        </button>
      </form>
      <BackendStatus health={await fetchHealth()} />
    </section>
  );
}
