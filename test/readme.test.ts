/**
 * Every README example block that starts with a `$ ` line running bootprof (`$ bootprof ...`, or a
 * pipe into it) is real: each `$ ` line of such a block runs
 * (in sh, `bootprof` = `node bin/bootprof.js`, from the repository root, stdout and stderr pipes,
 * NO_COLOR) on the committed samples, and its stdout must be the block's lines up to the next `$ `
 * line, except those starting with `bootprof: `, which are its stderr (none shown: none written).
 * A plain `bootprof ...` runs in this process, and so does the bootprof at the head of a pipe into
 * other tools (`| head -12`: its whole output goes through the rest of the pipeline in sh); a
 * pipeline that feeds bootprof's stdin runs as written.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

const ROOT = new URL('../', import.meta.url).pathname;

export interface Example {
  command: string;
  stdout: string;
  stderr: string;
}

/** The bootprof examples of a markdown text, in order. */
export function readmeExamples(md: string): Example[] {
  const out: Example[] = [];
  const blocks = md.split(/^```[^\n]*\n/m).filter((_, i) => i % 2 === 1);
  for (const block of blocks) {
    if (!/^\$ (bootprof\b|[^\n]*\| bootprof\b)/.test(block)) continue;
    let cur: { command: string; lines: string[] } | null = null;
    const flush = (): void => {
      if (!cur) return;
      const text = (lines: string[]): string => (lines.length ? lines.join('\n') + '\n' : '');
      out.push({
        command: cur.command,
        stdout: text(cur.lines.filter((l) => !l.startsWith('bootprof: '))),
        stderr: text(cur.lines.filter((l) => l.startsWith('bootprof: '))),
      });
    };
    for (const line of block.replace(/\n$/, '').split('\n')) {
      if (line.startsWith('$ ')) {
        flush();
        cur = { command: line.slice(2), lines: [] };
      } else cur!.lines.push(line);
    }
    flush();
  }
  return out;
}

/**
 * The words of a command that is one `bootprof ...` with plain or single-quoted words and nothing
 * a shell would act on (pipes, redirections, variables, stdin), else null.
 */
export function plainWords(command: string): string[] | null {
  if (!/^bootprof /.test(command) || /[|;&<>`$\\"]/.test(command) || / - /.test(command + ' ')) return null;
  const words: string[] = [];
  const re = /'([^']*)'|(\S+)/g;
  for (let m = re.exec(command); m; m = re.exec(command)) words.push(m[1] ?? m[2]);
  return words;
}

/**
 * A command that is one plain `bootprof ...` piped into commands that are not bootprof (`| head -12`,
 * `| grep ...`): its bootprof words and the rest of the pipeline, else null.
 */
export function pipedWords(command: string): { words: string[]; rest: string } | null {
  const bar = command.indexOf(' | ');
  if (bar < 0) return null;
  const rest = command.slice(bar + 3);
  if (/\bbootprof\b/.test(rest)) return null;
  const words = plainWords(command.slice(0, bar));
  return words ? { words, rest } : null;
}

const examples = readmeExamples(readFileSync(ROOT + 'README.md', 'utf8'));

/**
 * In-process runs by their words, each made once: two examples cut the same output two ways (head
 * and tail, head and grep). An output is let go after the last example that reads it.
 */
const runs = new Map<string, { left: number; run?: ReturnType<typeof cli> }>();
for (const e of examples) {
  const p = pipedWords(e.command);
  if (p) {
    const key = p.words.slice(1).join('\0');
    runs.set(key, { left: (runs.get(key)?.left ?? 0) + 1 });
  }
}
function runOnce(words: string[]): ReturnType<typeof cli> {
  const r = runs.get(words.join('\0'))!;
  const run = (r.run ??= cli(...words));
  if (--r.left === 0) r.run = undefined;
  return run;
}

describe('README examples', () => {
  it('are found, and use only the committed samples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(10);
    for (const e of examples) {
      for (const word of e.command.split(/\s+/)) if (/\.(log|gz|txt|map|json|csv)\b|System\.map/.test(word)) expect(word, e.command).toMatch(/^samples\//);
    }
  });

  for (const e of examples) {
    const words = plainWords(e.command);
    const piped = pipedWords(e.command);
    it(e.command, async () => {
      if (words) {
        // one bootprof command, no pipe or redirection: run in this process (what a spawn adds is
        // tested by the examples that read stdin and by the CLI tests)
        const r = await cli(...words.slice(1));
        expect(r.out).toBe(e.stdout);
        expect(r.err).toBe(e.stderr);
        expect(r.code).toBe(0);
        return;
      }
      if (piped) {
        // one bootprof command piped into others (head, tail, grep): bootprof in this process, its
        // whole output through the rest of the pipeline in sh (a reader that stops early is tested
        // on the real binary in reliability/cli-errors.test.ts)
        const r = await runOnce(piped.words.slice(1));
        expect(r.code).toBe(0);
        const sh = spawnSync('sh', ['-c', piped.rest], {
          cwd: ROOT,
          encoding: 'utf8',
          input: r.out,
          env: { ...process.env, NO_COLOR: '1' },
          maxBuffer: 1 << 26,
        });
        expect(sh.stdout).toBe(e.stdout);
        expect(r.err + sh.stderr).toBe(e.stderr);
        expect(sh.status).toBe(0);
        return;
      }
      const sh = e.command.replace(/(^|[|;&]\s*)bootprof\b/g, '$1node bin/bootprof.js');
      const r = spawnSync('sh', ['-c', sh], { cwd: ROOT, encoding: 'utf8', input: '', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 26 });
      expect(r.stdout).toBe(e.stdout);
      expect(r.stderr).toBe(e.stderr);
      expect(r.status).toBe(0);
    });
  }
});
