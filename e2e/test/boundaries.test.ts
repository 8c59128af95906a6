/**
 * Monorepo rules, checked on Nx's own project graph (the graph `nx affected` uses):
 * no app depends on another app, and libraries never depend on apps.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createProjectGraphAsync } from 'nx/src/devkit-exports.js';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@seif/platform';

process.env.NX_DAEMON = 'false';

describe('project graph', () => {
  it('has every project the architecture names; no app or library depends on an app', async () => {
    const graph = await createProjectGraphAsync({ exitOnError: true });
    const projects = Object.values(graph.nodes);
    const roots = projects.map((node) => node.data.root).sort();
    expect(roots).toEqual(expect.arrayContaining(['apps/api', 'apps/gpu-worker', 'apps/web', 'libs/flame', 'libs/platform', 'libs/seif-core', 'models', 'prisma']));

    const isApp = (name: string) => graph.nodes[name]?.data.tags?.includes('type:app') ?? false;
    const apps = projects.filter((node) => isApp(node.name)).map((node) => node.name).sort();
    expect(apps).toEqual(['@seif/api', '@seif/gpu-worker', '@seif/web']);

    // Apps never depend on apps, libraries never on apps. Cross-package tests and tools (e2e, tools/*) may
    // start apps: that is what they are for.
    const isLibrary = (name: string) => /^(libs\/|models$|prisma$)/.test(graph.nodes[name]?.data.root ?? '');
    const violations: string[] = [];
    for (const [source, dependencies] of Object.entries(graph.dependencies)) {
      if (!isApp(source) && !isLibrary(source)) continue;
      for (const { target } of dependencies) {
        if (isApp(target) && source !== target) violations.push(`${source} -> ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('every project has build and test targets', async () => {
    const graph = await createProjectGraphAsync({ exitOnError: true });
    for (const node of Object.values(graph.nodes)) {
      const scripts = (JSON.parse(readFileSync(path.join(REPO_ROOT, node.data.root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
      expect(Object.keys(scripts), node.name).toEqual(expect.arrayContaining(['build', 'test']));
    }
  });
});
