import type { Metadata } from 'next';
import { fetchHealth, graphql } from '../lib/api';
import { artifactHref } from '../lib/artifacts';
import { type JobStatus, formatDate, formatDay } from '../lib/format';
import { galleryHref, neighbourLinks, pageVariables, parseGalleryQuery } from '../lib/pagination';
import { handleAuthError, requireKey } from '../lib/session';
import { BackendStatus } from './backend-status';
import { GalleryEmpty } from './gallery-empty';
import { StatusBadge } from './status-badge';

// The gallery reflects live data; never prerender it at build time.
export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Gallery · SeIF' };

const SUBJECTS = `query Gallery($first: Int, $after: String, $last: Int, $before: String, $filter: SubjectFilter) {
  subjects(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: NEWEST_FIRST) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { id displayName createdAt latestReconstruction { id status artifacts { kind url } } } }
  }
}`;

interface GalleryData {
  subjects: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
    edges: { node: { id: string; displayName: string; createdAt: string; latestReconstruction: { id: string; status: JobStatus; artifacts: { kind: string; url: string }[] } | null } }[];
  };
}

export default async function GalleryPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const query = parseGalleryQuery(await searchParams);
  const here = galleryHref(query);
  const key = await requireKey(here);
  const [data, health] = await Promise.all([graphql<GalleryData>(SUBJECTS, { ...pageVariables(query) }, key).catch((error: unknown) => handleAuthError(error, here)), fetchHealth()]);
  const { edges, pageInfo, totalCount } = data.subjects;
  const links = neighbourLinks(query, pageInfo);

  return (
    <>
      <header className="gallery-head">
        <div>
          <h1>Gallery</h1>
          <p className="muted" aria-live="polite">
            {totalCount === 1 ? '1 subject' : `${totalCount} subjects`}
            {query.q ? ` matching “${query.q}”` : ''}
          </p>
        </div>
        <form role="search" method="get" action="/" className="search">
          <label htmlFor="gallery-q" className="sr-only">
            Search subjects by name
          </label>
          <input id="gallery-q" type="search" name="q" defaultValue={query.q ?? ''} placeholder="Search by name" />
          <button type="submit" className="button">
            Search
          </button>
        </form>
        <a className="button primary" href="/upload">
          Upload
        </a>
      </header>

      {edges.length === 0 ? (
        <GalleryEmpty health={health} query={query.q} />
      ) : (
        <>
          <ul className="grid" aria-label="Subjects">
            {edges.map(({ node }) => {
              const latest = node.latestReconstruction;
              const thumbnail = latest?.artifacts.find((a) => a.kind === 'THUMBNAIL');
              return (
                <li key={node.id} className="card">
                  <a href={`/subjects/${encodeURIComponent(node.id)}`} className="card-link">
                    <span className="thumb">
                      {thumbnail ? (
                        // eslint-disable-next-line @next/next/no-img-element -- a signed, expiring URL: next/image would cache it
                        <img src={artifactHref(thumbnail.url)} alt="" width={256} height={256} loading="lazy" />
                      ) : (
                        <span className="thumb-placeholder" aria-hidden="true" />
                      )}
                    </span>
                    <span className="card-body">
                      <span className="card-title">{node.displayName}</span>
                      <span className="card-meta">
                        {latest ? <StatusBadge status={latest.status} /> : <span className="badge">No photo yet</span>}
                        <time dateTime={node.createdAt} title={formatDate(node.createdAt)}>
                          {formatDay(node.createdAt)}
                        </time>
                      </span>
                    </span>
                  </a>
                </li>
              );
            })}
          </ul>
          {(links.previous || links.next) && (
          <nav className="pager" aria-label="Pages">
            {links.previous ? (
              <a className="button" href={links.previous} rel="prev">
                ← Newer
              </a>
            ) : (
              <span className="button" aria-disabled="true">
                ← Newer
              </span>
            )}
            {links.next ? (
              <a className="button" href={links.next} rel="next">
                Older →
              </a>
            ) : (
              <span className="button" aria-disabled="true">
                Older →
              </span>
            )}
          </nav>
          )}
          <footer className="gallery-foot">
            <BackendStatus health={health} />
          </footer>
        </>
      )}
    </>
  );
}
