/**
 * The demo viewer in Debian's Chromium (SwiftShader WebGL) against `next start`: the GLB route, the model
 * loading, the jawOpen slider and a preset changing the canvas pixels, wireframe, the screenshot download,
 * no layout shift, axe-core on / and /demo, and the hair / FLAME-only toggles on a GLB with `hair` and other
 * non-FLAME nodes (served in place of the demo head). Screenshots of every state go to test-output/web/.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import * as THREE from 'three';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGlb } from '@seif/flame/export/glb';
import type { ExportExtraMesh, ExportMaterial } from '@seif/flame/export/types';
import { type Browser, type WebServer, axeViolations as axeViolationsOn, ensureBuild, launchBrowser, outputPath, startWeb } from './harness';
import { FACE_REGION, WHOLE, contrast, meanAbsoluteDifference } from './pixels';

/**
 * Mean absolute RGB difference (0..255) over FACE_REGION that counts as "the face changed". Moving the
 * jaw fully open measures ~10-20 here, a smile ~3-6, SwiftShader's run-to-run noise on the same state 0
 * (deterministic); 1.5 sits well above noise and well below a real expression change.
 */
const CHANGED = 1.5;

let server: WebServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function canvasShot(name: string): Promise<Buffer> {
  // Two animation frames: the viewer renders on demand in its requestAnimationFrame loop.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  const png = await page.locator('[data-testid="head-canvas"]').screenshot({ animations: 'disabled' });
  await writeFile(outputPath(`${name}.png`), png);
  return png;
}

const axeViolations = () => axeViolationsOn(page);

beforeAll(async () => {
  await ensureBuild();
  server = await startWeb();
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // Cumulative layout shift of the page, recorded from the first paint.
  await page.addInitScript(() => {
    const w = window as unknown as { __cls: number };
    w.__cls = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) if (!entry.hadRecentInput) w.__cls += entry.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('demo head route', () => {
  it('serves the default head as GLB with 52 ARKit morph targets and the FLAME joints', async () => {
    const response = await fetch(`${server.url}/api/demo-head`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('model/gltf-binary');
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('glTF');
    const jsonLength = new DataView(bytes.buffer).getUint32(12, true);
    const gltf = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + jsonLength))) as {
      meshes: { extras?: { targetNames?: string[] } }[];
      nodes: { name?: string }[];
      asset: { extras?: { headModel?: string; jointDrives?: Record<string, unknown> } };
    };
    const names = gltf.meshes.flatMap((m) => m.extras?.targetNames ?? []);
    expect(names).toHaveLength(52);
    expect(names).toEqual(expect.arrayContaining(['jawOpen', 'eyeBlinkLeft', 'mouthSmileRight', 'browInnerUp', 'noseSneerLeft', 'cheekPuff']));
    expect(gltf.nodes.map((n) => n.name)).toEqual(expect.arrayContaining(['global', 'neck', 'jaw', 'eye_l', 'eye_r']));
    expect(gltf.asset.extras?.headModel).toBe('flame2023-open-arkit');
    expect(gltf.asset.extras?.jointDrives).toHaveProperty('jawOpen');
    const etag = response.headers.get('etag');
    expect((await fetch(`${server.url}/api/demo-head`, { headers: { 'if-none-match': etag ?? '' } })).status).toBe(304);
  });
});

describe('viewer on /demo', () => {
  let neutral: Buffer;

  it('loads the model centred and lit, without layout shift', async () => {
    await page.goto(`${server.url}/demo`);
    await page.locator('[data-loaded="true"]').waitFor({ timeout: 90_000 });
    await page.screenshot({ path: outputPath('demo-page.png'), fullPage: true });
    neutral = await canvasShot('viewer-neutral');
    // A blank or black canvas has no contrast in the face region; the lit head has plenty.
    expect(await contrast(neutral)).toBeGreaterThan(10);
    const cls = await page.evaluate(() => (window as unknown as { __cls: number }).__cls);
    expect(cls).toBeLessThan(0.02);
    await expect(page.locator('input[data-morph]').count()).resolves.toBe(52);
    // The demo head is FLAME only (one `head` node): no hair or FLAME-only toggle.
    await expect(page.getByTestId('toggle-hair').count()).resolves.toBe(0);
    await expect(page.getByTestId('toggle-flame-only').count()).resolves.toBe(0);
    // No reconstruction behind the demo: nothing to save through the API.
    await expect(page.getByTestId('save-animation').count()).resolves.toBe(0);
  });

  it('opens the jaw with the keyboard on the jawOpen slider and the face pixels change', async () => {
    const slider = page.locator('input[data-morph="jawOpen"]');
    await expect(slider.getAttribute('id')).resolves.toBeTruthy();
    const label = await page.locator(`label[for="${await slider.getAttribute('id')}"]`).innerText();
    expect(label).toMatch(/Open/);
    await slider.focus();
    await page.keyboard.press('End');
    await expect(slider.inputValue()).resolves.toBe('1');
    const open = await canvasShot('viewer-jaw-open');
    const difference = await meanAbsoluteDifference(neutral, open, FACE_REGION);
    console.log(`jawOpen 0 -> 1: mean absolute difference over the face region ${difference.toFixed(2)} (threshold ${CHANGED})`);
    expect(difference).toBeGreaterThan(CHANGED);
    await page.keyboard.press('Home');
    const closed = await canvasShot('viewer-jaw-closed-again');
    expect(await meanAbsoluteDifference(neutral, closed)).toBeLessThan(0.5);
  });

  it('applies presets and plays the clip', async () => {
    for (const id of ['smile', 'surprise', 'winkLeft', 'lookLeft']) {
      await page.locator(`[data-preset="${id}"]`).click();
      await expect(page.locator(`[data-preset="${id}"]`).getAttribute('aria-pressed')).resolves.toBe('true');
      const shot = await canvasShot(`viewer-preset-${id}`);
      const difference = await meanAbsoluteDifference(neutral, shot);
      console.log(`preset ${id}: mean absolute difference ${difference.toFixed(2)}`);
      expect(difference).toBeGreaterThan(id === 'lookLeft' || id === 'winkLeft' ? 0.3 : CHANGED);
    }
    await page.getByRole('button', { name: 'Reset' }).click();
    await page.getByRole('button', { name: 'Play clip' }).click();
    await page.waitForTimeout(1200);
    await canvasShot('viewer-clip');
    await page.getByRole('button', { name: 'Stop clip' }).click();
  });

  it('poses the neck through the skeleton', async () => {
    const neck = page.getByLabel('Neck turn');
    await neck.focus();
    for (let i = 0; i < 25; i++) await page.keyboard.press('ArrowRight');
    const turned = await canvasShot('viewer-neck-turned');
    expect(await meanAbsoluteDifference(neutral, turned)).toBeGreaterThan(CHANGED);
    await page.getByRole('button', { name: 'Reset' }).click();
    expect(await meanAbsoluteDifference(neutral, await canvasShot('viewer-reset'))).toBeLessThan(0.5);
  });

  it('orbits with the keyboard on the canvas, Home restores the view', async () => {
    await page.locator('[data-testid="head-canvas"]').focus();
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    const orbited = await canvasShot('viewer-orbited');
    expect(await meanAbsoluteDifference(neutral, orbited)).toBeGreaterThan(CHANGED);
    await page.keyboard.press('Home');
    expect(await meanAbsoluteDifference(neutral, await canvasShot('viewer-home'))).toBeLessThan(0.5);
  });

  it('toggles wireframe', async () => {
    await page.getByLabel('Wireframe').check();
    const wire = await canvasShot('viewer-wireframe');
    expect(await meanAbsoluteDifference(neutral, wire)).toBeGreaterThan(CHANGED);
    await page.getByLabel('Wireframe').uncheck();
  });

  it('downloads a PNG screenshot', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Screenshot' }).click()]);
    expect(download.suggestedFilename()).toBe('seif-demo-head.png');
    const file = outputPath('viewer-download.png');
    await download.saveAs(file);
    const png = await readFile(file);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(await contrast(png)).toBeGreaterThan(10);
    expect(pageErrors).toEqual([]);
  });
});

describe('accessibility (axe-core)', () => {
  it('/demo, with the model loaded and every slider present, has no serious or critical violations', async () => {
    // The page the viewer tests left behind: loaded, 52 morph sliders, 7 pose sliders. Reusing it saves a
    // reload (about 10 s of SwiftShader shader compilation).
    await expect(page.locator('[data-loaded="true"]').count()).resolves.toBe(1);
    expect(await axeViolations()).toEqual([]);
  });

  it('/demo fits a phone: no horizontal scrolling, the stage stays square', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    await page.screenshot({ path: outputPath('demo-page-phone.png'), fullPage: true });
    const layout = await page.evaluate(() => {
      const canvas = document.querySelector('[data-testid="head-canvas"]')!.getBoundingClientRect();
      return { scrollWidth: document.documentElement.scrollWidth, canvasWidth: canvas.width, canvasHeight: canvas.height };
    });
    expect(layout.scrollWidth).toBeLessThanOrEqual(390);
    expect(Math.abs(layout.canvasWidth - layout.canvasHeight)).toBeLessThan(2);
    await page.setViewportSize({ width: 1280, height: 960 });
  });

  it('/ (signed out: the sign-in page) has no serious or critical violations', async () => {
    await page.goto(server.url);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await axeViolations()).toEqual([]);
  });
});

/** A stand-in for a SeIF-mode GLB: a `head` sphere, a dark `hair` cap over it and `shoulders` below (metres). */
async function headWithHair(): Promise<Uint8Array> {
  const part = (name: string, geometry: THREE.BufferGeometry, material: ExportMaterial): ExportExtraMesh => ({
    name,
    positions: Float32Array.from(geometry.getAttribute('position').array),
    indices: Uint32Array.from(geometry.getIndex()!.array),
    material,
  });
  const head = part('head', new THREE.SphereGeometry(0.09, 48, 32), { name: 'skin', baseColor: [0.58, 0.36, 0.27, 1] });
  // Upper part of a slightly larger sphere, shifted back: hair covering the crown and the back of the head.
  const hair = part('hair', new THREE.SphereGeometry(0.097, 48, 24, 0, Math.PI * 2, 0, Math.PI * 0.45).translate(0, 0.012, -0.01), { name: 'hair', baseColor: [0.05, 0.03, 0.02, 1], doubleSided: true });
  const shoulders = part('shoulders', new THREE.BoxGeometry(0.34, 0.08, 0.14).translate(0, -0.14, -0.01), { name: 'cloth', baseColor: [0.15, 0.25, 0.45, 1] });
  return encodeGlb({ name: 'head', positions: head.positions, indices: head.indices, material: head.material, extras: [hair, shoulders] });
}

describe('hair and FLAME-only toggles', () => {
  let full: Buffer;

  it('offers both toggles for a GLB with hair and other geometry beyond FLAME', async () => {
    const glb = Buffer.from(await headWithHair());
    await page.route('**/api/demo-head', (route) => route.fulfill({ status: 200, contentType: 'model/gltf-binary', body: glb }));
    await page.goto(`${server.url}/demo`);
    await page.locator('[data-loaded="true"]').waitFor({ timeout: 90_000 });
    await expect(page.getByTestId('toggle-hair').isChecked()).resolves.toBe(true);
    await expect(page.getByTestId('toggle-flame-only').isChecked()).resolves.toBe(false);
    full = await canvasShot('viewer-parts-full');
    await page.screenshot({ path: outputPath('demo-page-parts.png'), fullPage: true });
    expect(await axeViolations()).toEqual([]);
  });

  it('hides the hair, then everything but FLAME, and brings them back', async () => {
    await page.getByLabel('Hair', { exact: true }).uncheck();
    const noHair = await canvasShot('viewer-parts-no-hair');
    const hairDifference = await meanAbsoluteDifference(full, noHair, WHOLE);
    console.log(`hair hidden: mean absolute difference ${hairDifference.toFixed(2)}`);
    expect(hairDifference).toBeGreaterThan(CHANGED);
    await page.getByLabel('Hair', { exact: true }).check();

    await page.getByLabel('FLAME only', { exact: true }).check();
    await expect(page.getByTestId('toggle-hair').isDisabled()).resolves.toBe(true);
    const flameOnly = await canvasShot('viewer-parts-flame-only');
    // Hair and shoulders both gone: more changes than the hair alone.
    const flameDifference = await meanAbsoluteDifference(full, flameOnly, WHOLE);
    console.log(`FLAME only: mean absolute difference ${flameDifference.toFixed(2)}`);
    expect(flameDifference).toBeGreaterThan(hairDifference);
    await page.getByLabel('FLAME only', { exact: true }).uncheck();
    expect(await meanAbsoluteDifference(full, await canvasShot('viewer-parts-restored'), WHOLE)).toBeLessThan(0.5);
    await page.unroute('**/api/demo-head');
    expect(pageErrors).toEqual([]);
  });
});
