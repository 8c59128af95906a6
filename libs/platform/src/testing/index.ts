export { createTestDatabase, freePort, startTestCluster, type TestCluster, type TestDatabase } from './postgres-cluster.js';
