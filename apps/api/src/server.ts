/**
 * The API's HTTP server: GraphQL over HTTP at /graphql (Apollo Server, CSRF prevention on, multipart uploads),
 * GraphQL over WebSocket on the same path (graphql-ws, for subscriptions), signed downloads at /downloads/:id,
 * and /healthz for load balancers. `startApiServer` is what main.ts and the tests start.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import express from 'express';
import { GraphQLError } from 'graphql';
import { graphqlUploadExpress } from 'graphql-upload-minimal';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { AuthError } from './auth/authenticate.js';
import type { ApiContext, ApiServices } from './context.js';
import type { DownloadKind } from './downloads.js';
import { formatError, requestError } from './errors.js';
import { buildSchema } from './schema.js';

export interface RunningApi {
  url: string;
  baseUrl: string;
  httpServer: Server;
  stop(): Promise<void>;
}

/** Limits that keep one request from monopolising the server; the figures are generous for real clients. */
export const REQUEST_LIMITS = Object.freeze({
  maxDepth: 10,
  maxAliases: 15,
  maxCost: 5_000,
  maxTokens: 2_000,
  maxDirectives: 50,
  /** Photos: 20 MB, one file per request (the GraphQL multipart spec allows more). */
  maxUploadBytes: 20 * 1024 * 1024,
  maxUploadFiles: 1,
});

async function contextFor(services: ApiServices, authorization: string | undefined): Promise<ApiContext> {
  let viewer: ApiContext['viewer'];
  try {
    viewer = await services.authenticator.authenticate(authorization);
  } catch (error) {
    if (error instanceof AuthError) throw requestError('UNAUTHENTICATED', error.message);
    throw error;
  }
  if (viewer) {
    const retryAfter = services.rateLimiter.take(viewer.apiKeyId);
    if (retryAfter > 0) throw requestError('RATE_LIMITED', `Too many requests for this API key; retry in ${retryAfter} s`, { 'retry-after': String(retryAfter) });
  }
  return { ...services, viewer };
}

/**
 * Checks Apollo cannot make on its own, before any resolver runs:
 * - subscriptions are served over graphql-ws only; over HTTP they would fail deep inside execution;
 * - PostgreSQL text cannot hold NUL characters, so any input with one is refused up front instead of failing in
 *   the database after validation (found by `npm run fuzz`).
 */
const requestChecks: ApolloServerPlugin<ApiContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request }) {
        if (operation?.operation === 'subscription') {
          throw requestError('BAD_USER_INPUT', 'Subscriptions are served over WebSocket (graphql-ws protocol) on this URL, not over HTTP');
        }
        const text = `${request.query ?? ''}${JSON.stringify(request.variables ?? {})}`;
        if (text.includes('\u0000') || text.includes('\\u0000')) {
          throw requestError('BAD_USER_INPUT', 'Text inputs must not contain NUL (\\u0000) characters');
        }
      },
    };
  },
};

export async function startApiServer(services: ApiServices, listen: { host: string; port: number }): Promise<RunningApi> {
  const schema = buildSchema();
  const armor = new ApolloArmor({
    maxDepth: { n: REQUEST_LIMITS.maxDepth },
    maxAliases: { n: REQUEST_LIMITS.maxAliases },
    costLimit: { maxCost: REQUEST_LIMITS.maxCost },
    // Not armor's token limit: it re-parses in a plugin hook, where any syntax error becomes an HTTP 500. The
    // parser's own limit (parseOptions below) fails the same documents as a 400 syntax error.
    maxTokens: { enabled: false },
    maxDirectives: { n: REQUEST_LIMITS.maxDirectives },
    blockFieldSuggestion: { enabled: true },
  });
  const protection = armor.protect();

  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);

  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const wsCleanup = useServer(
    {
      schema,
      context: (ctx) => {
        const params = ctx.connectionParams ?? {};
        const authorization = typeof params.authorization === 'string' ? params.authorization : typeof params.Authorization === 'string' ? params.Authorization : undefined;
        return contextFor(services, authorization);
      },
      validate: undefined,
    },
    wsServer,
  );

  const apollo = new ApolloServer<ApiContext>({
    schema,
    introspection: true,
    csrfPrevention: true,
    formatError,
    includeStacktraceInErrorResponses: false,
    plugins: [
      ...protection.plugins,
      ApolloServerPluginDrainHttpServer({ httpServer }),
      requestChecks,
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
    ],
    validationRules: [...protection.validationRules],
    allowBatchedHttpRequests: false,
    parseOptions: { maxTokens: REQUEST_LIMITS.maxTokens },
    logger: {
      debug: (message) => services.logger.debug(message),
      info: (message) => services.logger.info(message),
      warn: (message) => services.logger.warn(message),
      error: (message) => services.logger.error(message),
    },
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  /** Streams a stored file for a link signed by DownloadSigner; the row says where it is and what it is. */
  async function serveDownload(
    kind: DownloadKind,
    id: string,
    req: express.Request,
    res: express.Response,
    find: (id: string) => Promise<{ storageKey: string; contentType: string; bytes: number } | null>,
    disposition: 'attachment' | 'inline',
  ) {
    const verdict = services.downloads.check(id, String(req.query.expires ?? ''), String(req.query.signature ?? ''), Date.now(), kind);
    if (verdict !== 'ok') {
      res.status(verdict === 'expired' ? 410 : 403).json({ error: verdict === 'expired' ? 'link expired; ask the API for a new one' : 'invalid link' });
      return;
    }
    const file = await find(id).catch(() => null);
    if (!file) {
      res.status(404).json({ error: 'not found' });
      return;
    }
    try {
      const body = await services.storage.get(file.storageKey);
      const filename = file.storageKey.split('/').at(-1) ?? id;
      res.writeHead(200, {
        'content-type': file.contentType,
        'content-length': String(file.bytes),
        'content-disposition': `${disposition}; filename="${filename}"`,
        'cache-control': 'private, max-age=300',
      });
      await pipeline(body, res);
    } catch (error) {
      services.logger.error({ err: error, [kind === 'photo' ? 'photoId' : 'artifactId']: id }, 'download failed');
      if (!res.headersSent) res.status(500).json({ error: 'download failed' });
      else res.destroy();
    }
  }

  app.get('/downloads/photos/:photoId', (req, res) =>
    // Inline: the gallery shows the photo in an <img>; the original bytes, exactly as uploaded.
    serveDownload('photo', req.params.photoId, req, res, async (id) => {
      const photo = await services.db.photo.findUnique({ where: { id } });
      return photo && { storageKey: photo.storageKey, contentType: photo.mime, bytes: photo.bytes };
    }, 'inline'),
  );

  app.get('/downloads/:artifactId', (req, res) =>
    serveDownload('artifact', req.params.artifactId, req, res, (id) => services.db.artifact.findUnique({ where: { id } }), 'attachment'),
  );

  app.use(
    '/graphql',
    // One byte over the limit: busboy silently truncates a file at maxFileSize, so readPhoto must see more
    // than the limit to know the photo was too large (a truncated JPEG can still decode).
    graphqlUploadExpress({ maxFileSize: REQUEST_LIMITS.maxUploadBytes + 1, maxFiles: REQUEST_LIMITS.maxUploadFiles }),
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, { context: async ({ req }) => contextFor(services, req.headers.authorization) }),
  );

  // Body-parser and upload errors (e.g. a JSON body over the limit) as GraphQL-shaped responses, no stack traces.
  app.use((error: Error & { status?: number; expose?: boolean }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    const message = status < 500 && error.expose !== false ? error.message : 'Internal server error';
    if (status >= 500) services.logger.error({ err: error }, 'request failed');
    res.status(status).json({ errors: [new GraphQLError(message, { extensions: { code: status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR' } })] });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(listen.port, listen.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const baseUrl = `http://${listen.host}:${port}`;
  return {
    url: `${baseUrl}/graphql`,
    baseUrl,
    httpServer,
    stop: async () => {
      await apollo.stop();
    },
  };
}
