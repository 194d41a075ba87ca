/**
 * `bootprof record [options] -- qemu-system-ARCH ARGS...`: runs the user's QEMU command with the
 * tracing the analysis needs (io/qemu.ts), reads QEMU's log through a FIFO while the guest boots
 * (the report's analyses, call stacks and per-vCPU lanes included: one pass), and when QEMU exits
 * writes DIR/report.json, DIR/report.html and DIR/cmdline.txt. The trace never touches the disk
 * unless --save-trace asks for it (gzip, written as it is read). If bootprof falls behind, QEMU
 * blocks on the FIFO: nothing is dropped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, constants as fsConstants, createWriteStream, mkdirSync, openSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createGzip, constants as zlibConstants } from 'node:zlib';
import { BootprofError } from '../io/errors.js';
import { findBinary, planQemu, shellQuote } from '../io/qemu.js';
import { coalesced, openSource, withRead, type ByteSource } from '../io/source.js';
import type { ResultDocument } from '../model/table.js';
import { writeDocument } from '../output/document.js';
import { openOutput } from '../output/sink.js';
import { formatCount } from '../output/units.js';
import { loadSymbols, type InputOptions } from '../pipeline.js';
import { LiveStatus, type Reached } from '../analyze/live.js';
import { progressStyle } from '../output/progress.js';
import { inputOptions, warn, type CommonOptions } from './common.js';
import { analyzeReport, reportTables } from './report.js';

export interface RecordOptions extends CommonOptions {
  out?: string;
  saveTrace?: string;
  report?: string;
  duration?: string;
}

/** Exit status of an interrupted recording (results for what was captured are written). */
export const EXIT_INTERRUPTED = 130;
const REPORTS = ['html', 'json'] as const;

function parseReports(v: string | undefined): string[] {
  const list = (v ?? 'html,json').split(',').filter(Boolean);
  for (const r of list) if (!(REPORTS as readonly string[]).includes(r)) throw new BootprofError('E_USAGE', `--report must list html and/or json (got '${v}')`);
  return list;
}

function parseDuration(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !(s > 0)) throw new BootprofError('E_USAGE', `--duration must be a number of seconds > 0 (got '${v}')`);
  return s;
}

/** Creates DIR (and parents) and proves it writable before QEMU starts. */
function prepareDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    const probe = join(dir, `.bootprof-probe-${process.pid}`);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BootprofError('E_OUTPUT', `--out ${dir}: cannot write there (${code ?? String(err)})`);
  }
}

function defaultDir(): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  return `bootprof-record-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/**
 * A gzip copy of everything read from `src` (--save-trace), renamed into place by `finish()`. Not
 * openOutput: its signal hook discards the temp file on Ctrl-C, and record keeps what was captured.
 */
function teeToGzip(src: ByteSource, path: string): { source: ByteSource; finish(): Promise<void> } {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const file = createWriteStream(temp);
  const gz = createGzip({ level: zlibConstants.Z_BEST_SPEED });
  gz.pipe(file);
  const source = withRead(src, async (buf, off, len) => {
    const n = await src.read(buf, off, len);
    if (n > 0 && !gz.write(Buffer.from(buf.subarray(off, off + n)))) await once(gz, 'drain');
    return n;
  });
  return {
    source,
    async finish() {
      gz.end();
      await once(file, 'close');
      renameSync(temp, path);
    },
  };
}

/**
 * The live view on stderr: each milestone as a line when it is reached; with the console in a file
 * (--quiet) and stderr a terminal, also a status line (events, the last milestone) redrawn in place;
 * with --quiet and stderr no terminal, nothing.
 */
function liveStatus(quiet: boolean): { report: (reached: Reached[], events: number) => void; stop(): void } {
  const tty = quiet && progressStyle(process.stderr.isTTY) !== 'none';
  const t0 = Date.now();
  let last = 'waiting for the first milestone';
  let drawn = false;
  const clear = (): void => {
    if (drawn) process.stderr.write('\r\x1b[K');
    drawn = false;
  };
  return {
    report(reached, events) {
      if (quiet && !tty) return; // --quiet into a file or pipe: nothing
      if (reached.length) clear();
      for (const m of reached) {
        last = `${m.label} at ${(m.time / 1e9).toFixed(3)} s`;
        process.stderr.write(`bootprof: ${last} (event ${formatCount(m.events)})\n`);
      }
      if (!tty) return;
      const s = (Date.now() - t0) / 1000;
      process.stderr.write(`\r\x1b[Krecording: ${formatCount(events)} events in ${s.toFixed(0)} s; last: ${last}`);
      drawn = true;
    },
    stop: clear,
  };
}

export async function recordCommand(qemu: string[], o: RecordOptions): Promise<void> {
  const reports = parseReports(o.report);
  const duration = parseDuration(o.duration);
  const dir = resolve(o.out ?? defaultDir());
  const fifo = join(dir, `.trace.${process.pid}.fifo`);
  const plan = planQemu(qemu, fifo);
  const binary = findBinary(plan.binary);
  // the options every trace-reading command turns into input options; the trace is QEMU's log in the FIFO
  const input: InputOptions = { ...inputOptions(fifo, o), inputFormat: o.inputFormat ?? 'qemu-log', progress: false };
  prepareDir(dir);
  // symbols before QEMU starts: a bad map fails at once
  const symbols = await loadSymbols(input);
  const made = spawnSync('mkfifo', ['-m', '600', fifo], { encoding: 'utf8' });
  if (made.status !== 0) throw new BootprofError('E_OUTPUT', `${fifo}: cannot make a FIFO (${(made.stderr || String(made.error ?? '')).trim()})`);
  const removeFifo = (): void => rmSync(fifo, { force: true });
  process.on('exit', removeFifo);

  const consoleFd = o.quiet ? openSync(join(dir, 'console.txt'), 'w') : null;
  const child = spawn(binary, plan.args, { stdio: [o.quiet ? 'ignore' : 'inherit', consoleFd ?? 'inherit', 'pipe'] });
  let stderrTail = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (!o.quiet) process.stderr.write(d);
    stderrTail = (stderrTail + d.toString('utf8')).slice(-2000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((res) => {
    child.on('error', (error) => res({ code: null, signal: null, error }));
    child.on('exit', (code, signal) => res({ code, signal }));
  });
  let stopped: 'duration' | 'interrupted' | null = null;
  const stop = (why: 'duration' | 'interrupted'): void => {
    if (stopped) return;
    stopped = why;
    child.kill('SIGTERM');
  };
  const timer = duration !== undefined ? setTimeout(() => stop('duration'), duration * 1000) : null;
  const onInt = (): void => stop('interrupted');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onInt);

  // QEMU opens its log at start-up; if it exits first, our open of the FIFO would wait forever:
  // open it for writing once (and close it) so the read side sees the end
  let opened = false;
  let unblock: NodeJS.Timeout | null = null;
  void exited.then(() => {
    if (opened) return;
    const poke = (): void => {
      if (opened) return;
      try {
        closeSync(openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK));
      } catch {
        /* no reader yet: try again */
      }
    };
    poke();
    unblock = setInterval(poke, 100);
  });

  let doc: ResultDocument | null = null;
  let events = 0;
  let failure: unknown = null;
  let tee: ReturnType<typeof teeToGzip> | null = null;
  try {
    const fifoSource = await openSource(fifo);
    opened = true;
    // QEMU writes its log a few KiB at a time: reads are gathered into chunks of 256 KiB (or 20 ms);
    // messages and the report name the QEMU run, not the FIFO
    let source: ByteSource = { ...coalesced(fifoSource), name: `${basename(plan.binary)} (live)` };
    if (o.saveTrace) {
      tee = teeToGzip(source, resolve(o.saveTrace));
      source = tee.source;
    }
    const status = liveStatus(!!o.quiet);
    const r = await analyzeReport({ ...input, source }, symbols, {
      stacks: true,
      lanes: true,
      more: (info) => [new LiveStatus(info.names, status.report)],
    });
    status.stop();
    doc = r.doc;
    events = (r.doc.summary as { events: number }).events;
  } catch (err) {
    failure = err;
  } finally {
    opened = true;
    if (unblock) clearInterval(unblock);
  }
  // the log ended: QEMU has exited or is exiting
  const status = await exited;
  if (unblock) clearInterval(unblock);
  if (timer) clearTimeout(timer);
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onInt);
  if (consoleFd !== null) closeSync(consoleFd);
  if (tee) await tee.finish().catch((err: unknown) => warn(`--save-trace ${o.saveTrace}: ${String(err)}`));
  removeFifo();

  const qemuText = status.error
    ? `${plan.binary} failed to start: ${status.error.message}`
    : status.signal
      ? `${plan.binary} ended by ${status.signal}${stopped ? ` (${stopped === 'duration' ? `--duration ${o.duration}` : 'interrupted'})` : ''}`
      : `${plan.binary} exited with status ${status.code}`;
  const qemuFailed = !!status.error || (!stopped && status.code !== 0);
  const lastWords = stderrTail.trim() ? `; its last words: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}` : '';
  if (failure) {
    if (failure instanceof BootprofError && failure.code === 'E_EMPTY') throw new BootprofError('E_EMPTY', `QEMU wrote no trace (${qemuText})${lastWords}`);
    throw failure;
  }
  if (!doc) throw new BootprofError('E_EMPTY', `QEMU wrote no trace (${qemuText})${lastWords}`);

  const partial = stopped !== null || qemuFailed;
  const why =
    stopped === 'duration'
      ? `stopped after ${o.duration} s (--duration)`
      : stopped === 'interrupted'
        ? 'interrupted'
        : qemuFailed
          ? `QEMU failed mid-boot (${qemuText})`
          : '';
  const recordLine = `recorded: ${formatCount(events)} events from ${shellQuote([plan.binary])}; ${qemuText}${partial ? `; PARTIAL: ${why}` : ''}`;
  const recorded: ResultDocument = {
    ...doc,
    lines: [recordLine, ...doc.lines],
    summary: { ...doc.summary, truncated: (doc.summary as { truncated?: boolean }).truncated || partial },
  };

  writeFileSync(join(dir, 'cmdline.txt'), shellQuote([binary, ...plan.args]) + '\n');
  for (const f of reports) await writeDocument(f, { ...recorded, tables: reportTables(recorded, f) }, openOutput(join(dir, `report.${f}`)));
  if (!o.quiet) {
    process.stderr.write(recorded.lines.join('\n') + '\n');
    process.stderr.write(`written: ${reports.map((f) => join(dir, `report.${f}`)).join(', ')}${o.saveTrace ? `, ${o.saveTrace}` : ''}\n`);
  }
  if (qemuFailed) {
    warn(`${qemuText}: results are partial${lastWords}`);
    process.exitCode = 2;
  } else if (stopped === 'interrupted') process.exitCode = EXIT_INTERRUPTED;
}
