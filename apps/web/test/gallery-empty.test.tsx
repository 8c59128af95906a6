import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { GalleryEmpty } from '../app/gallery-empty';
import { fetchHealth } from '../lib/api';

describe('empty gallery', () => {
  it('says the back end is ready with its migration', () => {
    const html = renderToStaticMarkup(
      <GalleryEmpty health={{ ok: true, data: { status: 'OK', database: { reachable: true, migration: '20260101000000_init' }, packages: [] } }} />,
    );
    expect(html).toContain('Back end ready');
    expect(html).toContain('20260101000000_init');
    expect(html).toContain('role="status"');
  });

  it('explains why when the API cannot be reached', async () => {
    // A closed port on loopback: a real failed connection, not a stub.
    const health = await fetchHealth('http://127.0.0.1:1/graphql');
    expect(health.ok).toBe(false);
    const html = renderToStaticMarkup(<GalleryEmpty health={health} />);
    expect(html).toMatch(/Back end not ready: API unreachable at http:\/\/127.0.0.1:1\/graphql/);
  });
});
