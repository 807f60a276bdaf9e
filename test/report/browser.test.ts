/**
 * The report page in a real browser: Debian's chromium (apt-get install chromium; .ci/run does),
 * driven by playwright-core, opens index.html from disk; every image must load and the console
 * must stay free of errors.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { generateReport } from '../../src/report/index.js';
import { writeFixtureDir } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`report browser test skipped: ${CHROMIUM} is absent (install it with: apt-get install -y chromium)`);
}

const created: string[] = [];
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

async function openInBrowser(indexHtml: string) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'shatter-chromium-'));
  created.push(userDataDir);
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()}`));
    await page.goto(pathToFileURL(indexHtml).href, { waitUntil: 'load' });
    const images = await page.$$eval('img', (elements) =>
      (elements as HTMLImageElement[]).map((img) => ({ src: img.getAttribute('src'), complete: img.complete, naturalWidth: img.naturalWidth })),
    );
    const links = await page.$$eval('a', (elements) => (elements as HTMLAnchorElement[]).map((a) => a.getAttribute('href')));
    const title = await page.title();
    return { images, links, errors, title };
  } finally {
    await context.close();
  }
}

describe.skipIf(!hasChromium)('report page in headless Chromium', () => {
  it('loads every figure image with no console error', async () => {
    const fixture = writeFixtureDir({}, 'browser');
    created.push(fixture.dir);
    const outcome = await generateReport(fixture.dir);
    const { images, links, errors, title } = await openInBrowser(outcome.indexHtml);
    expect(title).toBe('Report: report-fixture');
    expect(images.map((i) => i.src)).toEqual(outcome.figures.map((f) => `${f.name}.png`));
    for (const image of images) {
      expect(image.complete).toBe(true);
      expect(image.naturalWidth).toBeGreaterThan(0);
    }
    for (const figure of outcome.figures) expect(links).toContain(`${figure.name}.svg`);
    expect(errors).toEqual([]);
  }, 60_000);

  it('shows the note of a failed-only directory with its images loaded and no console error', async () => {
    const fixture = writeFixtureDir({ statusOf: () => 'failed' }, 'browser-failed');
    created.push(fixture.dir);
    const outcome = await generateReport(fixture.dir);
    const { images, errors } = await openInBrowser(outcome.indexHtml);
    expect(images).toHaveLength(1);
    expect(images[0].naturalWidth).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  }, 60_000);
});
