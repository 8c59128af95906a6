export { createTestDatabase, freePort, startTestCluster, type TestCluster, type TestDatabase } from './postgres-cluster.js';

// What global-setup.ts provides to test files: `inject('postgresAdminUrl')`.
declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
  }
}
