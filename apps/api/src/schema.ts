import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { animationResolvers } from './resolvers/animations.js';
import { headModelResolvers } from './resolvers/head-models.js';
import { healthResolvers } from './resolvers/health.js';
import { mutationResolvers } from './resolvers/mutations.js';
import { nodeResolvers } from './resolvers/nodes.js';
import { queryResolvers } from './resolvers/queries.js';
import { reconstructionResolvers } from './resolvers/reconstructions.js';
import { scalarResolvers } from './resolvers/scalars.js';
import { userErrorResolvers } from './resolvers/user-errors.js';

export const SCHEMA_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../schema.graphql');

export function buildSchema() {
  return makeExecutableSchema({
    typeDefs: readFileSync(SCHEMA_PATH, 'utf8'),
    resolvers: [scalarResolvers, healthResolvers, queryResolvers, nodeResolvers, mutationResolvers, reconstructionResolvers, animationResolvers, headModelResolvers, userErrorResolvers],
    // Every field the schema declares must be resolvable: fail at start-up, not at the first query.
    resolverValidationOptions: { requireResolversForResolveType: 'error' },
  });
}
