/**
 * A screenshot of an HTML report in headless Chromium (Debian's, driven by playwright-core), with the
 * page's own timings: node scripts/screenshot.mjs PAGE.html OUT.png [WIDTH] [HEIGHT].
 * Prints the time to interactive and what a lanes zoom costs (the figures docs/HTML.md quotes).
 */
import { chromium } from 'playwright-core';
import { resolve } from 'node:path';

const [page0, png, width = '1400', height = '1800'] = process.argv.slice(2);
if (!page0 || !png) {
  console.error('usage: node scripts/screenshot.mjs PAGE.html OUT.png [WIDTH] [HEIGHT]');
  process.exit(1);
}
const browser = await chromium.launch({
  executablePath: process.env.BOOTPROF_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
const page = await browser.newPage({ viewport: { width: Number(width), height: Number(height) } });
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
await page.goto('file://' + resolve(page0));
await page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
const ready = await page.evaluate(() => window.bootprof.readyMs);
const zooms = await page.evaluate(async () => {
  if (!window.bootprofZoomLanes) return [];
  const t = [];
  for (const k of [2, 4, 8, 0.25, 0.125]) {
    window.bootprofZoomLanes(k);
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    t.push(window.bootprof.lastLanesDrawMs);
  }
  window.bootprofZoomLanes(1 / 64);
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return t;
});
await page.screenshot({ path: png });
console.log(JSON.stringify({ page: page0, ready_ms: Math.round(ready), lanes_redraw_ms: zooms.map((z) => Math.round(z * 10) / 10), errors }));
await browser.close();
