/** The command line: commander wiring only. Each command lives in src/commands/. */
import { Command, Option } from 'commander';
import { BootprofError } from './io/errors.js';
import { selfTimeCommand } from './commands/self-time.js';
import { flamegraphCommand } from './commands/flamegraph.js';
import { initcallsCommand } from './commands/initcalls.js';

function withInput(cmd: Command): Command {
  return cmd
    .argument('[trace]', "trace file (QEMU -trace exec_tb log, gzip allowed); '-' or none for stdin")
    .option('-m, --map <file>', 'System.map of the guest kernel (gzip allowed); default: the one System.map* beside the trace')
    .option('-o, --output <file>', 'write to FILE (atomically: a temp file renamed when complete)')
    .option('--strict', 'stop at the first malformed line instead of skipping and counting it')
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
    .option('--stacks', 'reconstruct call stacks and add inclusive time (total_ns), a recursive function counted once per stack')
    .addHelpText(
      'after',
      `
Examples:
  bootprof self-time trace.log.gz --map System.map
  bootprof self-time trace.log --format csv > self.csv
  zcat trace.log.gz | bootprof self-time - --map System.map --top 10`,
    )
    .action((trace: string | undefined, opts) => selfTimeCommand(trace, opts));

  withInput(program.command('flamegraph'))
    .description('call stacks reconstructed from the trace, as folded stacks, a speedscope file or Chrome/Perfetto JSON')
    .addOption(new Option('-f, --format <format>', 'folded (default), speedscope or chrome').choices(['folded', 'speedscope', 'chrome']))
    .option('--min-duration <t>', 'fold frames shorter than T (ns, or with us/ms/s) into their parent; 0 keeps every frame (default: chosen to stay under ~100 MB)')
    .addHelpText(
      'after',
      `
Examples:
  bootprof flamegraph trace.log > boot.folded && flamegraph.pl boot.folded > boot.svg
  bootprof flamegraph trace.log --format speedscope | npx speedscope -
  bootprof flamegraph trace.log --format chrome -o boot.json   # open in https://ui.perfetto.dev`,
    )
    .action((trace: string | undefined, opts) => flamegraphCommand(trace, { ...opts, format: opts.format ?? 'folded' }));

  withInput(program.command('initcalls'))
    .description('every function called by do_one_initcall, in call order, with start, inclusive duration and vCPU (initcall_debug without rebooting)')
    .addOption(new Option('-f, --format <format>', 'table, csv or json (default: table on a terminal, csv otherwise)').choices(['table', 'csv', 'json']))
    .addOption(new Option('--sort <key>', 'start (call order, default) or duration (longest first)').choices(['start', 'duration']))
    .option('-n, --top <n>', 'only the first N rows')
    .option('--all', "also list do_one_initcall's own helpers (printk, ktime_get, ...)")
    .action((trace: string | undefined, opts) => initcallsCommand(trace, opts));

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
