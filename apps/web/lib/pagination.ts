/**
 * Relay pagination in the gallery's URL: `?after=<cursor>` pages forward, `?before=<cursor>` back, `?q=` filters by
 * name. Cursors are the API's opaque strings; the page only passes them through. Pure, so unit tests cover it.
 */
export const PAGE_SIZE = 12;

export interface GalleryQuery {
  q?: string;
  after?: string;
  before?: string;
}

export interface PageVariables {
  first?: number;
  after?: string;
  last?: number;
  before?: string;
  filter?: { nameContains: string };
}

type SearchParams = Record<string, string | string[] | undefined>;

const single = (value: string | string[] | undefined): string | undefined => {
  const v = Array.isArray(value) ? value[0] : value;
  const trimmed = v?.trim();
  return trimmed ? trimmed.slice(0, 200) : undefined;
};

/** The gallery state a URL's search params describe (`before` wins over `after` if both are given). */
export function parseGalleryQuery(params: SearchParams): GalleryQuery {
  const q = single(params.q);
  const before = single(params.before);
  const after = before ? undefined : single(params.after);
  return { ...(q ? { q } : {}), ...(after ? { after } : {}), ...(before ? { before } : {}) };
}

/** The `subjects(...)` arguments for that state: forward from `after`, backward to `before`. */
export function pageVariables(query: GalleryQuery, size = PAGE_SIZE): PageVariables {
  const filter = query.q ? { filter: { nameContains: query.q } } : {};
  if (query.before) return { last: size, before: query.before, ...filter };
  return { first: size, ...(query.after ? { after: query.after } : {}), ...filter };
}

/** A gallery URL (`/`, `/?q=ann`, `/?q=ann&after=...`); the search term survives paging. */
export function galleryHref(query: GalleryQuery): string {
  const params = new URLSearchParams();
  if (query.q) params.set('q', query.q);
  if (query.before) params.set('before', query.before);
  else if (query.after) params.set('after', query.after);
  const search = params.toString();
  return search ? `/?${search}` : '/';
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

/**
 * Links to the neighbouring pages, or null where there is none. Relay only promises hasPreviousPage when paging
 * backward (and hasNextPage when paging forward), so the direction we came from counts too: a page reached with
 * `after` has a previous page, one reached with `before` has a next one.
 */
export function neighbourLinks(query: GalleryQuery, info: PageInfo): { previous: string | null; next: string | null } {
  const hasPrevious = info.hasPreviousPage || Boolean(query.after);
  const hasNext = info.hasNextPage || Boolean(query.before);
  return {
    previous: hasPrevious && info.startCursor ? galleryHref({ q: query.q, before: info.startCursor }) : null,
    next: hasNext && info.endCursor ? galleryHref({ q: query.q, after: info.endCursor }) : null,
  };
}
