import type { UserError } from '../errors.js';

export const userErrorResolvers = {
  UserError: {
    __resolveType: (error: UserError) => error.__typename,
  },
};
