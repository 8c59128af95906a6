/**
 * Relay conventions: opaque global ids ("Type:uuid", base64url) and keyset cursors. Cursors encode
 * (createdAt, id), never an offset, so pages stay correct while rows are added (graphql-relay-js warns that
 * offsets only suit static arrays).
 */
import { requestError } from './errors.js';

export type NodeType = 'Tenant' | 'ApiKey' | 'Subject' | 'Reconstruction' | 'Animation' | 'Artifact' | 'Photo';
const NODE_TYPES = new Set<NodeType>(['Tenant', 'ApiKey', 'Subject', 'Reconstruction', 'Animation', 'Artifact', 'Photo']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function toGlobalId(type: NodeType, id: string): string {
  return Buffer.from(`${type}:${id}`).toString('base64url');
}

/** The row id behind a global id, or undefined when the id is malformed or of another type. */
export function fromGlobalId(globalId: string, expected?: NodeType): { type: NodeType; id: string } | undefined {
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const separator = decoded.indexOf(':');
  const type = decoded.slice(0, separator) as NodeType;
  const id = decoded.slice(separator + 1);
  if (separator < 0 || !NODE_TYPES.has(type) || !UUID.test(id)) return undefined;
  if (expected && type !== expected) return undefined;
  return { type, id };
}

export interface Keyset {
  createdAt: Date;
  id: string;
}

export function encodeCursor(row: Keyset): string {
  return Buffer.from(`cursor:${row.createdAt.toISOString()}|${row.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): Keyset {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^cursor:([^|]+)\|(.+)$/.exec(decoded);
  const createdAt = match ? new Date(match[1] as string) : undefined;
  if (!match || !createdAt || Number.isNaN(createdAt.getTime()) || !UUID.test(match[2] as string)) {
    throw requestError('BAD_USER_INPUT', `Invalid cursor "${cursor}"`);
  }
  return { createdAt, id: match[2] as string };
}

export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageRequest {
  /** Rows to fetch, one more than the page to learn whether another page exists. */
  take: number;
  size: number;
  /** true when paging backwards (last/before): rows come in reverse and are flipped afterwards. */
  backward: boolean;
  cursor?: Keyset;
}

export function pageRequest(args: ConnectionArgs): PageRequest {
  const { first, last, after, before } = args;
  if (first != null && last != null) throw requestError('BAD_USER_INPUT', 'Pass either "first" or "last", not both');
  for (const [name, value] of [['first', first], ['last', last]] as const) {
    if (value != null && (value < 0 || value > MAX_PAGE_SIZE)) {
      throw requestError('BAD_USER_INPUT', `"${name}" must be between 0 and ${MAX_PAGE_SIZE}`);
    }
  }
  const backward = last != null || (before != null && first == null);
  const size = (backward ? last : first) ?? DEFAULT_PAGE_SIZE;
  const cursorText = backward ? before : after;
  return { take: size + 1, size, backward, ...(cursorText ? { cursor: decodeCursor(cursorText) } : {}) };
}

/**
 * Prisma where/orderBy for a keyset page over (createdAt, id). `newestFirst` is the connection's natural order;
 * paging backwards walks the opposite way from the cursor.
 */
export function keysetQuery(page: PageRequest, newestFirst: boolean) {
  const descending = newestFirst !== page.backward;
  const direction = descending ? 'desc' : 'asc';
  const comparison = descending ? 'lt' : 'gt';
  const where = page.cursor
    ? {
        OR: [
          { createdAt: { [comparison]: page.cursor.createdAt } },
          { createdAt: page.cursor.createdAt, id: { [comparison]: page.cursor.id } },
        ],
      }
    : {};
  return { where, orderBy: [{ createdAt: direction }, { id: direction }] as const, take: page.take };
}

export function connectionFromRows<T extends Keyset>(rows: T[], page: PageRequest, totalCount: number) {
  const hasMore = rows.length > page.size;
  const pageRows = rows.slice(0, page.size);
  if (page.backward) pageRows.reverse();
  const edges = pageRows.map((node) => ({ cursor: encodeCursor(node), node }));
  return {
    edges,
    totalCount,
    pageInfo: {
      hasNextPage: page.backward ? page.cursor !== undefined : hasMore,
      hasPreviousPage: page.backward ? hasMore : page.cursor !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
