import type { ApiContext } from '../context.js';
import { requireScope } from '../context.js';
import { requestError } from '../errors.js';
import { connectionFromRows, type ConnectionArgs, fromGlobalId, keysetQuery, pageRequest } from '../relay.js';
import { loadNode } from './nodes.js';

interface SubjectsArgs extends ConnectionArgs {
  filter?: { nameContains?: string | null } | null;
  orderBy?: 'NEWEST_FIRST' | 'OLDEST_FIRST' | null;
}

export const queryResolvers = {
  Query: {
    viewer: async (_parent: unknown, _args: unknown, context: ApiContext) => {
      const viewer = requireScope(context, 'READ');
      const [tenant, apiKey] = await Promise.all([
        context.db.tenant.findUniqueOrThrow({ where: { id: viewer.tenantId } }),
        context.db.apiKey.findUniqueOrThrow({ where: { id: viewer.apiKeyId } }),
      ]);
      return { tenant, apiKey };
    },
    node: (_parent: unknown, { id }: { id: string }, context: ApiContext) => loadNode(context, id),
    subjects: async (_parent: unknown, args: SubjectsArgs, context: ApiContext) => {
      const viewer = requireScope(context, 'READ');
      const page = pageRequest(args);
      const nameContains = args.filter?.nameContains?.trim();
      if (nameContains && nameContains.length > 200) throw requestError('BAD_USER_INPUT', 'filter.nameContains is longer than 200 characters');
      const base = {
        tenantId: viewer.tenantId,
        ...(nameContains ? { displayName: { contains: nameContains, mode: 'insensitive' as const } } : {}),
      };
      const query = keysetQuery(page, args.orderBy !== 'OLDEST_FIRST');
      const [rows, totalCount] = await Promise.all([
        context.db.subject.findMany({ where: { ...base, ...query.where }, orderBy: [...query.orderBy], take: query.take }),
        context.db.subject.count({ where: base }),
      ]);
      return connectionFromRows(rows, page, totalCount);
    },
    subject: (_parent: unknown, { id }: { id: string }, context: ApiContext) => findOwned(context, 'Subject', id),
    reconstruction: (_parent: unknown, { id }: { id: string }, context: ApiContext) => findOwned(context, 'Reconstruction', id),
    animation: (_parent: unknown, { id }: { id: string }, context: ApiContext) => findOwned(context, 'Animation', id),
  },
};

/** A row of the viewer's tenant by global id of the given type; null for other tenants' ids (no oracle). */
async function findOwned(context: ApiContext, type: 'Subject' | 'Reconstruction' | 'Animation', id: string) {
  const viewer = requireScope(context, 'READ');
  const parsed = fromGlobalId(id, type);
  if (!parsed) return null;
  const where = { id: parsed.id, tenantId: viewer.tenantId };
  switch (type) {
    case 'Subject':
      return context.db.subject.findFirst({ where });
    case 'Reconstruction':
      return context.db.reconstruction.findFirst({ where });
    case 'Animation':
      return context.db.animation.findFirst({ where });
  }
}
