/**
 * Browser-test harness: the production build (rebuilt only when missing or older than the sources), `next start`
 * on a free loopback port, and Debian's Chromium through playwright-core with software WebGL (SwiftShader) and
 * no background networking (the machines have no internet), in a fresh profile per run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { type BrowserContext, type Page, chromium } from 'playwright-core';

export const WEB_DIR = path.resolve(import.meta.dirname, '../..');
export const REPO_ROOT = path.resolve(WEB_DIR, '../..');
export const OUTPUT_DIR = path.join(REPO_ROOT, 'test-output/web');
const NEXT_BIN = path.join(REPO_ROOT, 'node_modules/next/dist/bin/next');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox', // root in a container: the setuid sandbox is unavailable
  '--disable-gpu',
  '--use-angle=swiftshader', // WebGL on the CPU, same pixels on every machine
  '--enable-unsafe-swiftshader', // Chromium 13x+ only allows SwiftShader WebGL behind this flag
  '--disable-background-networking', // no internet: no component updates, safe browsing or variations fetches
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage', // small /dev/shm in containers
]);

/** Inputs of the production build: any of them newer than .next/BUILD_ID means the build is stale. */
const BUILD_INPUTS = ['app', 'lib', 'next.config.ts', 'package.json', 'tsconfig.json'];

function newestMtime(entry: string): number {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(entry).reduce((newest, name) => Math.max(newest, newestMtime(path.join(entry, name))), stat.mtimeMs);
}

function runToEnd(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(args[0] ?? command)} ${args.slice(1).join(' ')} exited with ${code}:\n${output.slice(-4000)}`))));
  });
}

/**
 * Builds the web app unless .next holds a build newer than every input (the same `next build` as `npm start`),
 * and prints the JavaScript each route sends (scripts/bundle-size.mjs, also run by `npm run build`).
 */
export async function ensureBuild(): Promise<'reused' | 'built'> {
  const buildId = path.join(WEB_DIR, '.next/BUILD_ID');
  if (existsSync(buildId) && statSync(buildId).mtimeMs >= Math.max(...BUILD_INPUTS.map((p) => newestMtime(path.join(WEB_DIR, p))))) return 'reused';
  await runToEnd(process.execPath, [NEXT_BIN, 'build'], WEB_DIR, { ...process.env, NEXT_TELEMETRY_DISABLED: '1' });
  console.log(`JS per route of the new build:\n${await bundleSizes()}`);
  return 'built';
}

/** The table of scripts/bundle-size.mjs for the build in .next. */
export function bundleSizes(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(WEB_DIR, 'scripts/bundle-size.mjs')], { cwd: WEB_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(output.trimEnd()) : reject(new Error(`bundle-size.mjs exited with ${code}:\n${output}`))));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface WebServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * `next start` on a free port; resolves once /sign-in answers. Without `apiUrl` the API URL points at a closed
 * port on purpose (the viewer tests need no back end).
 */
export async function startWeb(options: { apiUrl?: string } = {}): Promise<WebServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [NEXT_BIN, 'start', '--hostname', '127.0.0.1', '--port', String(port)], {
    cwd: WEB_DIR,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', SEIF_API_URL: options.apiUrl ?? process.env.SEIF_API_URL ?? 'http://127.0.0.1:1/graphql' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${log}`);
    try {
      if ((await fetch(`${url}/sign-in`, { signal: AbortSignal.timeout(10_000) })).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`next start did not answer on ${url} within 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium in a fresh profile (a persistent context is how playwright takes an explicit user-data-dir). */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (npm test installs it as root)`);
  const profile = await mkdtemp(path.join(os.tmpdir(), 'seif-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS],
    viewport: { width: 1280, height: 960 },
    deviceScaleFactor: 1,
    acceptDownloads: true,
    reducedMotion: 'reduce',
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export function outputPath(name: string): string {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return path.join(OUTPUT_DIR, name);
}

const require = createRequire(import.meta.url);

/** Serious and critical axe-core violations on the page as it is now (axe injected from node_modules: no network). */
export async function axeViolations(page: Page): Promise<{ id: string; impact: string; help: string; nodes: string[] }[]> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
}
