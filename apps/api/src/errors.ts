/**
 * Two kinds of failure reach clients:
 * - user errors (bad input, not found, forbidden on a specific object): returned in the mutation payload's
 *   `errors` as typed objects (schema `UserError`), so that clients switch on `__typename` or `code`;
 * - request errors (not authenticated, missing scope, malformed request): top-level GraphQL errors with a
 *   public `extensions.code`. Anything else is masked as INTERNAL_SERVER_ERROR; details go to the log only.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

export const USER_ERROR_TYPES = {
  INVALID_IMAGE: 'InvalidImage',
  IMAGE_TOO_LARGE: 'ImageTooLarge',
  NO_FACE_FOUND: 'NoFaceFound',
  MULTIPLE_FACES: 'MultipleFaces',
  NOT_FOUND: 'NotFound',
  FORBIDDEN: 'Forbidden',
  QUOTA_EXCEEDED: 'QuotaExceeded',
  INVALID_ARGUMENT: 'InvalidArgument',
} as const;
export type UserErrorCode = keyof typeof USER_ERROR_TYPES;

export interface UserError {
  __typename: (typeof USER_ERROR_TYPES)[UserErrorCode];
  code: UserErrorCode;
  message: string;
  field?: string[];
  [extra: string]: unknown;
}

export function userError(code: UserErrorCode, message: string, field?: string[], extra: Record<string, unknown> = {}): UserError {
  return { __typename: USER_ERROR_TYPES[code], code, message, ...(field ? { field } : {}), ...extra };
}

/** Public codes of top-level errors (Apollo's built-ins plus ours). */
export const REQUEST_ERROR_CODES = ['UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'NOT_FOUND', 'RATE_LIMITED'] as const;
export type RequestErrorCode = (typeof REQUEST_ERROR_CODES)[number];

const HTTP_STATUS: Record<RequestErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  RATE_LIMITED: 429,
};

export function requestError(code: RequestErrorCode, message: string, headers?: Record<string, string>): GraphQLError {
  const http = { status: HTTP_STATUS[code], ...(headers ? { headers: new Map(Object.entries(headers)) } : {}) };
  return new GraphQLError(message, { extensions: { code, http } });
}

const PUBLIC_CODES = new Set<string>([
  ...REQUEST_ERROR_CODES,
  // Apollo's own, raised before resolvers run.
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** Apollo formatError: keep public errors, mask the rest; never throws, never leaks a stack trace. */
export function formatError(formatted: GraphQLFormattedError, _error: unknown): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } };
  }
  // graphql-armor and input coercion errors come through with their own codes or none; coercion of variables
  // is a client error (e.g. "Variable "$first" got invalid value").
  if (formatted.message.startsWith('Variable "$') || formatted.message.startsWith('Syntax Error')) {
    return { message: formatted.message, locations: formatted.locations, extensions: { code: 'BAD_USER_INPUT' } };
  }
  return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
