/**
 * The HTML report's page: reads the data bootprof inlined (src/output/html.ts, PageData) and draws,
 * top to bottom, the header, the boot at a glance (phases, milestones, regions), per-vCPU lanes
 * (initcalls, system calls; zoom and pan), a flame graph (icicle) of the call tree, and the tables,
 * sortable and filterable. A diff page draws both boots' phase bars, a differential flame graph and
 * the diff's tables. Libraries: d3-selection/scale/axis/zoom/format, d3-flame-graph; bundled by
 * scripts/build-web.mjs into one script inlined in the page (no request of any kind).
 */
import { axisBottom, axisTop } from 'd3-axis';
import { format } from 'd3-format';
import flamegraph, { type FlameNode, type Frame } from 'd3-flame-graph';
import { scaleLinear, type ScaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { zoom, zoomIdentity, type ZoomTransform } from 'd3-zoom';
import type { CellValue } from '../src/model/table.js';
import type { PageData, PageTable } from '../src/output/page-data.js';

/** What tests and people measuring the page read (window.bootprof). */
interface PageState {
  ready: boolean;
  /** ms from navigation start to the page drawn and listening. */
  readyMs: number;
  /** ms the last lanes redraw took. */
  lastLanesDrawMs: number;
  lanesDraws: number;
}
const state: PageState = { ready: false, readyMs: 0, lastLanesDrawMs: 0, lanesDraws: 0 };
(window as unknown as { bootprof: PageState }).bootprof = state;

const data = JSON.parse(document.getElementById('bootprof-data')!.textContent!) as PageData;
const S = data.summary as Record<string, unknown>;
const isDiff = data.kind === 'diff';
const unit = (S.unit as string) === 'events' ? 'events' : 'ns';
const app = select('#app');

// ---------- formatting (the terminal's units: src/output/units.ts) ----------
const fmtInt = format(',');
function fmtDuration(v: number | null): string {
  if (v === null || v === undefined) return '';
  if (unit === 'events') return fmtInt(Math.round(v)) + ' ev';
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(3) + ' s';
  if (a >= 1e6) return (v / 1e6).toFixed(3) + ' ms';
  if (a >= 1e3) return (v / 1e3).toFixed(3) + ' µs';
  return Math.round(v) + ' ns';
}
function fmtTime(v: number | null): string {
  if (v === null || v === undefined) return '';
  return unit === 'events' ? fmtInt(v) : (v / 1e9).toFixed(6) + ' s';
}
function fmtWeight(v: number, weight: string): string {
  if (weight.includes('insns')) return fmtInt(Math.round(v)) + ' insns';
  if (weight === 'events') return fmtInt(Math.round(v)) + ' events';
  return fmtDuration(v);
}
function fmtCell(v: CellValue, kind: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'number') return String(v);
  switch (kind) {
    case 'duration':
      return fmtDuration(v);
    case 'time':
      return fmtTime(v);
    case 'percent':
      return v.toFixed(2) + '%';
    case 'count':
      return fmtInt(v);
    default:
      return String(v);
  }
}
function pct(part: number, whole: number): string {
  return whole > 0 ? ((100 * part) / whole).toFixed(2) + '%' : '';
}

function table(name: string): PageTable | undefined {
  return data.tables.find((t) => t.name === name);
}
/** Rows of a table as objects keyed by column. */
function objects(name: string): Record<string, CellValue>[] {
  const t = table(name);
  if (!t) return [];
  return t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c.key, r[i]])));
}
function hue(name: string): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 31) + name.charCodeAt(i)) | 0;
  return `hsl(${((h >>> 0) % 360).toString()}, 55%, 62%)`;
}

const tooltip = select('body').append('div').attr('class', 'tip').style('display', 'none');
function showTip(ev: MouseEvent, html: string): void {
  tooltip
    .style('display', 'block')
    .html(html)
    .style('left', `${Math.min(ev.pageX + 12, window.scrollX + window.innerWidth - 320)}px`)
    .style('top', `${ev.pageY + 14}px`);
}
function hideTip(): void {
  tooltip.style('display', 'none');
}
function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

// ---------- 1. header ----------
function kernelOf(symbols: unknown): string {
  if (typeof symbols !== 'string' || !symbols) return 'no symbols';
  const base = symbols.split(/[\\/]/).pop()!.replace(/\.gz$/, '');
  return base.replace(/^(System\.map|vmlinux|vmlinuz|kallsyms)-?/, '') || base;
}
function header(): void {
  const h = app.append('header');
  h.append('h1').text(data.title);
  const facts: [string, string][] = [];
  const weight = String(S.weight ?? 'time');
  if (isDiff) {
    const a = S.a as Record<string, unknown>;
    const b = S.b as Record<string, unknown>;
    for (const [k, side] of [
      ['A', a],
      ['B', b],
    ] as const)
      facts.push([
        k,
        `${side.input} (${side.source === 'trace' ? 'trace' : 'saved report'}), ${fmtInt(Number(side.events))} events, ${fmtDuration(Number(side.span_ns))} traced`,
      ]);
    facts.push(['weight', weight === 'insns' ? 'guest instructions' : weight === 'events' ? 'events' : 'host time']);
    facts.push([
      'total',
      `A ${fmtWeight(Number(S.total_a), weight)}, B ${fmtWeight(Number(S.total_b), weight)} (${S.total_delta_pct === null ? 'n/a' : (Number(S.total_delta_pct) >= 0 ? '+' : '') + Number(S.total_delta_pct).toFixed(2) + '%'})`,
    ]);
  } else {
    facts.push(['input', `${S.input} (${S.format})`]);
    facts.push(['kernel', kernelOf(S.symbols)]);
    facts.push(['vCPUs', String(S.threads ?? '')]);
    facts.push(['traced span', fmtDuration(Number(S.span_ns))]);
    facts.push(['events', fmtInt(Number(S.events))]);
    facts.push(['weight', weight === 'insns' ? 'guest instructions (translation records)' : weight === 'events' ? 'events' : 'host time']);
  }
  const dl = h.append('dl').attr('class', 'facts');
  for (const [k, v] of facts) {
    dl.append('dt').text(k);
    dl.append('dd').text(v);
  }
  const caveats: string[] = [];
  if (weight === 'time' && unit === 'ns')
    caveats.push(
      'Host time under tracing: the log stamps events at ~1 µs resolution and mostly measures the logging itself; it varies 2-3x with host load. Record with -d in_asm for exact guest instruction counts.',
    );
  const startsIn = S.starts_in as string | undefined;
  if (startsIn && startsIn !== 'firmware') caveats.push(`Partial trace: it starts in ${startsIn}; what ran before is not seen.`);
  const partial = data.lines.find((l) => l.includes('PARTIAL: '));
  if (partial) caveats.push(`Partial recording (${partial.slice(partial.indexOf('PARTIAL: ') + 9)}): the last phase runs to the last event captured.`);
  else if (S.truncated) caveats.push('The input was cut short: the last phase runs to the last complete line.');
  if (caveats.length) {
    const c = h.append('ul').attr('class', 'caveats');
    for (const t of caveats) c.append('li').text(t);
  }
  if (data.lines.length) {
    // a document without tables (info): its summary lines are the result, shown open
    const d = h.append('details').property('open', !data.tables.some((t) => t.rows.length > 0) && !data.flame);
    d.append('summary').text('Summary lines (as on the terminal)');
    d.append('pre').text(data.lines.join('\n'));
  }
}

// ---------- 2. the boot at a glance ----------
interface Segment {
  key: string;
  label: string;
  start: number;
  end: number;
  extra?: string;
}
interface Marker {
  label: string;
  at: number;
}
function section(id: string, title: string, note?: string) {
  const s = app.append('section').attr('id', id);
  s.append('h2').text(title);
  if (note) s.append('p').attr('class', 'note').text(note);
  return s;
}
function width(el: HTMLElement): number {
  return Math.max(480, el.getBoundingClientRect().width);
}

function drawBar(
  parent: ReturnType<typeof section>,
  label: string,
  segs: Segment[],
  marks: Marker[],
  regions: Segment[],
  domain: number,
  fmt: (v: number) => string,
) {
  const box = parent.append('div').attr('class', 'bar');
  box.append('div').attr('class', 'bar-label').text(label);
  const W = width(box.node() as HTMLElement);
  // room for the axis' end labels, centred on the first and last tick
  const x = scaleLinear()
    .domain([0, domain])
    .range([28, W - 34]);
  const markRows = Math.min(7, marks.length);
  const H = 34 + 14 * markRows + 16 + 22;
  const svg = box.append('svg').attr('width', W).attr('height', H).attr('class', 'glance');
  const g = svg.append('g').attr('transform', 'translate(1,0)');
  svg.style('overflow', 'visible');
  const seg = g
    .selectAll('g.phase')
    .data(segs)
    .join('g')
    .attr('class', 'phase')
    .attr('data-phase', (d) => d.key);
  seg
    .append('rect')
    .attr('x', (d) => x(d.start))
    .attr('y', 0)
    .attr('width', (d) => Math.max(1, x(d.end) - x(d.start)))
    .attr('height', 30)
    .attr('fill', (d) => hue(d.key));
  seg
    .filter((d) => x(d.end) - x(d.start) > 60)
    .append('text')
    .attr('x', (d) => x(d.start) + 4)
    .attr('y', 19)
    .text((d) => `${d.label}: ${fmt(d.end - d.start)}`)
    .each(function (d) {
      const el = this as SVGTextElement;
      const room = x(d.end) - x(d.start) - 8;
      let t = el.textContent ?? '';
      while (el.getComputedTextLength() > room && t.length > 4) {
        t = t.slice(0, -2);
        el.textContent = t + '…';
      }
    });
  seg.on('mousemove', (ev: MouseEvent, d) =>
    showTip(ev, `<b>${esc(d.label)}</b><br>${fmt(d.start)} → ${fmt(d.end)}<br>${fmt(d.end - d.start)} (${pct(d.end - d.start, domain)})${d.extra ?? ''}`),
  );
  seg.on('mouseleave', hideTip);
  // milestones: each label in the first row where it does not overlap the one before it (about 6 px
  // a character); a label that fits no row is left out (its marker stays, with its tooltip)
  const rowEnd: number[] = new Array(markRows).fill(-Infinity);
  const rowOf = marks.map((d) => {
    const px = x(d.at);
    const w = (d.label.length + 12) * 6;
    const right = px > W * 0.75;
    const [a, b] = right ? [px - w, px] : [px, px + w];
    for (let r = 0; r < markRows; r++)
      if (a > rowEnd[r] + 4) {
        rowEnd[r] = b;
        return r;
      }
    return -1;
  });
  const m = g
    .selectAll('g.milestone')
    .data(marks)
    .join('g')
    .attr('class', 'milestone')
    .attr('transform', (d) => `translate(${x(d.at)},0)`);
  m.append('line')
    .attr('y1', 0)
    .attr('y2', (_d, i) => 36 + 14 * Math.max(0, rowOf[i]))
    .attr('class', 'marker');
  m.filter((_d, i) => rowOf[i] >= 0)
    .append('text')
    .attr('y', (d) => 46 + 14 * rowOf[marks.indexOf(d)])
    .attr('x', (d) => (x(d.at) > W * 0.75 ? -2 : 2))
    .attr('text-anchor', (d) => (x(d.at) > W * 0.75 ? 'end' : 'start'))
    .text((d) => `${d.label} ${fmt(d.at)}`);
  m.on('mousemove', (ev: MouseEvent, d) => showTip(ev, `<b>${esc(d.label)}</b><br>at ${fmt(d.at)}`)).on('mouseleave', hideTip);
  // regions strip
  const ry = 36 + 14 * markRows + 4;
  const r = g.selectAll('g.region').data(regions).join('g').attr('class', 'region');
  r.append('rect')
    .attr('x', (d) => x(d.start))
    .attr('y', ry)
    .attr('width', (d) => Math.max(1, x(d.end) - x(d.start)))
    .attr('height', 12)
    .attr('fill', (d) => ({ firmware: '#b9a', boot: '#cb8', kernel: '#8ab', user: '#9c9' })[d.key] ?? '#ccc');
  r.filter((d) => x(d.end) - x(d.start) > 40)
    .append('text')
    .attr('class', 'region-label')
    .attr('x', (d) => x(d.start) + 3)
    .attr('y', ry + 10)
    .text((d) => d.label);
  svg
    .append('g')
    .attr('transform', `translate(1,${ry + 14})`)
    .call(
      axisBottom(x)
        .ticks(Math.max(2, Math.floor(W / 110)))
        .tickFormat((v) => fmt(Number(v))),
    );
}

function regionsOf(ms: Record<string, CellValue>[], end: number, at: (m: Record<string, CellValue>) => number): Segment[] {
  const t = (k: string): number | null => {
    const m = ms.find((r) => r.milestone === k);
    return m ? at(m) : null;
  };
  const bounds: [string, string, number | null][] = [
    ['firmware', 'firmware', t('firmware')],
    ['boot', 'boot loader', t('boot_loader')],
    ['kernel', 'kernel', t('kernel_entry') ?? (S.starts_in === 'kernel' ? 0 : null)],
    ['user', 'user space', t('first_user')],
  ];
  const known = bounds.filter((b) => b[2] !== null) as [string, string, number][];
  return known.map(([key, label, start], i) => ({ key, label, start, end: i + 1 < known.length ? known[i + 1][2] : end }));
}

function glance(): void {
  const phases = objects('phases');
  const ms = objects('milestones');
  if (!phases.length && !ms.length) return;
  const s = section(
    'glance',
    'The boot at a glance',
    'Phases between milestones (hover for durations); markers: milestones; strip: firmware, boot loader, kernel, user space.',
  );
  if (isDiff) {
    const insns = S.weight === 'insns' && phases.some((p) => p.a_insns !== undefined);
    const get = (p: Record<string, CellValue>, side: 'a' | 'b'): number => Number((insns ? p[`${side}_insns`] : p[`${side}_duration_ns`]) ?? 0);
    const fmt = (v: number): string => (insns ? fmtInt(Math.round(v)) : fmtDuration(v));
    const totals = (['a', 'b'] as const).map((side) => phases.reduce((t, p) => t + get(p, side), 0));
    const domain = Math.max(1, ...totals);
    for (const side of ['a', 'b'] as const) {
      let at = 0;
      const segs: Segment[] = phases.map((p) => {
        const d = get(p, side);
        const sgm = { key: String(p.phase), label: String(p.label), start: at, end: at + d };
        at += d;
        return sgm;
      });
      const marks = ms
        .filter((m) => m[`${side}_time_ns`] !== null && m[`${side}_time_ns`] !== undefined)
        .map((m) => ({ label: String(m.label), at: Number(insns ? m[`${side}_insns`] : m[`${side}_time_ns`]) }));
      const reg = regionsOf(ms, totals[side === 'a' ? 0 : 1], (m) => Number(insns ? m[`${side}_insns`] : m[`${side}_time_ns`]));
      drawBar(
        s,
        `${side.toUpperCase()}: ${String((S[side] as Record<string, unknown>).input)}${insns ? ' (instructions)' : ''}`,
        segs,
        marks,
        reg,
        domain,
        fmt,
      );
    }
    return;
  }
  const end = Number(S.span_ns ?? 0);
  const segs: Segment[] = phases.map((p) => ({
    key: String(p.phase),
    label: String(p.label),
    start: Number(p.start_ns),
    end: Number(p.end_ns),
    extra: p.insns !== undefined && p.insns !== null ? `<br>${fmtInt(Number(p.insns))} instructions` : '',
  }));
  const marks = ms.map((m) => ({ label: String(m.label), at: Number(m.time_ns) }));
  drawBar(
    s,
    'traced span',
    segs,
    marks,
    regionsOf(ms, end, (m) => Number(m.time_ns)),
    Math.max(1, end),
    fmtTime,
  );
}

// ---------- 3. per-vCPU lanes ----------
interface Bar {
  start: number;
  end: number;
  name: string;
  insns: number | null;
  calls: number;
}
function lanes(): void {
  const vcpus = objects('vcpu_lanes');
  if (!vcpus.length) return;
  const inits = objects('initcalls');
  const ticks = objects('syscall_ticks');
  const span = Math.max(1, Number(S.span_ns ?? 0));
  const s = section(
    'lanes',
    'Per-vCPU lanes',
    'Grey: the vCPU is running (from its first event: application processors start at their bring-up). Bars: initcalls at their start, as long as they ran. Ticks: system calls. Wheel or pinch to zoom the time axis, drag to pan, double-click to reset.',
  );
  const nv = vcpus.length;
  const laneH = nv <= 8 ? 26 : nv <= 32 ? 14 : 6;
  const labelW = 56;
  const byCpu = new Map<number, { inits: Bar[]; ticks: Bar[] }>();
  for (const v of vcpus) byCpu.set(Number(v.cpu), { inits: [], ticks: [] });
  for (const r of inits) {
    const l = byCpu.get(Number(r.cpu));
    const st = Number(r.start_ns);
    l?.inits.push({ start: st, end: st + Number(r.duration_ns), name: String(r.initcall), insns: r.insns === undefined ? null : Number(r.insns), calls: 1 });
  }
  for (const r of ticks) {
    const l = byCpu.get(Number(r.cpu));
    const st = Number(r.start_ns);
    l?.ticks.push({ start: st, end: st + Number(r.duration_ns), name: String(r.name), insns: null, calls: Number(r.calls) });
  }
  for (const l of byCpu.values()) {
    l.inits.sort((a, b) => a.start - b.start);
    l.ticks.sort((a, b) => a.start - b.start);
  }
  const wrap = s.append('div').attr('class', 'lanes');
  const W = width(wrap.node() as HTMLElement) - labelW;
  const axisSvg = wrap
    .append('svg')
    .attr('width', W + labelW)
    .attr('height', 24)
    .attr('class', 'lanes-axis');
  const axisG = axisSvg.append('g').attr('transform', 'translate(0,22)');
  const scroll = wrap
    .append('div')
    .attr('class', 'lanes-scroll')
    .style('max-height', `${Math.min(nv * laneH + 4, 520)}px`);
  const H = nv * laneH;
  const dpr = window.devicePixelRatio || 1;
  const canvas = scroll
    .append('canvas')
    .attr('width', Math.round((W + labelW) * dpr))
    .attr('height', Math.round(H * dpr))
    .style('width', `${W + labelW}px`)
    .style('height', `${H}px`);
  const ctx = (canvas.node() as HTMLCanvasElement).getContext('2d')!;
  const x0 = scaleLinear()
    .domain([0, span])
    .range([labelW, labelW + W]);
  let x: ScaleLinear<number, number> = x0;
  const cpus = vcpus.map((v) => Number(v.cpu));

  function firstVisible(bars: Bar[], t: number): number {
    // bars sorted by start: the first whose start >= t, less one (it may reach into view)
    let lo = 0;
    let hi = bars.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (bars[mid].start < t) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(0, lo - 1);
  }
  function draw(): void {
    const t0 = performance.now();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W + labelW, H);
    const [d0, d1] = x.domain();
    ctx.font = `${Math.min(12, laneH - 2)}px system-ui, sans-serif`;
    cpus.forEach((cpu, i) => {
      const y = i * laneH;
      const v = vcpus[i];
      ctx.fillStyle = i % 2 ? '#fafafa' : '#f2f2f2';
      ctx.fillRect(labelW, y, W, laneH);
      const a = Math.max(labelW, x(Number(v.first_ns)));
      const b = Math.min(labelW + W, x(Number(v.last_ns)));
      if (b > a) {
        ctx.fillStyle = '#dcdcdc';
        ctx.fillRect(a, y + laneH * 0.35, Math.max(1, b - a), laneH * 0.3);
      }
      const l = byCpu.get(cpu)!;
      // initcalls: only those in view; one pixel at least
      let lastPx = -1;
      for (let k = firstVisible(l.inits, d0); k < l.inits.length && l.inits[k].start <= d1; k++) {
        const r = l.inits[k];
        if (r.end < d0) continue;
        const px = Math.max(labelW, x(r.start));
        const w = Math.min(labelW + W, x(r.end)) - px;
        if (w < 1 && Math.floor(px) === lastPx) continue;
        lastPx = Math.floor(px);
        ctx.fillStyle = hue(r.name);
        ctx.fillRect(px, y + 1, Math.max(1, w), laneH * 0.62);
        if (w > 60 && laneH >= 14) {
          ctx.fillStyle = '#222';
          ctx.save();
          ctx.beginPath();
          ctx.rect(px, y, w, laneH);
          ctx.clip();
          ctx.fillText(r.name, px + 3, y + laneH * 0.5);
          ctx.restore();
        }
      }
      ctx.fillStyle = '#c0392b';
      lastPx = -1;
      for (let k = firstVisible(l.ticks, d0); k < l.ticks.length && l.ticks[k].start <= d1; k++) {
        const r = l.ticks[k];
        const px = Math.floor(x(r.start));
        if (px === lastPx || r.end < d0) continue;
        lastPx = px;
        ctx.fillRect(Math.max(labelW, px), y + laneH * 0.7, Math.max(1, Math.min(labelW + W, x(r.end)) - px), laneH * 0.28);
      }
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, y, labelW - 2, laneH);
      ctx.fillStyle = '#333';
      if (laneH >= 10 || i % 8 === 0) ctx.fillText(`vCPU ${cpu}`, 2, y + Math.min(laneH - 2, 12));
    });
    axisG.call(
      axisTop(x)
        .ticks(Math.max(2, Math.floor(W / 110)))
        .tickFormat((t) => fmtTime(Number(t))),
    );
    state.lastLanesDrawMs = performance.now() - t0;
    state.lanesDraws++;
  }
  let pending = false;
  const z = zoom<HTMLCanvasElement, unknown>()
    .scaleExtent([1, Math.max(2, span / 1000)])
    .translateExtent([
      [labelW, 0],
      [labelW + W, H],
    ])
    .extent([
      [labelW, 0],
      [labelW + W, H],
    ])
    .filter((ev: Event) => !(ev.type === 'wheel' && (ev as WheelEvent).shiftKey) && !(ev as MouseEvent).button)
    .on('zoom', (ev: { transform: ZoomTransform }) => {
      x = ev.transform.rescaleX(x0);
      if (!pending) {
        pending = true;
        requestAnimationFrame(() => {
          pending = false;
          draw();
        });
      }
    });
  const cnode = canvas.node() as HTMLCanvasElement;
  select(cnode).call(z).on('dblclick.zoom', null);
  cnode.addEventListener('dblclick', () => select(cnode).call(z.transform, zoomIdentity));
  cnode.addEventListener('mousemove', (ev: MouseEvent) => {
    const rect = cnode.getBoundingClientRect();
    const px = ev.clientX - rect.left;
    const lane = Math.floor((ev.clientY - rect.top) / laneH);
    if (px < labelW || lane < 0 || lane >= nv) return hideTip();
    const t = x.invert(px);
    const slack = x.invert(px + 3) - t;
    const l = byCpu.get(cpus[lane])!;
    const hit = (bars: Bar[]): Bar | undefined => {
      for (let k = firstVisible(bars, t + slack); k >= 0 && k < bars.length && bars[k].start <= t + slack; k--) if (bars[k].end >= t - slack) return bars[k];
      return undefined;
    };
    const yIn = (ev.clientY - rect.top) % laneH;
    const tick = yIn >= laneH * 0.66 ? hit(l.ticks) : undefined;
    const bar = tick ?? hit(l.inits);
    if (!bar) {
      const v = vcpus[lane];
      return showTip(ev, `<b>vCPU ${cpus[lane]}</b> (thread ${v.tid})<br>first event ${fmtTime(Number(v.first_ns))}<br>last ${fmtTime(Number(v.last_ns))}`);
    }
    if (tick)
      return showTip(
        ev,
        tick.calls > 1
          ? `<b>${fmtInt(tick.calls)} system calls</b><br>${fmtTime(tick.start)} – ${fmtTime(tick.end)}`
          : `<b>${esc(tick.name)}</b> (system call)<br>start ${fmtTime(tick.start)}<br>duration ${fmtDuration(tick.end - tick.start)}`,
      );
    showTip(
      ev,
      `<b>${esc(bar.name)}</b> (initcall, vCPU ${cpus[lane]})<br>start ${fmtTime(bar.start)}<br>duration ${fmtDuration(bar.end - bar.start)}${bar.insns !== null ? `<br>${fmtInt(bar.insns)} instructions` : ''}`,
    );
  });
  cnode.addEventListener('mouseleave', hideTip);
  draw();
  (window as unknown as { bootprofZoomLanes: (k: number) => void }).bootprofZoomLanes = (k: number) => {
    select(cnode).call(z.scaleBy, k, [labelW + W / 2, 0]);
  };
}

// ---------- 4. flame graph ----------
function flame(): void {
  const f = data.flame;
  if (!f || f.kept === 0) return;
  const w = isDiff ? String(S.weight ?? 'time') : f.weight;
  const weight = w.includes('insns') ? 'insns' : w === 'events' ? 'events' : 'time';
  const fw = (v: number): string => fmtWeight(v, weight === 'time' ? 'ns' : weight);
  const note = isDiff
    ? `Both boots' call trees merged: width is B's ${weight === 'insns' ? 'instructions' : weight}; red grew from A to B, blue shrank (deeper colour, larger change). Click a frame to zoom in; click the root to zoom out.`
    : `The reconstructed call tree, callers above callees, width by ${weight === 'insns' ? 'guest instructions' : weight === 'events' ? 'events' : 'host time'}. Click a frame to zoom in; click the root to zoom out.`;
  const s = section('flame', isDiff ? 'Differential flame graph' : 'Flame graph (icicle)', note);
  const bar = s.append('div').attr('class', 'flame-bar');
  const input = bar.append('input').attr('type', 'search').attr('placeholder', 'search frames (substring)').attr('id', 'flame-search');
  const details = bar.append('span').attr('class', 'flame-details').attr('id', 'flame-details');
  if (f.kept < f.nodes)
    s.append('p')
      .attr('class', 'note')
      .text(`${fmtInt(f.kept)} of ${fmtInt(f.nodes)} call-tree nodes drawn (those at 0.01% or more of the whole); the rest is in the JSON report.`);
  // the tree from the kept nodes
  const nodes: FlameNode[] = f.parent.map((_p, i) => ({ name: f.names[f.name[i]], value: f.value[i], ...(f.delta ? { delta: f.delta[i] } : {}) }));
  const root: FlameNode = { name: 'all', value: f.total, children: [] };
  if (f.delta) root.delta = f.delta.reduce((t, d, i) => (f.parent[i] === -1 ? t + d : t), 0);
  f.parent.forEach((p, i) => {
    const into = p === -1 ? root : nodes[p];
    (into.children ??= []).push(nodes[i]);
  });
  const holder = s.append('div').attr('id', 'flame-chart');
  const W = width(holder.node() as HTMLElement);
  const total = f.total;
  const chart = flamegraph()
    .width(W)
    .cellHeight(18)
    .inverted(true)
    .sort(true)
    .minFrameSize(1)
    .transitionDuration(0)
    .setLabelHandler((d: Frame) => {
      const dl = isDiff && d.data.delta !== undefined ? `, ${d.data.delta >= 0 ? '+' : ''}${fw(d.data.delta)} from A` : '';
      return `${d.data.name}: ${fw(d.value)} (${pct(d.value, total)})${dl}`;
    })
    .setSearchMatch((d: Frame, term: string) => !!term && d.data.name.toLowerCase().includes(term.toLowerCase()))
    .setSearchHandler((results: Frame[], sum: number) => {
      details.text(input.property('value') ? `${fmtInt(results.length)} frames match, ${fw(sum)}: ${pct(sum, total)} of the whole` : '');
    })
    .setDetailsElement(null)
    .onHover((d: Frame) => details.text(`${d.data.name}: ${fw(d.value)} (${pct(d.value, total)})`));
  // red grew, blue shrank, grey unchanged; the deeper the colour, the larger the change against the
  // frame's width (square root: small changes stay visible). d3-flame-graph's own differential mapper
  // turns small increases pale cyan, which reads as the wrong sign.
  if (isDiff)
    chart.setColorMapper((d: Frame, original: string) => {
      if ((d as Frame & { highlight?: boolean }).highlight) return original;
      const delta = d.data.delta ?? 0;
      const t = Math.min(1, Math.sqrt(Math.abs(delta) / Math.max(d.value, Math.abs(delta), 1)));
      const c = Math.round(232 - 200 * t);
      return delta > 0 ? `rgb(240,${c},${c})` : delta < 0 ? `rgb(${c},${c},240)` : 'rgb(224,224,224)';
    });
  select(holder.node() as HTMLElement)
    .datum(root)
    .call(chart as unknown as (sel: unknown) => void);
  input.on('input', () => {
    const term = String(input.property('value') ?? '');
    if (term) chart.search(term);
    else {
      chart.clear();
      details.text('');
    }
  });
}

// ---------- 5. tables ----------
const NUMERIC = new Set(['count', 'duration', 'time', 'percent', 'index']);
const HIDDEN_TABLES = new Set(['vcpu_lanes', 'syscall_ticks', 'phase_idle']);
const MAX_ROWS = 500;
function tables(): void {
  const titles = new Map(data.sections.filter((x) => x.table).map((x) => [x.table!, x.title ?? x.table!]));
  const order = ['functions', 'initcalls', 'syscalls', 'milestones', 'phases'];
  const shown = data.tables.filter((t) => !HIDDEN_TABLES.has(t.name)).sort((a, b) => rank(a.name) - rank(b.name));
  function rank(n: string): number {
    const i = order.indexOf(n);
    return i < 0 ? order.length : i;
  }
  if (!shown.length) return;
  const s = section('tables', 'Tables', 'Click a column heading to sort by it (again: the other way); type to filter rows by name.');
  for (const t of shown) {
    const box = s.append('div').attr('class', 'table-box').attr('id', `table-${t.name}`);
    box
      .append('h3')
      // the terminal's titles count what the terminal shows ("top 25 of 1,359"): the page shows every row
      .text(titles.get(t.name)?.replace(/\s*\([^()]*\)$/, '') ?? t.name)
      .attr('title', t.doc);
    const controls = box.append('div').attr('class', 'table-controls');
    const filter = controls.append('input').attr('type', 'search').attr('placeholder', 'filter').attr('class', 'table-filter');
    const count = controls.append('span').attr('class', 'table-count');
    if (!t.rows.length) {
      filter.remove();
      count.text('(none in this trace)');
      continue;
    }
    const tbl = box.append('table');
    const head = tbl.append('thead').append('tr');
    const body = tbl.append('tbody');
    let sortCol = -1;
    let desc = true;
    const textCols = t.columns.map((c, i) => (c.kind === 'text' ? i : -1)).filter((i) => i >= 0);
    head
      .selectAll('th')
      .data(t.columns)
      .join('th')
      .attr('title', (c) => c.doc)
      .attr('class', (c) => (NUMERIC.has(c.kind) ? 'num' : ''))
      .text((c) => c.key)
      .on('click', (_ev, c) => {
        const i = t.columns.indexOf(c);
        desc = sortCol === i ? !desc : NUMERIC.has(c.kind);
        sortCol = i;
        render();
      });
    function render(): void {
      const term = String(filter.property('value') ?? '').toLowerCase();
      let rows = term
        ? t.rows.filter((r) =>
            textCols.some((i) =>
              String(r[i] ?? '')
                .toLowerCase()
                .includes(term),
            ),
          )
        : t.rows.slice();
      if (sortCol >= 0) {
        const i = sortCol;
        const sign = desc ? -1 : 1;
        rows = rows.sort((a, b) => {
          const x = a[i];
          const y = b[i];
          if (x === y) return 0;
          if (x === null || x === undefined) return 1;
          if (y === null || y === undefined) return -1;
          return (x < y ? -1 : 1) * sign;
        });
      }
      head.selectAll<HTMLTableCellElement, unknown>('th').attr('aria-sort', (_c, i) => (i === sortCol ? (desc ? 'descending' : 'ascending') : null));
      const cut = rows.slice(0, MAX_ROWS);
      count.text(
        rows.length > MAX_ROWS ? `${fmtInt(MAX_ROWS)} of ${fmtInt(rows.length)} rows shown (filter or sort for others)` : `${fmtInt(rows.length)} rows`,
      );
      body
        .selectAll('tr')
        .data(cut)
        .join('tr')
        .selectAll('td')
        .data((r) => r.map((v, i) => ({ v, c: t.columns[i] })))
        .join('td')
        .attr('class', (d) => (NUMERIC.has(d.c.kind) ? 'num' : ''))
        .attr('data-v', (d) => (d.v === null ? '' : String(d.v)))
        .text((d) => fmtCell(d.v, d.c.kind));
    }
    filter.on('input', render);
    render();
  }
}

// ---------- the page ----------
function main(): void {
  header();
  glance();
  lanes();
  flame();
  tables();
  state.readyMs = performance.now();
  state.ready = true;
  document.body.setAttribute('data-ready', '1');
}
try {
  main();
} catch (e) {
  app
    .append('pre')
    .attr('class', 'error')
    .text(`This report failed to draw: ${String(e)}`);
  throw e;
}
