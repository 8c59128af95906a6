/**
 * The API's HTTP server: GraphQL over HTTP at /graphql (Apollo Server, CSRF prevention on), GraphQL over
 * WebSocket on the same path (graphql-ws, for subscriptions), and /healthz for load balancers.
 * `createApiServer` is what main.ts and the tests start; it owns nothing it did not create.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { ApiContext, ApiServices } from './context.js';
import { buildSchema } from './schema.js';

export interface RunningApi {
  url: string;
  httpServer: Server;
  stop(): Promise<void>;
}

export async function startApiServer(services: ApiServices, listen: { host: string; port: number }): Promise<RunningApi> {
  const schema = buildSchema();
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);

  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const wsCleanup = useServer({ schema, context: (): ApiContext => ({ ...services }) }, wsServer);

  const apollo = new ApolloServer<ApiContext>({
    schema,
    introspection: true,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
    ],
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
  app.use('/graphql', express.json({ limit: '1mb' }), expressMiddleware(apollo, { context: async () => ({ ...services }) }));

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(listen.port, listen.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${listen.host}:${port}/graphql`;
  return {
    url,
    httpServer,
    stop: async () => {
      await apollo.stop();
    },
  };
}
