/**
 * What the window tests of syscalls, initcalls, timeline, report and diff share: one boot built from
 * excerpts of the committed samples (in time order) and the first initcalls, and a command's JSON
 * document validated against its schema when asked.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { afterAll, expect } from 'vitest';
import { sampleLines } from './formats-helpers.js';
import { cli } from './helpers.js';

export const MAP = 'samples/System.map-6.1.0-47-cloud-amd64.gz';

export type Row = Record<string, number | string | boolean | null>;
export type Doc = Record<string, Row[]> & { summary: Record<string, unknown> & { window?: Row } };

const lines = (s: string, from: number, to: number): string => sampleLines(`${s}.log.gz`).slice(from, to).join('\n') + '\n';

/**
 * The two traces, in a temp directory (`dir`) removed after the file's tests: `boot`, one boot in time order
 * (firmware -> early kernel -> start_kernel -> user space with system calls: 31,000 events, excerpts
 * around start_kernel and the first system calls) and `ic`, the first eight initcalls.
 */
export function windowTraces(name: string): { dir: string; boot: string; ic: string } {
  const dir = mkdtempSync(join(tmpdir(), `bootprof-${name}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const boot = join(dir, 'boot.log');
  writeFileSync(boot, lines('kernel-entry-20k', 0, 12_000) + lines('start-kernel-120k', 19_000, 22_000) + lines('userspace-500k', 65_000, 81_000));
  const ic = join(dir, 'initcalls.log');
  writeFileSync(ic, lines('initcalls-400k', 0, 50_000));
  return { dir, boot, ic };
}

/**
 * A command's JSON document runner: each document of a command in `validated` is checked against
 * its schema (schema/COMMAND.v1.json; schema compiles are slow, so each file names the ones it checks).
 */
export function jsonRunner(validated: ReadonlySet<string>): (command: string, trace: string, ...args: string[]) => Promise<Doc> {
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
  const validators = new Map<string, ValidateFunction>();
  return async (command, trace, ...args) => {
    const r = await cli(command, trace, '--map', MAP, '-q', '-f', 'json', ...args);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out) as Doc;
    if (!validated.has(command)) return doc;
    if (!validators.has(command)) validators.set(command, ajv.compile(JSON.parse(readFileSync(`schema/${command}.v1.json`, 'utf8')) as object));
    const valid = validators.get(command)!;
    expect(valid(doc), `${command} ${args.join(' ')}: ${JSON.stringify(valid.errors?.slice(0, 3))}`).toBe(true);
    return doc;
  };
}
