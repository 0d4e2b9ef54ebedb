#!/usr/bin/env node
// Takes a screenshot of the demo as a user sees it: headless Debian Chromium with a fake camera playing
// a real photo, the page served cross-origin isolated.
// Usage: node scripts/screenshot.mjs [out.png] [photo] [path] [selector]
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { CHROMIUM_FLAGS, fakeCameraVideo, findChromium } from './chromium.mjs';
import { startServer } from './serve.mjs';

const out = process.argv[2] ?? 'docs/demo.png';
const photo = process.argv[3] ?? '/usr/lib/python3/dist-packages/skimage/data/astronaut.png';
const path = process.argv[4] ?? '/demo/';
// Optional: a CSS selector (e.g. `[data-for=detect]`) to capture one panel (the viewport goes to <out>-page.png).
const only = process.argv[5];
mkdirSync('tests/.fixtures', { recursive: true });
mkdirSync(dirname(out), { recursive: true });
const video = fakeCameraVideo(photo, `tests/.fixtures/${photo.split('/').pop()}.y4m`);
const { server, port } = await startServer({ port: 0, quiet: true });
const browser = await chromium.launch({ executablePath: findChromium(), args: [...CHROMIUM_FLAGS, `--use-file-for-fake-video-capture=${video}`] });
try {
  // Tall enough for the whole demo: a full-page capture that has to resize the viewport makes the elements
  // re-lay out, and the worker's composite of <cv-segment> is not redrawn before the capture.
  const page = await browser.newPage({ viewport: { width: 1500, height: 1320 } });
  page.on('console', (m) => m.type() === 'error' && console.error('[page]', m.text()));
  await page.goto(`http://localhost:${port}${path}`);
  // A learn-mode element starts with nothing learned: teach its first class from the camera, as a user would.
  await page.evaluate(async () => {
    for (const el of document.querySelectorAll('cv-classify[learn]')) {
      await new Promise((resolve) => (el.models ? resolve() : el.addEventListener('cv-ready', resolve, { once: true })));
      const first = el.shadowRoot.querySelector('[part~="class-button"]');
      for (let i = 0; i < 3; i++) first?.click(), await new Promise((r) => setTimeout(r, 700));
    }
  });
  // Wait until every element on the page has drawn a few results (or reported an error); <cv-segment>'s
  // effect is drawn by the worker after the result, so it also needs a frame composited there.
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll('cv-segment, cv-detect, cv-classify, cv-generate')].every(
        (el) => (el.stats.frames >= 5 && (el.localName !== 'cv-segment' || el.stats.phases?.compositeMs > 0)) || el.shadowRoot?.querySelector('[part=error]:not([hidden])'),
      ),
    null,
    { timeout: 120000 },
  );
  await page.waitForTimeout(8000);
  if (only) {
    await page.locator(only).first().screenshot({ path: out });
    await page.screenshot({ path: out.replace(/\.png$/, '-page.png') }); // and the whole page beside it, to check the rest
  } else await page.screenshot({ path: out }); // the viewport holds the page; a fullPage capture drops the worker's OffscreenCanvas picture
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  server.close();
}
