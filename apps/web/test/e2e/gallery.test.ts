/**
 * The gallery end to end in Debian's Chromium against a REAL API, worker and PostgreSQL (./backend.ts): sign in
 * with a pasted key, upload a portrait with the upload's own progress bar (bytes sent, on a throttled link),
 * follow the job's live progress (reloading mid-job), open the 3D view beside the original photo, open the jaw
 * and see the pixels change, download the GLB, save an animation and download its GLB, upload a photo without a
 * face and read the advice (another upload, no Retry), search, page, delete, sign out; axe-core on every new
 * page. Screenshots go to test-output/web/gallery-*.png.
 */
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetPath } from '@seif/models';
import { type Backend, startBackend } from './backend';
import { type Browser, type WebServer, axeViolations, ensureBuild, launchBrowser, outputPath, startWeb } from './harness';
import { FACE_REGION, WHOLE, contrast, meanAbsoluteDifference } from './pixels';

/** Same threshold as viewer.test.ts: well above SwiftShader's zero noise, well below a full jaw opening. */
const CHANGED = 1.5;

let backend: Backend;
let server: WebServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
let subjectUrl = '';

async function shot(name: string) {
  await page.screenshot({ path: outputPath(`gallery-${name}.png`), fullPage: true });
}

async function canvasShot(): Promise<Buffer> {
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  return page.locator('[data-testid="head-canvas"]').screenshot({ animations: 'disabled' });
}

async function upload(asset: string, subjectName: string): Promise<string> {
  await page.goto(`${server.url}/upload`);
  await page.getByLabel('Name of the new subject').fill(subjectName);
  await page.locator('input[type="file"]').setInputFiles(await assetPath(asset));
  await expect(page.getByRole('button', { name: 'Upload and reconstruct' }).isEnabled()).resolves.toBe(true);
  await page.getByRole('button', { name: 'Upload and reconstruct' }).click();
  await page.waitForURL(/\/reconstructions\//, { timeout: 30_000 });
  return page.url();
}

beforeAll(async () => {
  const t0 = Date.now();
  const [, started] = await Promise.all([ensureBuild(), startBackend()]);
  backend = started;
  server = await startWeb({ apiUrl: backend.apiUrl });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // Fail a step in 20 s rather than playwright's 30 s default; long waits below set their own timeout.
  page.setDefaultTimeout(20_000);
  console.log(`back end, build and browser ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await backend?.stop();
});

describe('sign-in', () => {
  it('sends a signed-out visitor to sign in, refuses a bad key, accepts a good one into an httpOnly cookie', async () => {
    await page.goto(`${server.url}/`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await page.getByLabel('API key').fill('seif_notakey');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/error=malformed/);
    await expect(page.locator('#sign-in-error').innerText()).resolves.toMatch(/does not look like a SeIF API key/);
    await page.getByLabel('API key').fill(`seif_aaaaaaaaaaaa_${'A'.repeat(43)}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/error=rejected/);
    await expect(page.locator('#sign-in-error').innerText()).resolves.toMatch(/did not accept this key/);
    await shot('sign-in-error');
    expect(await axeViolations(page)).toEqual([]);

    await page.getByLabel('API key').fill(backend.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/`);
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'seif_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', value: backend.key });
    expect(await page.evaluate(() => document.cookie)).not.toContain('seif_');
  });

  it('shows the empty gallery inviting an upload', async () => {
    await expect(page.getByRole('heading', { name: /One photo in/ }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('link', { name: 'Upload a portrait' }).isVisible()).resolves.toBe(true);
    await expect(page.getByTestId('backend-status').innerText()).resolves.toMatch(/Back end ready/);
    await shot('empty');
    expect(await axeViolations(page)).toEqual([]);
  });
});

describe('upload with live progress', () => {

  it('refuses a file that is not a photo before sending it', async () => {
    await page.goto(`${server.url}/upload`);
    await page.locator('input[type="file"]').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await expect(page.locator('.callout-error').innerText()).resolves.toMatch(/not a JPEG, PNG/);
    await expect(page.getByRole('button', { name: 'Upload and reconstruct' }).isDisabled()).resolves.toBe(true);
  });

  it('uploads a portrait with a progress bar of the bytes sent, then follows the job to done, resuming after a reload', async () => {
    const started = Date.now();
    await page.goto(`${server.url}/upload`);
    await page.getByLabel('Name of the new subject').fill('City portrait');
    await page.locator('input[type="file"]').setInputFiles(await assetPath('photo-city-portrait'));
    await page.locator('.dropzone img').waitFor();
    await shot('upload-chosen');
    expect(await axeViolations(page)).toEqual([]);
    // Every value the upload bar shows, kept in sessionStorage: the page navigates away once the upload is done.
    await page.evaluate(() => {
      sessionStorage.setItem('upload-progress', '[]');
      new MutationObserver(() => {
        const bar = document.querySelector('[data-testid="upload-progress"] [role="progressbar"]');
        const seen = JSON.parse(sessionStorage.getItem('upload-progress') ?? '[]') as number[];
        const value = Number(bar?.getAttribute('aria-valuenow'));
        if (bar && seen.at(-1) !== value) sessionStorage.setItem('upload-progress', JSON.stringify([...seen, value]));
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
    });
    // A slow uplink (~64 kB/s for the 177 kB photo), so the bar has something to show between 0 and 100 %.
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 64 * 1024 });
    await page.getByRole('button', { name: 'Upload and reconstruct' }).click();
    await page.locator('[data-testid="upload-progress"][data-phase="sending"]').waitFor({ timeout: 10_000 });
    await shot('upload-sending');
    await page.waitForURL(/\/reconstructions\//, { timeout: 60_000 });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
    const seen = JSON.parse((await page.evaluate(() => sessionStorage.getItem('upload-progress'))) ?? '[]') as number[];
    console.log(`upload progress values shown: ${seen.join(', ')}`);
    expect(seen.at(-1)).toBe(100);
    expect(seen.some((value) => value > 0 && value < 100)).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));

    // Mid-job reload: the id is in the URL and the SSE stream replays the current state first.
    await page.reload();
    await page.locator('[data-testid="progress"]').waitFor();
    await page.locator('[data-testid="progress"][data-status="RUNNING"], [data-testid="progress"][data-status="SUCCEEDED"]').waitFor({ timeout: 60_000 });
    await shot('upload-progress');
    expect(await axeViolations(page)).toEqual([]);
    await page.locator('[data-testid="progress"][data-status="SUCCEEDED"]').waitFor({ timeout: 180_000 });
    await expect(page.getByTestId('progress-percent').innerText()).resolves.toBe('100 %');
    await expect(page.getByRole('progressbar').getAttribute('aria-valuenow')).resolves.toBe('100');
    console.log(`upload to SUCCEEDED in the browser: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await shot('upload-done');
  });

  it('opens the 3D view beside the original photo; the jawOpen slider changes the canvas; the GLB downloads', async () => {
    await page.getByRole('link', { name: 'Open the 3D view' }).click();
    await page.waitForURL(/\/subjects\//);
    subjectUrl = page.url();
    await page.locator('[data-loaded="true"]').waitFor({ timeout: 90_000 });
    await shot('subject');
    // The uploaded photo itself (the API's signed photo URL through the same-origin proxy), not a rendering.
    const photo = page.locator('[data-testid="subject-photo"] img');
    const natural = await photo.evaluate(async (img: HTMLImageElement) => {
      await img.decode();
      return { width: img.naturalWidth, height: img.naturalHeight };
    });
    const sharp = (await import('sharp')).default;
    const original = await sharp(await assetPath('photo-city-portrait')).metadata();
    expect(natural).toEqual({ width: original.width, height: original.height });
    await expect(page.locator('[data-testid="subject-photo"] figcaption').innerText()).resolves.toMatch(new RegExp(`${original.width} × ${original.height} px`));
    // The default mode is SeIF: the head comes with its reconstructed hair, which the viewer can hide.
    await expect(page.getByTestId('toggle-hair').count()).resolves.toBe(1);
    const withHair = await canvasShot();
    await page.getByLabel('Hair', { exact: true }).uncheck();
    const hairless = await canvasShot();
    await shot('subject-hair-hidden');
    const hairDifference = await meanAbsoluteDifference(withHair, hairless, WHOLE);
    console.log(`reconstructed head, hair hidden: mean absolute difference ${hairDifference.toFixed(2)} (threshold ${CHANGED})`);
    expect(hairDifference).toBeGreaterThan(CHANGED);
    await page.getByLabel('Hair', { exact: true }).check();
    const neutral = await canvasShot();
    expect(await contrast(neutral)).toBeGreaterThan(10);
    const slider = page.locator('input[data-morph="jawOpen"]');
    await slider.focus();
    await page.keyboard.press('End');
    const open = await canvasShot();
    const difference = await meanAbsoluteDifference(neutral, open, FACE_REGION);
    console.log(`reconstructed head, jawOpen 0 -> 1: mean absolute difference ${difference.toFixed(2)} (threshold ${CHANGED})`);
    expect(difference).toBeGreaterThan(CHANGED);
    await shot('subject-jaw-open');
    await page.keyboard.press('Home');

    await expect(page.getByTestId('licence').innerText()).resolves.toMatch(/licence/i);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-artifact="GLB"]').click()]);
    expect(download.suggestedFilename()).toBe('city-portrait-glb.glb');
    const file = path.join(os.tmpdir(), `seif-web-e2e-${process.pid}.glb`);
    await download.saveAs(file);
    expect((await readFile(file)).subarray(0, 4).toString()).toBe('glTF');
    await rm(file, { force: true });
    expect(await axeViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    await shot('subject-phone');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 960 });
  });

  it('saves the current expression as an animation and downloads its GLB', async () => {
    await page.locator('[data-preset="smile"]').click();
    const save = page.getByTestId('save-animation');
    await save.getByRole('button', { name: 'Save animation' }).click();
    const link = page.getByTestId('animation-download');
    await link.waitFor({ timeout: 90_000 });
    await expect(save.innerText()).resolves.toMatch(/Saved the Smile preset/);
    await shot('subject-animation-saved');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('city-portrait-animation.glb');
    const file = path.join(os.tmpdir(), `seif-web-e2e-animation-${process.pid}.glb`);
    await download.saveAs(file);
    const glb = await readFile(file);
    await rm(file, { force: true });
    expect(glb.subarray(0, 4).toString()).toBe('glTF');
    // The posed head keeps every morph target and joint (createAnimation's contract).
    const json = JSON.parse(glb.subarray(20, 20 + glb.readUInt32LE(12)).toString('utf8')) as { meshes: { extras?: { targetNames?: string[] } }[]; nodes: { name?: string }[] };
    expect(json.meshes.flatMap((m) => m.extras?.targetNames ?? [])).toContain('mouthSmileLeft');
    expect(json.nodes.map((n) => n.name)).toEqual(expect.arrayContaining(['head', 'jaw', 'neck']));
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Reset' }).click();
  });

  it('explains a photo without a face and what to do next', async () => {
    await upload('photo-zebra-stripes', 'Zebra');
    const failed = page.locator('[data-testid="progress"][data-status="FAILED"]');
    await failed.waitFor({ timeout: 120_000 });
    await expect(page.locator('[data-error-code]').getAttribute('data-error-code')).resolves.toBe('NO_FACE');
    await expect(page.locator('[data-error-code]').innerText()).resolves.toMatch(/No face found in this photo[\s\S]*one face is clearly visible/);
    await expect(page.getByRole('link', { name: 'Upload another photo' }).isVisible()).resolves.toBe(true);
    // The same photo would fail the same way: no Retry (the API marks NO_FACE as the photo's problem).
    await expect(page.getByRole('button', { name: 'Retry' }).count()).resolves.toBe(0);
    await shot('upload-no-face');
    expect(await axeViolations(page)).toEqual([]);
  });
});

describe('gallery', () => {
  it('shows both subjects with thumbnails, status and date; searches by name', async () => {
    await page.goto(`${server.url}/`);
    await expect(page.locator('.grid > li').count()).resolves.toBe(2);
    const thumbnail = page.locator('.grid img').first();
    await thumbnail.waitFor();
    expect(await thumbnail.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    await expect(page.locator('.badge-succeeded').count()).resolves.toBe(1);
    await expect(page.locator('.badge-failed').count()).resolves.toBe(1);
    await shot('grid');
    expect(await axeViolations(page)).toEqual([]);

    await page.getByLabel('Search subjects by name').fill('zeb');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\?q=zeb/);
    await expect(page.locator('.grid > li').count()).resolves.toBe(1);
    await expect(page.locator('.card-title').innerText()).resolves.toBe('Zebra');
  });

  it('shows another tenant nothing: its cookie sees an empty gallery and no subject page', async () => {
    const asOther = { headers: { cookie: `seif_session=${backend.otherKey}` }, redirect: 'manual' as const };
    const gallery = await (await fetch(`${server.url}/`, asOther)).text();
    expect(gallery).toContain('One photo in, an animatable 3D head out');
    expect(gallery).not.toContain('City portrait');
    expect((await fetch(`${server.url}${new URL(subjectUrl).pathname}`, asOther)).status).toBe(404);
  });

  it('deletes a subject after confirmation', async () => {
    await page.locator('.card-link').first().click();
    await page.waitForURL(/\/subjects\//);
    await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Zebra');
    await page.getByRole('button', { name: 'Delete subject…' }).click();
    await expect(page.getByRole('button', { name: 'Keep it' }).evaluate((b) => b === document.activeElement)).resolves.toBe(true);
    await shot('delete-confirm');
    await page.getByRole('button', { name: 'Delete permanently' }).click();
    await page.waitForURL(/\/\?deleted=1/);
    await expect(page.locator('.grid > li').count()).resolves.toBe(1);
  });

  it('pages with Relay cursors in the URL, forward and back', async () => {
    for (let i = 1; i <= 12; i++) {
      await fetch(backend.apiUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${backend.key}` },
        body: JSON.stringify({ query: `mutation { createSubject(input: { displayName: "Extra ${String(i).padStart(2, '0')}" }) { subject { id } } }` }),
      });
    }
    await page.goto(`${server.url}/`);
    await expect(page.locator('.grid > li').count()).resolves.toBe(12);
    await expect(page.locator('.card-title').first().innerText()).resolves.toBe('Extra 12');
    await expect(page.locator('.pager [rel="prev"]').count()).resolves.toBe(0);
    await page.locator('.pager [rel="next"]').click();
    await page.waitForURL(/\?after=/);
    await expect(page.locator('.card-title').allInnerTexts()).resolves.toEqual(['City portrait']);
    await page.locator('.pager [rel="prev"]').click();
    await page.waitForURL(/\?before=/);
    await expect(page.locator('.grid > li').count()).resolves.toBe(12);
    await expect(page.locator('.card-title').first().innerText()).resolves.toBe('Extra 12');
  });

  it('signs out', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('grid-phone');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 960 });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    expect((await browser.context.cookies()).find((c) => c.name === 'seif_session')).toBeUndefined();
    await page.goto(`${server.url}/upload`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(pageErrors).toEqual([]);
  });
});
