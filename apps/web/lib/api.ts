/**
 * Server-side access to the SeIF GraphQL API, the web app's only door to data. The URL comes from
 * SEIF_API_URL (set by `npm start`), defaulting to the API's default port.
 */
export function apiUrl(): string {
  return process.env.SEIF_API_URL ?? 'http://127.0.0.1:4000/graphql';
}

export interface HealthSummary {
  status: 'OK' | 'DEGRADED';
  database: { reachable: boolean; migration: string | null };
  packages: { name: string; version: string }[];
}

export type Fetched<T> = { ok: true; data: T } | { ok: false; error: string };

export async function fetchHealth(url = apiUrl()): Promise<Fetched<HealthSummary>> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ health { status database { reachable migration } packages { name version } } }' }),
      cache: 'no-store',
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await response.json()) as { data?: { health: HealthSummary }; errors?: { message: string }[] };
    if (body.errors?.length) return { ok: false, error: body.errors.map((e) => e.message).join('; ') };
    if (!body.data) return { ok: false, error: `API answered HTTP ${response.status} without data` };
    return { ok: true, data: body.data.health };
  } catch (error) {
    return { ok: false, error: `API unreachable at ${url}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** A GraphQL request the API refused or could not answer. `code` is `extensions.code` of the first error. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    readonly code: string,
    readonly status?: number,
  ) {
    super(message);
  }
  /** The key is missing, malformed, unknown or revoked: the person has to sign in again. */
  get unauthenticated(): boolean {
    return this.code === 'UNAUTHENTICATED';
  }
}

/**
 * One GraphQL operation over HTTP with the caller's API key (`Authorization: Bearer`). Server-side only: the key
 * comes from the session cookie and never reaches the browser. Throws ApiError on transport or GraphQL errors.
 */
export async function graphql<T>(query: string, variables: Record<string, unknown> = {}, key?: string, url = apiUrl()): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query, variables }),
      cache: 'no-store',
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new ApiError(`API unreachable at ${url}: ${error instanceof Error ? error.message : String(error)}`, 'UNREACHABLE');
  }
  return readGraphqlBody<T>(response);
}

/** The data of a GraphQL response, or the ApiError its `errors` describe. */
export async function readGraphqlBody<T>(response: Response): Promise<T> {
  let body: { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new ApiError(`API answered HTTP ${response.status} without JSON`, 'BAD_RESPONSE', response.status);
  }
  if (body.errors?.length) {
    const first = body.errors[0]!;
    throw new ApiError(body.errors.map((e) => e.message).join('; '), first.extensions?.code ?? 'GRAPHQL_ERROR', response.status);
  }
  if (!body.data) throw new ApiError(`API answered HTTP ${response.status} without data`, 'BAD_RESPONSE', response.status);
  return body.data;
}

/** A typed user error from a mutation payload (`errors { code message }`). */
export interface UserError {
  code: string;
  message: string;
}
