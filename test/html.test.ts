/**
 * The HTML writer in-process: the page's data equals the JSON report's tables, the flame graph's
 * cut of the call tree keeps the heaviest nodes under kept parents, nothing in the data can end its
 * <script> element, and the Content-Security-Policy admits exactly the page's own script.
 * (The page drawn in a real browser: test/e2e/html-report.test.ts.)
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defineTable, makeTable, type ResultDocument } from '../src/model/table.js';
import { flameData, htmlPage, MAX_FLAME_NODES, MIN_FLAME_SHARE, pageData, type PageData } from '../src/output/html.js';
import { cli } from './helpers.js';
import { MAP_PATH, SAMPLES } from './formats-helpers.js';

interface Node {
  node: number;
  parent: number;
  fn: string;
  total: number;
}
const TREE = defineTable<Node>({
  name: 'call_tree',
  doc: 'test',
  columns: [
    { key: 'node', kind: 'index', doc: '', get: (r) => r.node },
    { key: 'parent', kind: 'index', doc: '', get: (r) => r.parent },
    { key: 'function', kind: 'text', doc: '', get: (r) => r.fn },
    { key: 'total_ns', kind: 'duration', doc: '', get: (r) => r.total },
  ],
});

/** The page's inlined data and script. */
function parts(html: string): { data: PageData; script: string; csp: string } {
  const json = /<script type="application\/json" id="bootprof-data">([^]*?)<\/script>/.exec(html)![1];
  const script = /<script>([^]*?)<\/script>\n<\/body>/.exec(html)![1];
  const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)![1];
  return { data: JSON.parse(json) as PageData, script, csp };
}

describe('HTML report data', () => {
  it('report --format html carries the JSON report’s tables, value for value', async () => {
    const trace = SAMPLES + 'start-kernel-120k.log.gz';
    const page = await cli('report', trace, '--map', MAP_PATH, '--format', 'html', '-q');
    expect(page.code).toBe(0);
    const json = JSON.parse((await cli('report', trace, '--map', MAP_PATH, '--stacks', '--format', 'json', '-q')).out);
    const { data } = parts(page.out);
    for (const name of ['phases', 'milestones', 'functions', 'initcalls']) {
      const t = data.tables.find((x) => x.name === name)!;
      const rows = t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c.key, r[i]])));
      expect(rows, name).toEqual(json[name]);
    }
    expect(json.milestones.length).toBeGreaterThan(1);
    // the lanes: one vCPU, from its first to its last event
    const lanes = data.tables.find((x) => x.name === 'vcpu_lanes')!;
    expect(lanes.rows).toEqual([[0, json.summary.vcpus[0].tid, 0, json.summary.span_ns, json.summary.events]]);
    // the flame graph's roots are the call tree's roots, weighted by total_ns
    const f = data.flame!;
    expect(f.weight).toBe('total_ns');
    expect(f.nodes).toBe(json.call_tree.length);
    const roots = json.call_tree.filter((r: { parent: number }) => r.parent === 0);
    expect(f.total).toBe(roots.reduce((s: number, r: { total_ns: number }) => s + r.total_ns, 0));
  });

  it('the flame graph keeps nodes of at least 1/10,000 of the whole, each under a kept parent', () => {
    // a root with 50,000 children of falling weight (a long tail), each with a grandchild of half its weight
    const rows: Node[] = [{ node: 1, parent: 0, fn: 'root', total: 0 }];
    let sum = 0;
    for (let i = 0; i < 50_000; i++) {
      const w = Math.floor(1e12 / (i + 1) ** 1.2);
      rows.push({ node: rows.length + 1, parent: 1, fn: `f${i}`, total: w });
      rows.push({ node: rows.length + 1, parent: rows.length, fn: `g${i}`, total: Math.floor(w / 2) });
      sum += w;
    }
    rows[0].total = sum;
    const f = flameData(makeTable(TREE, rows), 'total_ns');
    expect(f.nodes).toBe(rows.length);
    expect(f.total).toBe(sum);
    const kept = new Set(f.name.map((n) => f.names[n]));
    expect(rows.filter((r) => kept.has(r.fn) !== r.total >= sum * MIN_FLAME_SHARE)).toEqual([]);
    expect(f.kept).toBeGreaterThan(500);
    expect(f.parent.filter((p, i) => p >= i)).toEqual([]);
  });

  it('at most MAX_FLAME_NODES nodes: the heaviest, parents before children', () => {
    // 20 chains of 3,000 frames, every frame over the 1/10,000 share: the cut is by weight alone
    const rows: Node[] = [];
    for (let c = 0; c < 20; c++)
      for (let k = 0; k < 3000; k++) rows.push({ node: rows.length + 1, parent: k === 0 ? 0 : rows.length, fn: `c${c}.${k}`, total: 1e9 - k * 1000 - c });
    const f = flameData(makeTable(TREE, rows), 'total_ns');
    expect(f.kept).toBe(MAX_FLAME_NODES);
    const min = Math.min(...f.value);
    const kept = new Set(f.name.map((n) => f.names[n]));
    expect(rows.filter((r) => kept.has(r.fn) !== r.total >= min)).toEqual([]);
    expect(f.parent.filter((p, i) => p >= i)).toEqual([]);
  });

  it('names cannot end the data element; the CSP names the inlined script’s hash and allows no request', () => {
    const evil = '</script><script>alert(1)</script><!--';
    const doc: ResultDocument = {
      kind: 'self-time',
      summary: { input: evil, unit: 'ns' },
      tables: [makeTable(TREE, [{ node: 1, parent: 0, fn: evil, total: 5 }])],
      lines: [evil],
    };
    const html = htmlPage(doc).join('');
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    const { data, script, csp } = parts(html);
    expect(data.flame!.names).toEqual([evil]);
    expect(data.lines).toEqual([evil]);
    expect(html).toContain('<title>bootprof self-time: &lt;/script&gt;');
    const hash = createHash('sha256').update(script).digest('base64');
    expect(csp).toBe(`default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`);
    expect(pageData(doc).tables).toEqual([]);
  });
});
