/** The command line: commander wiring only. Each command lives in src/commands/. */
import { performance } from 'node:perf_hooks';
import { Command, Help, Option } from 'commander';
import { BootprofError } from './io/errors.js';
import { invocation } from './io/invocation.js';
import { FORMAT_NAMES } from './formats/index.js';
import { DOCUMENT_FORMATS, MULTI_TABLE_FORMATS, TABLELESS_FORMATS } from './output/document.js';
import { DIFF_FORMATS, EXIT_GATE } from './commands/diff-options.js';
import { discardOpenOutputs } from './output/sink.js';

/** Collects a repeatable option's values. */
function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

/** Lists formats the way help text reads: "table, csv or json". */
function orList(v: readonly string[]): string {
  return v.length > 1 ? `${v.slice(0, -1).join(', ')} or ${v[v.length - 1]}` : v.join('');
}

/** --weight for the commands that weigh events. */
function weightOption(): Option {
  return new Option(
    '-w, --weight <weight>',
    'what tables sort by and profiles weigh: time (host time), insns (guest instructions, from -d in_asm translation records) or events (default: insns when the trace has translation records, else time)',
  ).choices(['time', 'insns', 'events']);
}

/** --group-by, for the commands that report per-function costs (commands/group-by.ts). */
function groupByOption(): Option {
  return new Option(
    '--group-by <group>',
    "function (default), file or dir[:N] (the source file or directory of the function's compile unit: needs --vmlinux with DWARF), module (kallsyms [module], else vmlinux) or region (.text, .init.text, [user], ...)",
  );
}

/** --kaslr, for every command that resolves a trace (record included). */
function kaslrOption(): Option {
  return new Option(
    '--kaslr <mode>',
    'auto: find the 2 MiB-aligned slide from the trace (default: only when fewer than half of kernel pcs resolve); off: never',
  ).choices(['auto', 'off']);
}

/** --label, for the commands that write Parquet. */
function labelOption(): Option {
  return new Option('--label <name>', "Parquet: the value of every row's boot column (default: the input's file name)");
}

/** -f for a command whose result is a document (model/table.ts): every document writer's format. */
function formatOption(formats: readonly string[]): Option {
  const dflt = formats.includes('csv') ? 'table on a terminal, csv otherwise' : 'table';
  return new Option('-f, --format <format>', `${orList(formats)} (default: ${dflt})`).choices([...formats]);
}

/** --from/--to/--phase: a time window (src/analyze/window.ts), for every command that analyses a trace's time. */
function withWindow(cmd: Command): Command {
  return cmd
    .option('--from <edge>', "the window's start: seconds from the trace's start (0.5, 250ms), a milestone key (start_kernel) or a function (its first call)")
    .option('--to <edge>', "the window's end (excluded), as --from; default: the end of the trace")
    .option('--phase <name>', 'the window of a timeline phase (its key or label: start_kernel, initcalls, user, ...), alone');
}

function withInput(cmd: Command): Command {
  return inputOptionsOf(
    cmd.argument(
      '[trace]',
      "trace file (QEMU exec_tb log, simpletrace, -d exec, pre-resolved text; gzip allowed); '-' or none for stdin (none: refused when stdin is a terminal)",
    ),
  );
}

/** The options every command that reads traces takes. */
function inputOptionsOf(cmd: Command): Command {
  return cmd
    .option(
      '-m, --map <file>',
      'symbols: System.map, /proc/kallsyms copy or ELF (gzip allowed); repeatable, later ones fill gaps; default: the one System.map* beside the trace',
      collect,
    )
    .option('--vmlinux <file>', 'the guest vmlinux (ELF .symtab; symbol sizes bound functions; its DWARF for --group-by file|dir); used before any --map')
    .option(
      '--user-elf <file[@base]>',
      "a user-space program (unstripped ELF: a static /init, busybox, an agent): [user] events in its functions become FILE:function; a PIE's load base is found from the trace unless given after @ (hex); repeatable",
      collect,
    )
    .addOption(new Option('--input-format <format>', 'trace format instead of detecting it').choices([...FORMAT_NAMES]))
    .addOption(
      new Option('--time-unit <unit>', 'unit of the times in text traces that do not say (default s; the resolved format: ns)').choices([
        's',
        'ms',
        'us',
        'ns',
      ]),
    )
    .option('--kaslr-offset <hex>', 'the KASLR slide of the guest kernel: hex with 0x, >= 0 (e.g. 0x1e000000)')
    .addOption(kaslrOption())
    .option(
      '-o, --output <file>',
      'write to FILE (atomically: a temp file renamed when complete); without --format its extension picks the format: .json, .csv, .txt (table), .html (a page: report, diff), .parquet, DIR/ (Parquet, one file per table), flamegraph: .folded, .speedscope.json, .json (chrome)',
    )
    .option('--strict', 'stop at the first malformed line instead of skipping and counting it')
    .option('-j, --threads <n>', 'parse workers for plain files, a decimal number 1-256 (default: number of cores; 1: parse on the main thread)')
    .addOption(new Option('--unit-size <bytes>', 'bytes per parallel work unit (testing)').hideHelp())
    .addOption(new Option('--chunk-size <bytes>', 'bytes per read (testing)').hideHelp())
    .option(
      '-q, --quiet',
      'no summary, progress bar or notes (such as which System.map was picked) on stderr; warnings still print (the bar also stays off when TERM is unset or dumb, and is ASCII with NO_COLOR)',
    );
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('bootprof')
    .description("Where does my guest's boot time go? Streams QEMU TCG exec_tb traces and resolves guest pcs against System.map.")
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) });

  withWindow(withInput(program.command('self-time')))
    .description('self time per function: each event is charged the time until the next event of the same vCPU')
    .addOption(formatOption(DOCUMENT_FORMATS))
    .addOption(labelOption())
    .option('-n, --top <n>', 'only the N functions with the most self time (table default: 25)')
    .option('--stacks', 'reconstruct call stacks and add inclusive time (total_ns), a recursive function counted once per stack')
    .addOption(weightOption())
    .addOption(groupByOption())
    .addOption(
      new Option(
        '--sort <key>',
        "self (self_ns), total (total_ns: needs --stacks), events or insns (self_insns: traces with -d in_asm records), largest first (default: the run's weight)",
      ).choices(['self', 'total', 'events', 'insns']),
    )
    .addHelpText(
      'after',
      `
A window (--from/--to/--phase) charges each event only the part of its time inside it and counts the
events (and instructions) that start in it; --stacks still rebuilds the stacks from the whole trace.

Examples:
  bootprof self-time trace.log.gz --map System.map
  bootprof self-time trace.log.gz --map System.map --stacks --sort total
  bootprof self-time trace.log.gz --map System.map --phase initcalls
  bootprof self-time trace.log.gz --map System.map --from start_kernel --to 1.5s
  bootprof self-time trace.log --format csv > self.csv
  zcat trace.log.gz | bootprof self-time - --map System.map --top 10`,
    )
    .action(async (trace: string | undefined, opts) => (await import('./commands/self-time.js')).selfTimeCommand(trace, opts));

  withWindow(withInput(program.command('report')))
    .description('self time, timeline (phases, milestones) and system calls from one pass over the trace')
    .addOption(formatOption(MULTI_TABLE_FORMATS))
    .addOption(labelOption())
    .option('-n, --top <n>', 'rows of self time, system calls and initcalls: the table shows 15 by default, JSON every row unless --top is given')
    .option('--stacks', 'reconstruct call stacks: inclusive time per function, the initcalls and (JSON) the whole call tree, what `bootprof diff` compares')
    .addOption(weightOption())
    .addOption(groupByOption())
    .addHelpText(
      'after',
      `
The JSON form is a saved profile: \`bootprof diff\` compares it with another profile or a trace.
The HTML form is one self-contained page (no network): the boot at a glance, per-vCPU lanes, a
flame graph of the call tree and sortable tables; it always reconstructs stacks.
A window (--from/--to/--phase) cuts every table to it, as self-time, timeline, syscalls and
initcalls cut theirs (the stacks are still rebuilt from the whole trace).

Examples:
  bootprof report trace.log.gz --map System.map
  bootprof report trace.log.gz --map System.map -o boot.html
  bootprof report trace.log.gz --map System.map --stacks --format json -o boot-a.json`,
    )
    .action(async (trace: string | undefined, opts) => (await import('./commands/report.js')).reportCommand(trace, opts));

  withInput(program.command('resolve'))
    .description('stream the trace back out with symbols, one line per event: TIME_NS CPU symbol+0xOFF')
    .addHelpText(
      'after',
      `
Lines: integer ns since the first event (untimed traces: the event's ordinal), the vCPU index, and the
function with the offset of the pc in it; pcs that are no function print their region and the pc,
e.g. "[user]+0x7fb95ab3cd20". The output reads back as --input-format resolved.

Examples:
  bootprof resolve trace.log.gz --map System.map | gzip > resolved.txt.gz
  bootprof resolve trace.log --map System.map --map kallsyms.txt -o resolved.txt
  bootprof resolve trace.log --vmlinux vmlinux --kaslr auto | head`,
    )
    .action(async (trace: string | undefined, opts) => (await import('./commands/resolve.js')).resolveCommand(trace, opts));

  withInput(program.command('info'))
    .description('what the trace is: format, time unit, events, vCPUs, span, distinct pcs, regions, resolution rate, KASLR slide, malformed lines')
    .addOption(formatOption(TABLELESS_FORMATS))
    .addHelpText(
      'after',
      `
Examples:
  bootprof info trace.log.gz --map System.map
  bootprof info gdb-symbols.txt --time-unit us --format json`,
    )
    .action(async (trace: string | undefined, opts) => (await import('./commands/info.js')).infoCommand(trace, opts));
  withWindow(withInput(program.command('syscalls')))
    .description('every system call user space made: entry, handler name, time until the vCPU runs user code again')
    .addOption(formatOption(DOCUMENT_FORMATS))
    .addOption(labelOption())
    .option('-s, --summary', 'one row per syscall name: count, total, min, mean, max duration and share, by total (like strace -c)')
    .addOption(weightOption())
    .addHelpText(
      'after',
      `
A call opens at a syscall entry symbol (entry_SYSCALL_64, the compat entries, el0_svc, ...), is named
by the first handler it reaches (__x64_sys_NAME -> NAME; none: "unknown") and closes when its vCPU
next runs user code, of any task: a blocking call (wait4) lasts until some task runs user code on
that vCPU again. A call still open at the end of the trace is unfinished (it runs to its vCPU's last
event). In a window (--from/--to/--phase): the calls that overlap it, each cut to the part inside it
(a call entered before the window starts at the window's start); instructions of the events inside.

Examples:
  bootprof syscalls trace.log.gz --map System.map
  bootprof syscalls trace.log.gz --map System.map --summary
  bootprof syscalls trace.log.gz --map System.map --format csv -o calls.csv`,
    )
    .action(async (trace: string | undefined, opts) => (await import('./commands/syscalls.js')).syscallsCommand(trace, opts));

  withWindow(withInput(program.command('timeline')))
    .description('first call of every function, boot milestones (start_kernel, init exec, ...) and phases with their idle time')
    .addOption(formatOption(DOCUMENT_FORMATS))
    .addOption(labelOption())
    .option('-a, --all', 'table: also list the first call of every function')
    .option('-g, --grep <regex>', 'only function rows whose name matches REGEX (a JavaScript regular expression)')
    .addHelpText(
      'after',
      `
First call = the earliest event of a function over all vCPUs. Milestones (kernel entry, start_kernel,
kernel_init, init exec, first user-space event, power-off, ...) are calls of curated functions
(src/analyze/milestones.ts); phases run from one to the next, with the boot vCPU's idle time.
In a window (--from/--to/--phase): the milestones and first calls that fall inside it (a first call
is still the function's first in the whole trace: one that ran before the window is not listed; use
self-time with the window for everything that ran in it) and the phases cut to it.

Examples:
  bootprof timeline trace.log.gz --map System.map
  bootprof timeline trace.log --grep '^ext4_' --format table
  bootprof timeline trace.log --format json -o timeline.json`,
    )
    .action(async (trace: string | undefined, opts) => (await import('./commands/timeline.js')).timelineCommand(trace, opts));

  withWindow(withInput(program.command('flamegraph')))
    .description('call stacks reconstructed from the trace, as folded stacks, a speedscope file or Chrome/Perfetto JSON')
    .addOption(new Option('-f, --format <format>', 'folded (default), speedscope or chrome').choices(['folded', 'speedscope', 'chrome']))
    .option(
      '--min-duration <t>',
      'fold frames shorter than T (ns, or with us/ms/s; with --weight insns or events, that many instructions or events) into their parent; 0 keeps every frame (default: chosen to stay under ~100 MB)',
    )
    .addOption(weightOption())
    .addOption(groupByOption())
    .addHelpText(
      'after',
      `
Stacks are rebuilt from where blocks start (docs/STACKS.md): offset 0 of a function is a call, a block
inside a function on the stack a return; interrupts nest; task switches are followed. speedscope and
chrome JSON are not written to a terminal: use -o FILE or a pipe. A window (--from/--to/--phase)
keeps the stacks of the whole trace and weighs each by its time inside the window; speedscope and
chrome frames are cut to the window.

Examples:
  bootprof flamegraph trace.log > boot.folded && flamegraph.pl boot.folded > boot.svg
  bootprof flamegraph trace.log --format speedscope | npx speedscope -
  bootprof flamegraph trace.log --format chrome -o boot.json   # open in https://ui.perfetto.dev`,
    )
    .action(async (trace: string | undefined, opts) => (await import('./commands/flamegraph.js')).flamegraphCommand(trace, opts));

  for (const direction of ['callers', 'callees'] as const) {
    const callers = direction === 'callers';
    withWindow(withInput(program.command(direction).argument('<func>', 'the function (its exact name; with --regex a JavaScript regular expression)')))
      .description(
        callers
          ? 'the call paths into a function: an inverted tree of its callers, their callers, ... (perf report -g caller), from the reconstructed stacks'
          : 'the call paths out of a function: its callees merged over every place it runs (perf report -g callee, uftrace graph), from the reconstructed stacks',
      )
      .addOption(formatOption(DOCUMENT_FORMATS))
      .addOption(labelOption())
      .option('--regex', 'FUNC is a JavaScript regular expression: every matching function, merged into one root (the summary names them)')
      .option('--depth <n>', `only ${direction} up to N levels below FUNC`)
      .option('--min-share <p>', "leave out nodes whose total is under P percent of FUNC's (table default: 0.5; CSV, JSON: 0)")
      .addOption(weightOption())
      .addHelpText(
        'after',
        `
Stacks are rebuilt as flamegraph and report --stacks rebuild them (docs/STACKS.md). A stack counts
from its outermost FUNC frame: FUNC's total is its inclusive time counted once per stack, as
self-time --stacks' total_ns. ${
          callers
            ? `Each node is FUNC reached through that caller chain: total is FUNC's
inclusive time through it, self FUNC's own time, calls how often FUNC was entered through it.`
            : `Each node is a path FUNC;...;function: total is that frame's inclusive
time along the path, self the time charged to exactly the path, calls how often it was entered.`
        }
In a window (--from/--to/--phase): the time inside it, and the calls made inside it.

Examples:
  bootprof ${direction} ${callers ? 'clear_page_rep' : 'do_one_initcall --depth 1'} trace.log.gz --map System.map
  bootprof ${direction} '^ext4_' trace.log.gz --regex --min-share 2
  bootprof ${direction} ${callers ? 'kmalloc' : 'start_kernel'} trace.log.gz --format csv -o ${direction}.csv`,
      )
      .action(async (func: string, trace: string | undefined, opts) =>
        (await import('./commands/callers.js'))[callers ? 'callersCommand' : 'calleesCommand'](func, trace, opts),
      );
  }

  withWindow(
    inputOptionsOf(
      program
        .command('diff')
        .argument('<a>', 'the first boot (the baseline): a trace, or a profile saved with bootprof report --format json (gzip allowed)')
        .argument('<b>', 'the second boot, compared with A'),
    ),
  )
    .description('compare two boots: phases, milestones, functions, initcalls and system calls, A against B')
    .option('--map-a <file>', "A's symbols (repeatable; instead of --map for A)", collect)
    .option('--map-b <file>', "B's symbols (repeatable; instead of --map for B)", collect)
    .addOption(new Option('-f, --format <format>', `${orList(DIFF_FORMATS)} (default: table on a terminal, csv otherwise)`).choices(DIFF_FORMATS))
    .addOption(labelOption())
    .addOption(weightOption())
    .addOption(groupByOption())
    .option('-n, --top <n>', 'rows per section, by the absolute change (table default: 20; CSV and JSON: all)')
    .option('--min-delta <x>', "leave out rows whose change is smaller: in the weight's unit (time: ns, or 500us, 2ms), or a percent of A's total (0.5%)")
    .addOption(
      new Option('--table <name>', 'the table CSV writes (default: functions)').choices(['functions', 'phases', 'milestones', 'initcalls', 'syscalls']),
    )
    .option('--normalize', "time weight: scale B's times so both total self times are equal (the host ran at another speed)")
    .option('--fail-above <pct>', `exit ${EXIT_GATE} when B's total (in the weight) grew by more than PCT percent, or a --fail-phase did`)
    .option('--fail-phase <phase>', 'with --fail-above: also check this phase (key or label, e.g. initcalls); repeatable', collect)
    .addHelpText(
      'after',
      `
Each side is read like \`bootprof report --stacks\` (a trace) or taken from a saved report; deltas are
B minus A. The weight defaults to guest instructions when both sides have translation records
(-d nochain,in_asm), else host time. \`--format folded\` writes FlameGraph's differential form
(\`stack countA countB\`, as difffolded.pl does): flamegraph.pl colours what grew red and what shrank blue.
A window (--from/--to/--phase) applies to both sides, its names resolved in each side's own trace;
a saved report is of the run it was saved from, so with a window both sides must be traces.

Exit status: 0 compared (and no gate tripped), 1 usage error, 2 input error, ${EXIT_GATE} a --fail-above gate tripped.

Examples:
  bootprof diff before.log.gz after.log.gz --map System.map
  bootprof report before.log.gz --map System.map --stacks -f json -o before.json
  bootprof diff before.json after.log.gz --map System.map --fail-above 5 --fail-phase initcalls
  bootprof diff before.json after.json --format folded | flamegraph.pl > diff.svg
  bootprof diff before.json after.json -o diff.html`,
    )
    .action(async (a: string, b: string, opts) => (await import('./commands/diff.js')).diffCommand(a, b, opts));

  program
    .command('record')
    .description('run a QEMU command with tracing added and analyse the boot while it runs: report.json, report.html, no trace file on disk')
    .argument('<qemu...>', 'the QEMU command and its arguments, after --')
    .option('--out <dir>', 'where the results go (created; default: bootprof-record-DATE-TIME)')
    .option('--save-trace <file.gz>', 'also keep the trace, gzip-compressed as it is read')
    .option('--report <list>', 'reports to write: html, json or html,json (default)')
    .option('--duration <seconds>', 'stop QEMU after this many seconds (results marked partial; exit 0)')
    .option('-m, --map <file>', "symbols: the guest kernel's System.map (or /proc/kallsyms copy, or ELF); repeatable, later ones fill gaps", collect)
    .option('--vmlinux <file>', 'the guest vmlinux (ELF .symtab); used before any --map')
    .option('--user-elf <file[@base]>', 'a user-space program (unstripped ELF) whose functions name [user] events as FILE:function; repeatable', collect)
    .option('--kaslr-offset <hex>', 'the KASLR slide of the guest kernel, when known (default: found from the trace)')
    .addOption(kaslrOption())
    .option('-q, --quiet', 'the guest console goes to DIR/console.txt instead of the terminal; no progress or summary on stderr')
    .addHelpText(
      'after',
      `
record adds to the QEMU command: -d nochain,in_asm (merged with your -d flags), -trace exec_tb,
-msg timestamp=on and -D pointing at a FIFO that bootprof reads while QEMU runs; your own -D,
a -trace with file=, -msg timestamp=off and -daemonize are refused. QEMU blocks when bootprof
falls behind: nothing is dropped. Ctrl-C stops QEMU and writes what was captured (exit 130).

Exit status: 0 recorded (complete, or stopped by --duration: partial), 1 usage error, 2 QEMU
failed (results for what was captured are written, marked partial) or wrote no trace, 130 interrupted.

Examples:
  bootprof record --map System.map-6.1.0-47-cloud-amd64 --out boot1 -- \\
    qemu-system-x86_64 -m 512 -nographic -no-reboot -kernel vmlinuz -initrd initrd.img -append 'console=ttyS0 panic=-1'
  bootprof record --duration 5 --report json -- qemu-system-x86_64 -nographic -nodefaults`,
    )
    .action(async (qemu: string[], opts) => (await import('./commands/record.js')).recordCommand(qemu, opts));

  const db = program
    .command('db')
    .description('many boots in one embedded DuckDB store: add boots, query them with SQL, export them as Parquet')
    .addHelpText(
      'after',
      `
The store (a DuckDB file) has a boots table and the per-boot tables functions, phases, milestones,
initcalls and syscalls, each with a boot column (docs/MANY-BOOTS.md has the schema and recipes).
db needs DuckDB's Node binding (@duckdb/node-api, an optional dependency); every other command works
without it.

Examples:
  bootprof db add boots.duckdb trace.log.gz --map System.map --label v6.1-a --meta kernel=6.1
  bootprof db add boots.duckdb boot-b.json --label v6.1-b
  bootprof db query boots.duckdb "SELECT boot, duration_ns FROM phases WHERE phase = 'initcalls'"
  bootprof db export boots.duckdb parquet/`,
    );
  inputOptionsOf(
    db
      .command('add')
      .argument('<store>', 'the store (a DuckDB file; created when missing)')
      .argument(
        '<source>',
        "a trace (analysed like report --stacks), a saved report (report --format json) or a directory of Parquet files (--format parquet -o DIR/); '-' for a trace on stdin",
      ),
  )
    .description('add one boot to the store, in one transaction (a failure leaves the store as it was)')
    // the input options minus -o: db add writes to the store
    .configureHelp({ visibleOptions: (cmd) => new Help().visibleOptions(cmd).filter((o) => o.long !== '--output') })
    .option('--label <name>', "the boot's name in the store (default: the source's file name)")
    .option('--meta <key=value>', "a fact about the boot (kernel=6.1.0-47, config=...); repeatable; in SQL: meta['kernel']", collect)
    .option('--replace', 'replace a boot of the same label (default: refused)')
    .option('--no-stacks', 'a trace: do not reconstruct call stacks (faster; no initcalls, no total_ns)')
    .addOption(weightOption())
    .addHelpText('after', '\nThe store is checked (and created) before the trace is read, and is not held open while it is read.')
    .action(async (store: string, source: string, opts) => (await import('./commands/db.js')).dbAddCommand(store, source, opts));
  db.command('query')
    .argument('<store>', 'the store')
    .argument('<sql>', 'one SQL statement (DuckDB); the store is opened read-only')
    .description('run SQL on the store and print the result as a table, CSV, JSON, HTML or Parquet')
    .addOption(formatOption(DOCUMENT_FORMATS))
    .option('-o, --output <file>', 'write to FILE (atomically); its extension picks the format as for every command')
    .addOption(labelOption())
    .option('-q, --quiet', 'no row count on stderr')
    .action(async (store: string, sql: string, opts) => (await import('./commands/db.js')).dbQueryCommand(store, sql, opts));
  db.command('export')
    .argument('<store>', 'the store')
    .argument('<dir>', 'where the Parquet files go (created): DIR/boots.parquet, DIR/functions.parquet, ...')
    .description('write every table of the store as Parquet (the names and columns --format parquet -o DIR/ writes)')
    .option('-q, --quiet', 'no file list on stderr')
    .action(async (store: string, dir: string, opts) => (await import('./commands/db.js')).dbExportCommand(store, dir, opts));

  withWindow(withInput(program.command('initcalls')))
    .description(
      'every function called by do_one_initcall (and console_init), in call order, with start, inclusive duration and vCPU (initcall_debug without rebooting)',
    )
    .addOption(formatOption(DOCUMENT_FORMATS))
    .addOption(labelOption())
    .addOption(
      new Option(
        '--sort <key>',
        'start (call order, default), duration (longest first) or insns (most guest instructions first: traces with -d in_asm records)',
      ).choices(['start', 'duration', 'insns']),
    )
    .option('-n, --top <n>', 'only the first N rows')
    .option('--all', "also list do_one_initcall's own helpers (printk, ktime_get, ...)")
    .addHelpText(
      'after',
      `
In a window (--from/--to/--phase): the initcalls that run in it, each cut to the part inside it (one
called before the window starts at the window's start); instructions of the events inside it.

Examples:
  bootprof initcalls trace.log.gz --map System.map --sort duration --top 10
  bootprof initcalls trace.log.gz --map System.map --from 1.2 --to 1.8`,
    )
    .action(async (trace: string | undefined, opts) => (await import('./commands/initcalls.js')).initcallsCommand(trace, opts));

  return program;
}

/**
 * BOOTPROF_STATS=1: at exit, one line on stderr with the main thread's busy time (its event loop's
 * active time: parsing on one thread, else every analysis and the merge) and the process's wall
 * time, which `npm run bench` turns into the main thread's share and the ceiling it implies.
 */
function statsAtExit(): void {
  process.on('exit', () => {
    const elu = performance.eventLoopUtilization();
    process.stderr.write(`bootprof-stats: main_busy_ms=${elu.active.toFixed(1)} wall_ms=${performance.now().toFixed(1)}\n`);
  });
}

export async function main(argv: string[]): Promise<void> {
  if (process.env.BOOTPROF_STATS === '1') statsAtExit();
  const program = buildProgram();
  program.exitOverride();
  program.hook('preAction', (_program, action) => void (invocation.command = action.name()));
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // a failed command leaves no -o file behind (its temp file is removed)
    discardOpenOutputs();
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
