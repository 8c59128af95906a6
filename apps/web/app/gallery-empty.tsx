import type { Fetched, HealthSummary } from '../lib/api';
import { BackendStatus } from './backend-status';

/** The gallery before any head exists (or when a search finds none): what the product does, and an upload invitation. */
export function GalleryEmpty({ health, query }: { health: Fetched<HealthSummary>; query?: string }) {
  return (
    <section className="empty" aria-labelledby="empty-title">
      {query ? (
        <>
          <h2 id="empty-title">No subject matches “{query}”</h2>
          <p className="lede">Try another part of the name, or upload a new portrait.</p>
        </>
      ) : (
        <>
          <h2 id="empty-title">One photo in, an animatable 3D head out</h2>
          <p className="lede">
            Upload a portrait and SeIF reconstructs the whole head, hair included, on the FLAME topology so it can
            smile, blink and turn. Your heads will appear here.
          </p>
        </>
      )}
      <p className="actions">
        <a className="button primary" href="/upload">
          Upload a portrait
        </a>
        <a className="button" href="/demo">
          Try the demo head
        </a>
      </p>
      <BackendStatus health={health} />
    </section>
  );
}
