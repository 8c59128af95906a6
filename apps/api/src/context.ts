/** What every resolver receives: the process's services plus the authenticated viewer of this request. */
import type { Config, JobQueue, Logger, ObjectStorage, ProgressListener, ProgressPublisher } from '@seif/platform';
import type { Database } from '@seif/platform/db';
import type { Authenticator, Scope, Viewer } from './auth/authenticate.js';
import { requestError } from './errors.js';
import type { DownloadSigner } from './downloads.js';
import type { RateLimiter } from './rate-limit.js';

export interface ApiServices {
  config: Config;
  db: Database;
  logger: Logger;
  storage: ObjectStorage;
  authenticator: Authenticator;
  downloads: DownloadSigner;
  queue: JobQueue;
  /** Pushes job progress from PostgreSQL NOTIFY to this instance's subscribers. */
  progress: ProgressListener;
  /** Used for cancellations and retries, which the API records itself. */
  publisher: ProgressPublisher;
  rateLimiter: RateLimiter;
  startedAt: number;
}

export interface ApiContext extends ApiServices {
  viewer: Viewer | undefined;
}

/** The viewer, or a request error: UNAUTHENTICATED without credentials, FORBIDDEN without the scope. */
export function requireScope(context: ApiContext, scope: Scope): Viewer {
  const { viewer } = context;
  if (!viewer) throw requestError('UNAUTHENTICATED', 'Send an API key: "Authorization: Bearer seif_<prefix>_<secret>"');
  // ADMIN implies WRITE implies READ.
  const granted = viewer.scopes.has('ADMIN') || viewer.scopes.has(scope) || (scope === 'READ' && viewer.scopes.has('WRITE'));
  if (!granted) throw requestError('FORBIDDEN', `This API key lacks the ${scope} scope`);
  return viewer;
}
