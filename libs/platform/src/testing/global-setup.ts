/**
 * vitest globalSetup for projects whose tests need PostgreSQL: starts the throwaway cluster once and hands
 * its admin URL to the test files (`inject('postgresAdminUrl')`).
 */
import type { TestProject } from 'vitest/node';
import { startTestCluster } from './index.js';

export default async function setup(project: TestProject) {
  const cluster = await startTestCluster();
  project.provide('postgresAdminUrl', cluster.adminUrl);
  return () => cluster.stop();
}
