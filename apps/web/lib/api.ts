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
