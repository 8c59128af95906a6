import type { Fetched, HealthSummary } from '../lib/api';

/** A small, unobtrusive line saying whether the API and its database answer. */
export function BackendStatus({ health }: { health: Fetched<HealthSummary> }) {
  const ready = health.ok && health.data.status === 'OK';
  return (
    <p className={ready ? 'status status-ok' : 'status status-down'} role="status" data-testid="backend-status">
      {ready
        ? `Back end ready (database migration ${health.ok ? health.data.database.migration : ''})`
        : `Back end not ready: ${health.ok ? 'database unreachable' : health.error}`}
    </p>
  );
}
