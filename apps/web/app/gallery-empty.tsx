import type { Fetched, HealthSummary } from '../lib/api';

/** The gallery before any head exists: what the product does, and whether the back end is ready. */
export function GalleryEmpty({ health }: { health: Fetched<HealthSummary> }) {
  const ready = health.ok && health.data.status === 'OK';
  return (
    <section className="empty" aria-labelledby="empty-title">
      <h1 id="empty-title">One photo in, an animatable 3D head out</h1>
      <p className="lede">
        Upload a portrait and SeIF reconstructs the whole head, hair included, on the FLAME topology so it can smile,
        blink and turn. Your heads will appear here.
      </p>
      <p className={ready ? 'status status-ok' : 'status status-down'} role="status" data-testid="backend-status">
        {ready
          ? `Back end ready (database migration ${health.ok ? health.data.database.migration : ''})`
          : `Back end not ready: ${health.ok ? 'database unreachable' : health.error}`}
      </p>
    </section>
  );
}
