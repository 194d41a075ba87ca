/** The command line: commander wiring only. Each command lives in src/commands/. */
import { Command, Option } from 'commander';
import { BootprofError } from './io/errors.js';
import { selfTimeCommand } from './commands/self-time.js';
import { syscallsCommand } from './commands/syscalls.js';
import { timelineCommand } from './commands/timeline.js';

function withInput(cmd: Command): Command {
  return cmd
    .argument('[trace]', "trace file (QEMU -trace exec_tb log, gzip allowed); '-' or none for stdin")
    .option('-m, --map <file>', 'System.map of the guest kernel (gzip allowed); default: the one System.map* beside the trace')
    .option('-o, --output <file>', 'write to FILE (atomically: a temp file renamed when complete)')
    .option('--strict', 'stop at the first malformed line instead of skipping and counting it')
    .option('-j, --threads <n>', 'parse workers for plain files (default: number of cores; 1: parse on the main thread)')
    .option('-q, --quiet', 'no summary or progress on stderr (warnings still print)');
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('bootprof')
    .description("Where does my guest's boot time go? Streams QEMU TCG exec_tb traces and resolves guest pcs against System.map.")
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) });

  withInput(program.command('self-time'))
    .description('self time per function: each event is charged the time until the next event of the same vCPU')
    .addOption(new Option('-f, --format <format>', 'table, csv or json (default: table on a terminal, csv otherwise)').choices(['table', 'csv', 'json']))
    .option('-n, --top <n>', 'only the N functions with the most self time (table default: 25)')
    .addHelpText(
      'after',
      `
Examples:
  bootprof self-time trace.log.gz --map System.map
  bootprof self-time trace.log --format csv > self.csv
  zcat trace.log.gz | bootprof self-time - --map System.map --top 10`,
    )
    .action((trace: string | undefined, opts) => selfTimeCommand(trace, opts));

  withInput(program.command('syscalls'))
    .description('every system call user space made: entry, handler name, time until the vCPU runs user code again')
    .addOption(new Option('-f, --format <format>', 'table, csv or json (default: table on a terminal, csv otherwise)').choices(['table', 'csv', 'json']))
    .option('-s, --summary', 'one row per syscall name: count, total, min, mean, max duration and share, by total (like strace -c)')
    .addHelpText(
      'after',
      `
A call opens at a syscall entry symbol (entry_SYSCALL_64, the compat entries, el0_svc, ...), is named
by the first handler it reaches (__x64_sys_NAME -> NAME; none: "unknown") and closes when its vCPU
next runs user code, of any task: a blocking call (wait4) lasts until some task runs user code on
that vCPU again. A call still open at the end of the trace is unfinished (it runs to its vCPU's last
event).

Examples:
  bootprof syscalls trace.log.gz --map System.map
  bootprof syscalls trace.log.gz --map System.map --summary
  bootprof syscalls trace.log.gz --map System.map --format csv -o calls.csv`,
    )
    .action((trace: string | undefined, opts) => syscallsCommand(trace, opts));

  withInput(program.command('timeline'))
    .description('first call of every function, boot milestones (start_kernel, init exec, ...) and phases with their idle time')
    .addOption(new Option('-f, --format <format>', 'table, csv or json (default: table on a terminal, csv otherwise)').choices(['table', 'csv', 'json']))
    .option('-a, --all', 'table: also list the first call of every function')
    .option('-g, --grep <regex>', 'only function rows whose name matches REGEX (a JavaScript regular expression)')
    .addHelpText(
      'after',
      `
First call = the earliest event of a function over all vCPUs. Milestones (kernel entry, start_kernel,
kernel_init, init exec, first user-space event, power-off, ...) are calls of curated functions
(src/analyze/milestones.ts); phases run from one to the next, with the boot vCPU's idle time.

Examples:
  bootprof timeline trace.log.gz --map System.map
  bootprof timeline trace.log --grep '^ext4_' --format table
  bootprof timeline trace.log --format json -o timeline.json`,
    )
    .action((trace: string | undefined, opts) => timelineCommand(trace, opts));

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (err instanceof BootprofError) {
      process.stderr.write(`bootprof: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      // commander already printed the message; help and version exit 0, usage errors 1
      process.exitCode = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 1;
      return;
    }
    process.stderr.write(`bootprof: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 70;
  }
}
