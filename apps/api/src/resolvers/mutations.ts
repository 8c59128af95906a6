import type { ApiContext } from '../context.js';
import { requireScope } from '../context.js';
import { generateApiKey } from '@seif/platform';
import { type UserError, userError } from '../errors.js';
import { fromGlobalId } from '../relay.js';
import { subjectPrefix } from '../storage-keys.js';

const MAX_NAME = 200;

function displayNameError(value: string | null | undefined, field: string[]): UserError | undefined {
  const name = value?.trim() ?? '';
  if (name.length === 0) return userError('INVALID_ARGUMENT', 'displayName must not be empty', field);
  if (name.length > MAX_NAME) return userError('INVALID_ARGUMENT', `displayName is longer than ${MAX_NAME} characters`, field);
  return undefined;
}

const notFound = (what: string, field: string[]) => userError('NOT_FOUND', `No ${what} with this id`, field);

export const mutationResolvers = {
  Mutation: {
    createSubject: async (_parent: unknown, { input }: { input: { displayName: string } }, context: ApiContext) => {
      const viewer = requireScope(context, 'WRITE');
      const invalid = displayNameError(input.displayName, ['input', 'displayName']);
      if (invalid) return { subject: null, errors: [invalid] };
      const subject = await context.db.subject.create({ data: { tenantId: viewer.tenantId, displayName: input.displayName.trim() } });
      return { subject, errors: [] };
    },

    updateSubject: async (_parent: unknown, { input }: { input: { id: string; displayName?: string | null } }, context: ApiContext) => {
      const viewer = requireScope(context, 'WRITE');
      const parsed = fromGlobalId(input.id, 'Subject');
      const existing = parsed && (await context.db.subject.findFirst({ where: { id: parsed.id, tenantId: viewer.tenantId } }));
      if (!existing) return { subject: null, errors: [notFound('subject', ['input', 'id'])] };
      if (input.displayName === undefined || input.displayName === null) return { subject: existing, errors: [] };
      const invalid = displayNameError(input.displayName, ['input', 'displayName']);
      if (invalid) return { subject: null, errors: [invalid] };
      const subject = await context.db.subject.update({ where: { id: existing.id }, data: { displayName: input.displayName.trim() } });
      return { subject, errors: [] };
    },

    deleteSubject: async (_parent: unknown, { input }: { input: { id: string } }, context: ApiContext) => {
      const viewer = requireScope(context, 'WRITE');
      const parsed = fromGlobalId(input.id, 'Subject');
      const existing = parsed && (await context.db.subject.findFirst({ where: { id: parsed.id, tenantId: viewer.tenantId } }));
      if (!existing) return { deletedSubjectId: null, errors: [notFound('subject', ['input', 'id'])] };
      // Rows first (cascades to photos, reconstructions, animations, artefacts), then the files: a crash in
      // between leaves unreachable files, never rows that point at missing files.
      await context.db.subject.delete({ where: { id: existing.id } });
      const removed = await context.storage.deletePrefix(subjectPrefix(viewer.tenantId, existing.id));
      context.logger.info({ subjectId: existing.id, removedObjects: removed }, 'subject deleted');
      return { deletedSubjectId: input.id, errors: [] };
    },

    createApiKey: async (_parent: unknown, { input }: { input: { name: string; scopes: ('READ' | 'WRITE' | 'ADMIN')[] } }, context: ApiContext) => {
      const viewer = requireScope(context, 'ADMIN');
      const name = input.name.trim();
      if (!name || name.length > MAX_NAME) {
        return { apiKey: null, secret: null, errors: [userError('INVALID_ARGUMENT', `name must be 1-${MAX_NAME} characters`, ['input', 'name'])] };
      }
      if (input.scopes.length === 0) {
        return { apiKey: null, secret: null, errors: [userError('INVALID_ARGUMENT', 'give at least one scope', ['input', 'scopes'])] };
      }
      const generated = await generateApiKey();
      const apiKey = await context.db.apiKey.create({
        data: { tenantId: viewer.tenantId, name, prefix: generated.prefix, hash: generated.hash, scopes: [...new Set(input.scopes)] },
      });
      return { apiKey, secret: generated.key, errors: [] };
    },

    revokeApiKey: async (_parent: unknown, { input }: { input: { id: string } }, context: ApiContext) => {
      const viewer = requireScope(context, 'ADMIN');
      const parsed = fromGlobalId(input.id, 'ApiKey');
      const existing = parsed && (await context.db.apiKey.findFirst({ where: { id: parsed.id, tenantId: viewer.tenantId } }));
      if (!existing) return { apiKey: null, errors: [notFound('API key', ['input', 'id'])] };
      const apiKey = existing.revokedAt ? existing : await context.db.apiKey.update({ where: { id: existing.id }, data: { revokedAt: new Date() } });
      context.authenticator.forget(apiKey.prefix);
      return { apiKey, errors: [] };
    },
  },
};
