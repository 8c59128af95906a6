/**
 * Object types backed by database rows: global ids, relations, and the small reshaping the schema asks for.
 * Rows are Prisma models; every relation is fetched with the tenant filter, even when the parent already
 * proves ownership, so that a bug elsewhere cannot leak across tenants.
 */
import { SEIF_ERROR_CODES } from '@seif/core';
import type { ApiContext } from '../context.js';
import type { DownloadKind, SignedLink } from '../downloads.js';
import { requireScope } from '../context.js';
import { connectionFromRows, type ConnectionArgs, fromGlobalId, keysetQuery, type NodeType, pageRequest, toGlobalId } from '../relay.js';

type Row = { id: string; createdAt: Date };
type JobRow = Row & { status: string; errorCode: string | null; errorMessage: string | null };

const globalId = (type: NodeType) => (row: { id: string }) => toGlobalId(type, row.id);
const jobError = (row: JobRow) => (row.errorCode ? { code: row.errorCode, message: row.errorMessage ?? row.errorCode } : null);

/**
 * What a job error means for the caller, from the pipeline's code table (libs/seif-core pipeline/errors.ts).
 * Codes outside the table (none today) count as the service's problem and retryable.
 */
export function jobErrorFlags(code: string): { photoProblem: boolean; retryable: boolean } {
  const entry = (SEIF_ERROR_CODES as Readonly<Record<string, { photo: boolean; retryable: boolean }>>)[code];
  return entry ? { photoProblem: entry.photo, retryable: entry.retryable } : { photoProblem: false, retryable: true };
}

// One signature per artifact or photo row and request, so that `url` and `urlExpiresAt` always agree.
const links = new WeakMap<object, SignedLink>();
function signedLink(context: ApiContext, row: { id: string }, kind: DownloadKind = 'artifact'): SignedLink {
  let link = links.get(row);
  if (!link) {
    link = context.downloads.sign(row.id, Date.now(), kind);
    links.set(row, link);
  }
  return link;
}

/** Loads any node of the viewer's tenant by global id, tagged with its GraphQL type. */
export async function loadNode(context: ApiContext, id: string): Promise<(Row & { __typename: NodeType }) | null> {
  const viewer = requireScope(context, 'READ');
  const parsed = fromGlobalId(id);
  if (!parsed) return null;
  const where = { id: parsed.id, tenantId: viewer.tenantId };
  const { db } = context;
  const row: Row | null = await (() => {
    switch (parsed.type) {
      case 'Tenant':
        return parsed.id === viewer.tenantId ? db.tenant.findUnique({ where: { id: parsed.id } }) : null;
      case 'ApiKey':
        return db.apiKey.findFirst({ where });
      case 'Subject':
        return db.subject.findFirst({ where });
      case 'Reconstruction':
        return db.reconstruction.findFirst({ where });
      case 'Animation':
        return db.animation.findFirst({ where });
      case 'Artifact':
        return db.artifact.findFirst({ where });
      case 'Photo':
        return db.photo.findFirst({ where });
    }
  })();
  return row ? { ...row, __typename: parsed.type } : null;
}

export async function reconstructionConnection(context: ApiContext, subjectId: string, args: ConnectionArgs) {
  const viewer = requireScope(context, 'READ');
  const page = pageRequest(args);
  const base = { tenantId: viewer.tenantId, subjectId };
  const query = keysetQuery(page, true);
  const [rows, totalCount] = await Promise.all([
    context.db.reconstruction.findMany({ where: { ...base, ...query.where }, orderBy: [...query.orderBy], take: query.take }),
    context.db.reconstruction.count({ where: base }),
  ]);
  return connectionFromRows(rows, page, totalCount);
}

export const nodeResolvers = {
  Node: {
    __resolveType: (row: { __typename?: string }) => row.__typename ?? null,
  },
  Tenant: { id: globalId('Tenant') },
  ApiKey: { id: globalId('ApiKey') },
  Subject: {
    id: globalId('Subject'),
    reconstructions: (subject: Row, args: ConnectionArgs, context: ApiContext) => reconstructionConnection(context, subject.id, args),
    latestReconstruction: (subject: Row, _args: unknown, context: ApiContext) => {
      const viewer = requireScope(context, 'READ');
      return context.db.reconstruction.findFirst({
        where: { tenantId: viewer.tenantId, subjectId: subject.id },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      });
    },
  },
  Reconstruction: {
    id: globalId('Reconstruction'),
    subject: (row: { subjectId: string; tenantId: string }, _args: unknown, context: ApiContext) =>
      context.db.subject.findFirst({ where: { id: row.subjectId, tenantId: row.tenantId } }),
    error: jobError,
    headModel: (row: { headModelName: string | null; headModelVersion: string | null }) =>
      row.headModelName ? { name: row.headModelName, version: row.headModelVersion ?? '', rotationConvention: 'AXIS_ANGLE' } : null,
    options: (row: { params: unknown }) => row.params ?? {},
    warnings: (row: { warnings: unknown }) => (Array.isArray(row.warnings) ? row.warnings.map(String) : []),
    photo: (row: { photoId: string; tenantId: string }, _args: unknown, context: ApiContext) =>
      context.db.photo.findFirst({ where: { id: row.photoId, tenantId: row.tenantId } }),
    artifacts: (row: { id: string; tenantId: string }, _args: unknown, context: ApiContext) =>
      context.db.artifact.findMany({ where: { reconstructionId: row.id, tenantId: row.tenantId }, orderBy: { kind: 'asc' } }),
    animations: async (row: { id: string; tenantId: string }, args: ConnectionArgs, context: ApiContext) => {
      const page = pageRequest(args);
      const base = { tenantId: row.tenantId, reconstructionId: row.id };
      const query = keysetQuery(page, true);
      const [rows, totalCount] = await Promise.all([
        context.db.animation.findMany({ where: { ...base, ...query.where }, orderBy: [...query.orderBy], take: query.take }),
        context.db.animation.count({ where: base }),
      ]);
      return connectionFromRows(rows, page, totalCount);
    },
  },
  Animation: {
    id: globalId('Animation'),
    reconstruction: (row: { reconstructionId: string; tenantId: string }, _args: unknown, context: ApiContext) =>
      context.db.reconstruction.findFirst({ where: { id: row.reconstructionId, tenantId: row.tenantId } }),
    error: jobError,
    artifacts: (row: { id: string; tenantId: string }, _args: unknown, context: ApiContext) =>
      context.db.artifact.findMany({ where: { animationId: row.id, tenantId: row.tenantId }, orderBy: { kind: 'asc' } }),
  },
  JobError: {
    photoProblem: (error: { code: string }) => jobErrorFlags(error.code).photoProblem,
    retryable: (error: { code: string }) => jobErrorFlags(error.code).retryable,
  },
  Photo: {
    id: globalId('Photo'),
    contentType: (row: { mime: string }) => row.mime,
    url: (row: { id: string }, _args: unknown, context: ApiContext) => signedLink(context, row, 'photo').url,
    urlExpiresAt: (row: { id: string }, _args: unknown, context: ApiContext) => signedLink(context, row, 'photo').expiresAt,
  },
  Artifact: {
    id: globalId('Artifact'),
    url: (row: { id: string }, _args: unknown, context: ApiContext) => signedLink(context, row).url,
    urlExpiresAt: (row: { id: string }, _args: unknown, context: ApiContext) => signedLink(context, row).expiresAt,
  },
};
