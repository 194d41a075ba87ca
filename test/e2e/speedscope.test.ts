/**
 * End to end: a profile written by `bootprof flamegraph --format speedscope` opens in the real
 * speedscope app (the npm package's dist/release, served on localhost, `#profileURL=`) in headless
 * Chromium. Needs Debian's chromium at /usr/bin/chromium (scripts/ci-e2e-setup.sh installs it).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { flamegraphCommand } from '../../src/commands/flamegraph.js';

const CHROMIUM = process.env.BOOTPROF_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`speedscope e2e skipped: no Chromium at ${CHROMIUM} (run scripts/ci-e2e-setup.sh)`);

const require = createRequire(import.meta.url);
const RELEASE = dirname(require.resolve('speedscope/dist/release/index.html'));
const SAMPLES = new URL('../../samples/', import.meta.url).pathname;
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

describe.skipIf(!hasChromium)('speedscope opens bootprof profiles (headless Chromium)', () => {
  let server: Server;
  let browser: Browser;
  let base = '';
  let profile = '';

  beforeAll(async () => {
    // Chromium starts (a process of its own) while the profile is made in this one
    const launched = chromium.launch({
      executablePath: CHROMIUM,
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
      await makeProfileAndServer();
    } finally {
      browser = await launched;
    }
  });

  async function makeProfileAndServer(): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'bootprof-e2e-'));
    profile = join(dir, 'boot.speedscope.json');
    await flamegraphCommand(SAMPLES + 'start-kernel-120k.log.gz', {
      map: SAMPLES + 'System.map-6.1.0-47-cloud-amd64.gz',
      format: 'speedscope',
      output: profile,
      quiet: true,
    });
    server = createServer((req, res) => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
      const file = path === '/boot.speedscope.json' ? profile : join(RELEASE, normalize(path === '/' ? '/index.html' : path));
      if (!file.startsWith(RELEASE) && file !== profile) return void res.writeHead(403).end();
      if (!existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  }

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('renders the vCPU 0 profile without an import error', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/index.html#profileURL=${encodeURIComponent(base + '/boot.speedscope.json')}`);
    await page.waitForFunction(() => document.body.innerText.includes('vCPU 0'), null, { timeout: 30_000 });
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).not.toMatch(/Something went wrong|Unrecognized format|Failed to/i);
    expect(text).toContain('vCPU 0');
    expect(await page.locator('canvas').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    if (process.env.BOOTPROF_SCREENSHOT) await page.screenshot({ path: process.env.BOOTPROF_SCREENSHOT });
    await page.close();
  });
});
