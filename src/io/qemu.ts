/**
 * What `bootprof record` adds to a user's QEMU command so that its log is the trace bootprof reads:
 * `-d nochain,in_asm` (merged with the user's own -d flags), `-trace exec_tb`, `-msg timestamp=on`
 * and `-D FIFO`. Arguments that would send the trace elsewhere or detach QEMU are refused.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { BootprofError } from './errors.js';

/** The -d flags the analysis needs: every block logged (nochain) and its translation records (in_asm). */
export const RECORD_D_FLAGS = ['nochain', 'in_asm'] as const;

/** A QEMU option as written (`-d x` or `--d=x`): its name without dashes and its inline value. */
function optionName(arg: string): { name: string; inline: string | undefined } | null {
  if (!arg.startsWith('-') || arg === '-' || arg === '--') return null;
  const bare = arg.replace(/^--?/, '');
  const eq = bare.indexOf('=');
  return eq < 0 ? { name: bare, inline: undefined } : { name: bare.slice(0, eq), inline: bare.slice(eq + 1) };
}

export interface QemuPlan {
  /** The QEMU binary as given. */
  binary: string;
  /** Its arguments with record's added. */
  args: string[];
  /** The -d flags in effect. */
  dFlags: string[];
}

/**
 * The user's QEMU command with record's additions. Throws a usage error naming the argument for
 * -D (the log is record's FIFO), a -trace that writes to a file of its own, -msg timestamp=off,
 * -daemonize, and `-d` flags that would drop the per-block log (none of QEMU's do).
 */
export function planQemu(command: readonly string[], fifo: string): QemuPlan {
  if (command.length === 0) throw new BootprofError('E_USAGE', 'no QEMU command: bootprof record [options] -- qemu-system-x86_64 ARGS...');
  const [binary, ...rest] = command;
  const out: string[] = [];
  const d = new Set<string>();
  let traceExecTb = false;
  let msgTimestamp = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const opt = optionName(arg);
    if (!opt) {
      out.push(arg);
      continue;
    }
    // the four options record looks at take a value (inline or the next word); any other word is passed on as it is
    const hasValue = opt.inline === undefined;
    const value = opt.inline ?? rest[i + 1];
    const take = (): void => {
      if (hasValue) i++;
    };
    switch (opt.name) {
      case 'D':
        throw new BootprofError(
          'E_USAGE',
          `QEMU's -D ${value ?? ''}: record reads QEMU's log through a FIFO of its own; remove -D (--save-trace FILE.gz keeps the trace)`,
        );
      case 'daemonize':
        throw new BootprofError('E_USAGE', "QEMU's -daemonize: record runs QEMU in the foreground and reads its log until it exits; remove -daemonize");
      case 'd':
        for (const f of (value ?? '').split(',')) if (f) d.add(f);
        take();
        continue;
      case 'trace': {
        const v = value ?? '';
        if (/(^|,)file=/.test(v))
          throw new BootprofError('E_USAGE', `QEMU's -trace ${v}: a trace file of its own; record needs the trace events in QEMU's log (remove file=)`);
        if (/^(enable=)?exec_tb$/.test(v)) traceExecTb = true;
        out.push('-trace', v);
        take();
        continue;
      }
      case 'msg': {
        const v = value ?? '';
        if (/timestamp=(off|no|false)/.test(v))
          throw new BootprofError('E_USAGE', `QEMU's -msg ${v}: record needs time stamps on every log line (remove timestamp=off)`);
        if (/timestamp=(on|yes|true)/.test(v)) msgTimestamp = true;
        out.push('-msg', v);
        take();
        continue;
      }
      default:
        out.push(arg);
    }
  }
  for (const f of RECORD_D_FLAGS) d.add(f);
  const dFlags = [...d];
  const args = [...out, '-d', dFlags.join(','), '-D', fifo];
  if (!traceExecTb) args.push('-trace', 'exec_tb');
  if (!msgTimestamp) args.push('-msg', 'timestamp=on');
  return { binary, args, dFlags };
}

/** The binary's path (a path as is, else searched on PATH), or a usage error naming it. */
export function findBinary(binary: string, path = process.env.PATH ?? ''): string {
  const candidates = binary.includes('/') ? [binary] : path.split(delimiter).map((dir) => join(dir || '.', binary));
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) {
        accessSync(c, constants.X_OK);
        return c;
      }
    } catch {
      /* next */
    }
  }
  throw new BootprofError(
    'E_USAGE',
    `${binary}: no such program${binary.includes('/') ? '' : ' on PATH'} (QEMU: Debian/Ubuntu apt install qemu-system-x86, Fedora dnf install qemu-system-x86)`,
  );
}

/** A command line as a shell would take it back (cmdline.txt). */
export function shellQuote(words: readonly string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}
