#!/usr/bin/env node
// Opens a speedscope file in the real speedscope app (npm package, served on localhost) in headless
// Chromium and saves a screenshot: how docs/speedscope-boot.png was made.
//
//   node scripts/speedscope-screenshot.mjs PROFILE.json OUT.png [--view time|left|sandwich] [--profile N]
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';

const [profile, out, ...rest] = process.argv.slice(2);
if (!profile || !out) {
  console.error('usage: speedscope-screenshot.mjs PROFILE.json OUT.png [--view time|left|sandwich] [--profile N]');
  process.exit(1);
}
const opt = (k, d) => (rest.includes(k) ? rest[rest.indexOf(k) + 1] : d);
const view = opt('--view', 'time');
const nth = Number(opt('--profile', '0'));
const require = createRequire(import.meta.url);
const release = dirname(require.resolve('speedscope/dist/release/index.html'));
const types = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};
const server = createServer((req, res) => {
  const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
  const file = path === '/profile.json' ? profile : join(release, normalize(path === '/' ? '/index.html' : path));
  if ((file !== profile && !file.startsWith(release)) || !existsSync(file)) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size });
  createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: process.env.BOOTPROF_CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  await page.goto(`${base}/index.html#profileURL=${encodeURIComponent(base + '/profile.json')}`);
  await page.waitForFunction(() => /\(\d+\/\d+\)/.test(document.body.innerText), null, { timeout: 600_000 });
  for (let i = 0; i < nth; i++) await page.keyboard.press('n');
  if (view === 'left') await page.keyboard.press('2');
  if (view === 'sandwich') await page.keyboard.press('3');
  await page.waitForTimeout(1500);
  await page.screenshot({ path: out });
  console.log(`${out}: ${await page.evaluate(() => document.body.innerText.split('\n').slice(0, 6).join(' | '))}`);
} finally {
  await browser.close();
  server.close();
}
