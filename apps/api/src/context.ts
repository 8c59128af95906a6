/** What every resolver receives. Built once per process, shared by HTTP and WebSocket requests. */
import type { Config, Logger } from '@seif/platform';
import type { Database } from '@seif/platform/db';

export interface ApiServices {
  config: Config;
  db: Database;
  logger: Logger;
  startedAt: number;
}

export type ApiContext = ApiServices;
