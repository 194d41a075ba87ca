/**
 * End to end: `report --format html` and `diff --format html` pages opened from disk in headless
 * Chromium (Debian's, driven by playwright-core; scripts/ci-e2e-setup.sh installs it): no console
 * error, no request of any kind, the values of the JSON report on screen, the flame graph zooms on a
 * click, tables sort, and 255 vCPUs fit the window. Timings (ready, lanes redraw) are printed, not
 * asserted: this machine's speed varies 2x (docs/HTML.md quotes measured figures).
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { cli, logLine } from '../helpers.js';
import { MAP_PATH, SAMPLES } from '../formats-helpers.js';

const CHROMIUM = process.env.BOOTPROF_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`HTML report e2e skipped: no Chromium at ${CHROMIUM} (run scripts/ci-e2e-setup.sh)`);

const dir = mkdtempSync(join(tmpdir(), 'bootprof-html-'));

async function write(args: string[], file: string): Promise<string> {
  const out = join(dir, file);
  const r = await cli(...args, '-o', out, '-q');
  expect(r.code, r.err).toBe(0);
  return out;
}

/** Opens a page from disk; collects console errors, page errors and every request made. */
async function open(browser: Browser, file: string, width = 1400): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto('file://' + file);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
  return { page, errors, requests };
}

describe.skipIf(!hasChromium)('the HTML report in headless Chromium', () => {
  let browser: Browser;
  let json: Record<string, Record<string, unknown>[]>;
  let report = '';

  beforeAll(async () => {
    // Chromium starts (a process of its own) while the reports are made in this one
    const launched = chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const trace = SAMPLES + 'inasm-start-kernel-200k.log.gz';
      report = await write(['report', trace, '--map', MAP_PATH], 'report.html');
      json = JSON.parse((await cli('report', trace, '--map', MAP_PATH, '--stacks', '-f', 'json', '-q')).out);
    } finally {
      browser = await launched;
    }
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('a report: no error, no request, the milestones and top 5 functions of the JSON report; frames zoom; tables sort', async () => {
    const { page, errors, requests } = await open(browser, report);
    const timing = await page.evaluate(() => (window as unknown as { bootprof: object }).bootprof);
    // milestones: every one, by its time
    const ms = await page.$$eval('#table-milestones tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.getAttribute('data-v'))));
    expect(json.milestones.length).toBeGreaterThan(1);
    expect(ms.map((r) => [r[0], Number(r[3])])).toEqual(json.milestones.map((m) => [m.milestone, m.time_ns]));
    // the glance bar has a marker per milestone
    expect(await page.$$eval('#glance g.milestone', (g) => g.length)).toBe(json.milestones.length);
    // top 5 functions (JSON order: by the weight) as first shown
    const cols = await page.$$eval('#table-functions thead th', (th) => th.map((t) => t.textContent));
    const fns = await page.$$eval('#table-functions tbody tr', (trs) =>
      trs.slice(0, 5).map((tr) => [...tr.querySelectorAll('td')].map((td) => td.getAttribute('data-v'))),
    );
    const top5 = json.functions.slice(0, 5);
    expect(fns.map((r) => r[cols.indexOf('function')])).toEqual(top5.map((f) => f.function));
    for (const key of ['self_insns', 'self_ns', 'events'])
      expect(
        fns.map((r) => Number(r[cols.indexOf(key)])),
        key,
      ).toEqual(top5.map((f) => f[key]));

    // clicking a frame zooms so that it spans the whole width
    const svgWidth = await page.$eval('#flame-chart svg', (s) => s.getBoundingClientRect().width);
    const target = await page.$$eval('#flame-chart svg g', (gs) => {
      // a frame of depth >= 2 narrower than half the graph
      const w = (g: Element) => g.querySelector('rect')!.getBoundingClientRect().width;
      const i = gs.findIndex((g) => w(g) > 20 && w(g) < gs[0].querySelector('rect')!.getBoundingClientRect().width / 2);
      gs[i].setAttribute('data-target', '1');
      return { i, name: gs[i].querySelector('title')?.textContent ?? '' };
    });
    expect(target.i).toBeGreaterThan(0);
    await page.click('#flame-chart svg g[data-target="1"] rect');
    await page.waitForTimeout(100);
    const zoomed = await page.$eval('#flame-chart svg g[data-target="1"] rect', (r) => r.getBoundingClientRect().width);
    expect(Math.abs(zoomed - svgWidth), target.name).toBeLessThan(2);

    // sorting the functions by events orders them (descending first, then ascending)
    const eventsCol = cols.indexOf('events');
    await page.click(`#table-functions thead th:nth-child(${eventsCol + 1})`);
    const read = () => page.$$eval(`#table-functions tbody tr td:nth-child(${eventsCol + 1})`, (tds) => tds.map((td) => Number(td.getAttribute('data-v'))));
    const desc = await read();
    expect(desc.length).toBeGreaterThan(10);
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    await page.click(`#table-functions thead th:nth-child(${eventsCol + 1})`);
    const asc = await read();
    expect(asc).toEqual([...asc].sort((a, b) => a - b));

    // the search box tells the matching frames' share
    await page.fill('#flame-search', 'memcpy');
    expect(await page.textContent('#flame-details')).toMatch(/frames match, .*% of the whole/);

    // zoom the lanes; print the redraw time
    const draws = await page.evaluate(async () => {
      const w = window as unknown as { bootprofZoomLanes: (k: number) => void; bootprof: { lastLanesDrawMs: number } };
      const t: number[] = [];
      for (const k of [4, 4, 0.5]) {
        w.bootprofZoomLanes(k);
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        t.push(w.bootprof.lastLanesDrawMs);
      }
      return t;
    });
    console.log(`html report (inasm-start-kernel-200k): ${JSON.stringify(timing)}; lanes redraws ${draws.map((d) => d.toFixed(1)).join(', ')} ms`);
    expect(errors).toEqual([]);
    expect(requests).toEqual(['file://' + report]);
    await page.close();
  }, 60_000);

  it('a diff of two saved reports: both boots’ phase bars, a differential flame graph, the diff tables', async () => {
    const file = await write(['diff', SAMPLES + 'boot-quiet.report.json.gz', SAMPLES + 'boot-loglevel8.report.json.gz'], 'diff.html');
    const { page, errors, requests } = await open(browser, file);
    expect(await page.$$eval('#glance .bar', (b) => b.length)).toBe(2);
    expect(await page.$$eval('#flame-chart svg g', (g) => g.length)).toBeGreaterThan(50);
    // red and blue frames: some grew, some shrank
    const fills = await page.$$eval('#flame-chart svg rect', (rs) => rs.map((r) => r.getAttribute('fill') ?? ''));
    const grew = fills.filter((f) => /^rgb\(240,(\d+),\1\)$/.test(f) && f !== 'rgb(240,240,240)');
    const shrank = fills.filter((f) => /^rgb\((\d+),\1,240\)$/.test(f));
    expect([grew.length > 0, shrank.length > 0], fills.slice(0, 20).join(' ')).toEqual([true, true]);
    expect(await page.$$eval('#table-functions tbody tr', (t) => t.length)).toBeGreaterThan(100);
    expect(await page.$$eval('#table-initcalls tbody tr', (t) => t.length)).toBeGreaterThan(100);
    expect(errors).toEqual([]);
    expect(requests).toEqual(['file://' + file]);
    await page.close();
  }, 60_000);

  it('255 vCPUs: one lane each, and nothing wider than the window', async () => {
    let text = '';
    const pcs = ['0xffffffff81000000', '0xffffffff810b0cf0', '0xffffffff81002460', '0xffffffff819fc710'];
    for (let i = 0; i < 255 * 20; i++) text += logLine(1000 + (i % 255), i * 3 + (i % 255) * 50, pcs[i % pcs.length]);
    const trace = join(dir, 'vcpus255.log');
    writeFileSync(trace, text);
    const file = await write(['report', trace, '--map', MAP_PATH], 'vcpus255.html');
    const { page, errors } = await open(browser, file, 1000);
    const fit = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      inner: window.innerWidth,
      lanes: (document.querySelector('#lanes canvas') as HTMLCanvasElement).getBoundingClientRect().height,
      box: (document.querySelector('.lanes-scroll') as HTMLElement).getBoundingClientRect().height,
    }));
    expect(fit.scroll).toBeLessThanOrEqual(fit.inner);
    expect(fit.lanes).toBe(255 * 6);
    expect(fit.box).toBeLessThanOrEqual(522);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
