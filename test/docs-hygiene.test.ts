/** What users read speaks of the product: no internal tracker references or machine paths. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../', import.meta.url).pathname;
const SELF = new URL(import.meta.url).pathname;

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'fixtures' && name !== 'node_modules' && name !== 'data') files(p, out);
    } else if (/\.(md|ts|mjs|js|sh|awk)$/.test(name) && p !== SELF) out.push(p);
  }
  return out;
}

const PATTERNS: [string, RegExp][] = [
  ['an issue number', /\bissues? #?\d+/i],
  ['a #number reference', /(^|[\s(])#\d+\b/],
  ['a card', /\bcards?\b/i],
  ['a development machine path', /\/work\/|\.\.\/shared\b|\bshared\/(data|tools)\b/],
];

describe('docs, code and tests', () => {
  it('mention no issue numbers, cards or machine paths', () => {
    const all = [join(ROOT, 'README.md'), ...['docs', 'src', 'test', 'bench', 'scripts', 'asm', 'bin'].flatMap((d) => files(join(ROOT, d)))];
    expect(all.length).toBeGreaterThan(50);
    const found: string[] = [];
    for (const f of all) {
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          for (const [what, re] of PATTERNS) if (re.test(line)) found.push(`${relative(ROOT, f)}:${i + 1}: ${what}: ${line.trim()}`);
        });
    }
    expect(found).toEqual([]);
  });
});
