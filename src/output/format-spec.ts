/**
 * The JSON bootprof writes, for people who consume it: one document per command, each named by its
 * `$schema` (a file shipped in the package: schema/COMMAND.v1.json, generated from these types by
 * `npm run schema`) and `format_version`.
 *
 * Rules for every document:
 * - Integers in nanoseconds have keys ending in `_ns` and are exact. Times are relative to the
 *   trace's first event, never epoch nanoseconds (those do not fit a double). In an untimed trace
 *   (`summary.unit` = "events") every `_ns` value counts events instead (the trace's event ordinals).
 * - A table is an array of row objects whose keys are the CSV header of the same table, in the same
 *   order; CSV writes flags as 0/1 and null as an empty field.
 * - Shares are percents with 4 decimals.
 *
 * Versions: format_version 1 is the first versioned shape. A change that removes or renames a key,
 * or changes a type, bumps the version (and the schema file's name); new optional keys do not.
 * See docs/OUTPUT.md for the history.
 */

/** The version of every document shape below. */
export type FormatVersion = 1;

// An integer: every count and every `_ns` value (exact: below 2^53).
/** @asType integer */
export type Int = number;

/**
 * The header every document starts with: `$schema` ("bootprof/schema/COMMAND.v1.json", the schema
 * file in the bootprof package: `import.meta.resolve('bootprof/schema/report.v1.json')`), then the
 * format version.
 */
export interface DocumentHeader<Command extends string> {
  $schema: `bootprof/schema/${Command}.v1.json`;
  format_version: FormatVersion;
}

/** Per vCPU: its index (the order its thread id first appears), the thread id, its events. */
export interface VcpuEvents {
  cpu: Int;
  tid: Int;
  events: Int;
}

/** Events per region label; `kernel` counts events that resolved to a kernel function. */
export interface RegionCounts {
  firmware: Int;
  boot: Int;
  kernel: Int;
  user: Int;
  unknown: Int;
  /** Kernel-half events of a run without symbols ([kernel]). */
  unsymbolized_kernel: Int;
}

/** What every command says about the trace it read. */
export interface TraceSummary {
  /** The input's name: its path, or "standard input". */
  input: string;
  /** The detected (or --input-format) trace format: qemu-log, simpletrace-bin, ... */
  format: string;
  /** ns for a timed trace; events when the trace has no timestamps (then every event weighs 1). */
  unit: 'ns' | 'events';
  /** The unit the input's times were written in, when the format does not say (text formats). */
  input_time_unit?: string;
  /** The symbol file used (the first of several), or null without symbols. */
  symbols: string | null;
  lines: Int;
  events: Int;
  /** Distinct thread ids, i.e. vCPUs. */
  threads: Int;
  vcpus: VcpuEvents[];
  /** Last event time minus first event time. */
  span_ns: Int;
  regions: RegionCounts;
  /** Lines of other trace events or QEMU's own messages, skipped. */
  other_lines: Int;
  /** Malformed lines, skipped and counted (--strict: fatal). */
  malformed_lines: Int;
  crlf_lines: Int;
  /** The input was cut short (gzip data ending inside a member, or a last line with no newline). */
  truncated: boolean;
  /** Times a vCPU's time went backwards (those deltas count as 0). */
  negative_deltas?: Int;
  /** What tables are sorted by and profiles weigh: present when the trace has translation records or --weight was given. */
  weight?: 'time' | 'insns' | 'events';
  /** The trace's `-d in_asm` translation records (only when it has some). */
  translation?: TranslationSummary;
  /** How fine the time stamps are and how far apart events are (traces with translation records). */
  timestamps?: TimestampSummary;
}

/** `-d in_asm` translation records and the instructions they give the events. */
export interface TranslationSummary {
  /** Records read. */
  records: Int;
  /** Lines that belong to records. */
  record_lines: Int;
  /** Records cut short or without an instruction line (dropped). */
  unreadable_records: Int;
  /** Records never run (replaced by a later record for the same pc before their block ran, or too many waiting). */
  unbound_records: Int;
  /** Records dropped because the most a run keeps (4,194,304) were kept. */
  dropped_records: Int;
  /** Events whose tb pointer no record was bound to (they weigh 0 instructions). */
  events_without_record: Int;
  /** Events whose record had no instruction list (an OBJD-T dump; they weigh 0). */
  events_without_count: Int;
  /** Instructions of all events: each event counts its block's instructions. */
  insns: Int;
}

export interface TimestampSummary {
  /** The finest step the input's stamps show (QEMU's -msg timestamp=on: 1000); 0 when unknown. */
  resolution_ns: Int;
  /** The median gap between consecutive events of a vCPU. */
  median_gap_ns: Int;
  /** False when the median is past 65,536 ns: then it is the power of two below it. */
  median_gap_exact: boolean;
  /** Fraction (0..1) of gaps of at most two resolution steps: near 1, host time mostly measures the tracing. */
  gaps_within_two_steps: number;
}

// ---------------------------------------------------------------------------------------------
// self-time

/** A row of the functions table (CSV: function,self_ns[,total_ns],share,events). */
export interface FunctionRow {
  /** Function name, or a region label ([user], [firmware], [boot], [unknown], [kernel]). */
  function: string;
  /** Time charged to its events: each event until the next event of its vCPU. */
  self_ns: Int;
  /** Inclusive time from the reconstructed call stacks (only with --stacks). */
  total_ns?: Int;
  /** self_ns as a percent of the summed self time. */
  share: number;
  /** Events (translated blocks executed). */
  events: Int;
  /** Guest instructions of its events, each its translated block's count (traces with -d in_asm records). */
  self_insns?: Int;
  /** Inclusive instructions from the reconstructed stacks (--stacks, traces with records). */
  total_insns?: Int;
  /** self_insns as a percent of all instructions. */
  insns_share?: number;
}

/** A time window (--from/--to/--phase): [from_ns, to_ns) since the trace's first event. */
export interface WindowSummary {
  /** The edges as given (a time, a milestone key, a function name; a phase's milestones), or "start" / "end". */
  from: string;
  to: string;
  /** null: from the trace's start / to its end. */
  from_ns: Int | null;
  to_ns: Int | null;
}

export interface SelfTimeSummary extends TraceSummary {
  /** Summed self time of every function (in a window: the part inside it). */
  total_self_ns: Int;
  /** Rows the full table has (the document may hold fewer: --top). */
  functions: Int;
  /** --group-by: what a row of functions is (file, dir, dir:N, module, region); absent: a function. */
  group_by?: string;
  /** --from/--to/--phase: each event's time is clipped to the window; events and instructions count the events that start in it. */
  window?: WindowSummary;
}

/** `bootprof self-time --format json` */
export interface SelfTimeDocument extends DocumentHeader<'self-time'> {
  summary: SelfTimeSummary;
  functions: FunctionRow[];
}

// ---------------------------------------------------------------------------------------------
// timeline

/** A phase of the boot, from one milestone to the next (CSV: the phases table). */
export interface PhaseRow {
  /** Phase key: firmware, early_kernel, start_kernel, initcalls, user. */
  phase: string;
  label: string;
  /** The milestone that starts it; trace_start for the first phase. */
  from: string;
  start_ns: Int;
  end_ns: Int;
  duration_ns: Int;
  /** duration_ns as a percent of the traced span. */
  share: number;
  /** Idle time of the boot vCPU within the phase. */
  idle_ns: Int;
  /** idle_ns as a percent of duration_ns. */
  idle_share: number;
  /** The trace starts inside this phase (an excerpt): its true start is earlier. */
  partial: boolean;
  /** Guest instructions of its events (traces with -d in_asm records). */
  insns?: Int;
  /** First phase only: self time of the boot vCPU's [firmware] events, else null. */
  firmware_ns: Int | null;
  /** First phase only: self time of the boot vCPU's [boot] events, else null. */
  boot_ns: Int | null;
}

/** Idle time of each vCPU in each phase. */
export interface PhaseIdleRow {
  phase: string;
  cpu: Int;
  idle_ns: Int;
}

/** A boot milestone: the first call of one of its functions. */
export interface MilestoneRow {
  /** Milestone key: kernel_entry, start_kernel, init_exec, first_user, ... */
  milestone: string;
  label: string;
  function: string;
  time_ns: Int;
  cpu: Int;
  /** Guest instructions of every event before it (all vCPUs; traces with -d in_asm records). */
  insns?: Int;
}

/** The first event of a function over all vCPUs (CSV: function,first_ns,cpu,milestone). */
export interface FirstCallRow {
  function: string;
  first_ns: Int;
  cpu: Int;
  /** Labels of the milestones this first call is (joined by "; "), or null. */
  milestone: string | null;
}

export interface TimelineSummaryFields {
  /** The vCPU that ran start_kernel (else the first to enter the kernel). */
  boot_cpu: Int;
  /** What the trace's first line runs: firmware, boot, kernel_entry, kernel (an excerpt) or other. */
  starts_in: 'firmware' | 'boot' | 'kernel_entry' | 'kernel' | 'other';
  /** The VMM boot points (as QEMU's and Firecracker's boot-time probes name them), or null. */
  firmware_start_ns: Int | null;
  linux_start_kernel_ns: Int | null;
  linux_start_user_ns: Int | null;
  /** Idle-loop time of every vCPU. */
  idle_ns: Int;
  /** Functions and regions seen (rows of the full first_calls table). */
  functions: Int;
}

export interface TimelineSummary extends TraceSummary, TimelineSummaryFields {
  /**
   * --from/--to/--phase: milestones and first calls inside the window (a first call is the function's
   * first over the whole trace), phases cut to it; idle_ns and functions count what is inside it.
   */
  window?: WindowSummary;
}

/** `bootprof timeline --format json` */
export interface TimelineDocument extends DocumentHeader<'timeline'> {
  summary: TimelineSummary;
  phases: PhaseRow[];
  phase_idle: PhaseIdleRow[];
  milestones: MilestoneRow[];
  first_calls: FirstCallRow[];
}

// ---------------------------------------------------------------------------------------------
// syscalls

/** One system call (CSV: ts_ns,name,cpu,duration_ns,unfinished,compat). */
export interface SyscallCallRow {
  /** Entry time. */
  ts_ns: Int;
  /** From the first handler reached (__x64_sys_getpid -> getpid); unknown when none was. */
  name: string;
  cpu: Int;
  /** From the entry to the vCPU's next user-space event (unfinished: to its last event). */
  duration_ns: Int;
  unfinished: boolean;
  /** Entered through a compat entry or reaching a compat handler. */
  compat: boolean;
  /** Guest instructions its vCPU ran from the entry to the return (traces with -d in_asm records). */
  insns?: Int;
}

/** Calls per name, like strace -c (CSV: name,compat,count,total_ns,min_ns,mean_ns,max_ns,share,unfinished). */
export interface SyscallStatRow {
  name: string;
  compat: boolean;
  count: Int;
  total_ns: Int;
  min_ns: Int;
  /** Rounded to the ns. */
  mean_ns: Int;
  max_ns: Int;
  /** total_ns as a percent of all calls' summed duration. */
  share: number;
  unfinished: Int;
  /** Summed instructions of its calls (traces with -d in_asm records). */
  total_insns?: Int;
}

export interface SyscallCallsPerVcpu {
  cpu: Int;
  tid: Int;
  calls: Int;
}

/** What syscalls adds to the summary. */
export interface SyscallTotals {
  calls: Int;
  unfinished: Int;
  unknown: Int;
  compat: Int;
  /** Time of the first call, or null when there is none. */
  first_ts_ns: Int | null;
  per_vcpu: SyscallCallsPerVcpu[];
  /** Entry symbols the symbols have. */
  entry_symbols: string[];
}

export interface SyscallsSummary extends TraceSummary {
  syscalls: SyscallTotals;
  /** --from/--to/--phase: the calls that overlap the window, each cut to the part inside it (entry moved to the window's start). */
  window?: WindowSummary;
}

/** `bootprof syscalls --format json` (one call per row) */
export interface SyscallsDocument extends DocumentHeader<'syscalls'> {
  summary: SyscallsSummary;
  /** Every call, by entry time (absent with --summary). */
  calls?: SyscallCallRow[];
  /** One row per name (with --summary). */
  syscalls?: SyscallStatRow[];
}

// ---------------------------------------------------------------------------------------------
// initcalls

/** A function do_one_initcall (or, for a console initcall, console_init) called (CSV: initcall,start_ns,duration_ns,cpu,returned). */
export interface InitcallRow {
  initcall: string;
  start_ns: Int;
  /** Inclusive, to its return (unreturned: to the end of the trace). */
  duration_ns: Int;
  cpu: Int;
  returned: boolean;
  /** Guest instructions its vCPU ran from the call to the return (traces with -d in_asm records). */
  insns?: Int;
}

export interface InitcallsSummary extends TraceSummary {
  initcalls: Int;
  unfinished: Int;
  /** Summed duration of every initcall. */
  total_duration_ns: Int;
  /** Summed instructions of every initcall (traces with -d in_asm records). */
  total_insns?: Int;
  /** --from/--to/--phase: the initcalls running in the window, each cut to the part inside it (start moved to the window's start). */
  window?: WindowSummary;
}

/** `bootprof initcalls --format json` */
export interface InitcallsDocument extends DocumentHeader<'initcalls'> {
  summary: InitcallsSummary;
  initcalls: InitcallRow[];
}

// ---------------------------------------------------------------------------------------------
// report

export interface ReportSummary extends TraceSummary, TimelineSummaryFields {
  total_self_ns: Int;
  /** --group-by: what a row of functions and a frame of call_tree is (file, dir, dir:N, module, region); absent: a function. */
  group_by?: string;
  /** Summed instructions of every event (traces with -d in_asm records). */
  total_insns?: Int;
  /** null when the symbols have no system call entry. */
  syscalls: SyscallTotals | null;
  /** --stacks: call stacks were rebuilt (total_ns, initcalls, call_tree present). */
  stacks?: boolean;
  /** --stacks: nodes of the call tree (rows of call_tree). */
  call_nodes?: Int;
  /** --stacks with a kernel map: initcalls found, those unfinished, their summed duration and instructions. */
  initcalls?: Int;
  initcalls_unfinished?: Int;
  initcalls_total_ns?: Int;
  initcalls_total_insns?: Int;
  /** --from/--to/--phase: every table cut to the window, as self-time, timeline, syscalls and initcalls cut it. */
  window?: WindowSummary;
}

/** A node of the reconstructed call tree (report --stacks); parents come before their children. */
export interface CallTreeRow {
  /** Node id, 1, 2, ... in row order. */
  node: Int;
  /** The caller's node id; 0 for an outermost frame. */
  parent: Int;
  function: string;
  /** Time charged to exactly this stack. */
  self_ns: Int;
  /** self_ns plus that of every node below. */
  total_ns: Int;
  events: Int;
  self_insns?: Int;
  total_insns?: Int;
}

/**
 * `bootprof report --format json`: self time, timeline and system calls of one pass; with --stacks
 * also inclusive time, the initcalls and the call tree. A saved profile for `bootprof diff`.
 */
export interface ReportDocument extends DocumentHeader<'report'> {
  summary: ReportSummary;
  phases: PhaseRow[];
  phase_idle: PhaseIdleRow[];
  milestones: MilestoneRow[];
  /** Every function by the run's weight (the top --top only when --top is given). */
  functions: FunctionRow[];
  /** Every syscall name by total (the top --top only when --top is given). */
  syscalls: SyscallStatRow[];
  /** --stacks with a kernel map: every initcall, by start. */
  initcalls?: InitcallRow[];
  /** --stacks: every call node. */
  call_tree?: CallTreeRow[];
}

// ---------------------------------------------------------------------------------------------
// callers, callees

/**
 * A node of a callers or callees tree (CSV: node,parent,depth,function,calls,self_ns,total_ns,share,
 * events,total_events). Rows are depth first, heaviest child first: a node's parent is an earlier row.
 */
export interface CallPathRow {
  /** Row number; 1 is FUNC itself. */
  node: Int;
  /** The parent row's node; 0 for FUNC's row. */
  parent: Int;
  /** 0 for FUNC, 1 for its direct callers (callees), 2 for theirs, ... */
  depth: Int;
  /** Function or region label; FUNC's row: its name, or /REGEX/ when several functions matched. */
  function: string;
  /** callees: times this path's frame was entered; callers: times FUNC's outermost frame was entered through this chain. */
  calls: Int;
  /** callees: time charged to exactly this path; callers: FUNC's own time through this chain. */
  self_ns: Int;
  /** callees: self_ns plus every path below; callers: FUNC's inclusive time through this chain. */
  total_ns: Int;
  /** The total in the run's weight (summary.weight) as a percent of FUNC's. */
  share: number;
  /** Events counted as self_ns is. */
  events: Int;
  /** Events counted as total_ns is. */
  total_events: Int;
  /** Instructions counted as self_ns is (traces with -d in_asm records). */
  self_insns?: Int;
  /** Instructions counted as total_ns is (traces with -d in_asm records). */
  total_insns?: Int;
}

export interface CallPathsSummary extends TraceSummary {
  /** What the tree's totals and shares weigh (--weight, else insns with translation records, else time). */
  weight: 'time' | 'insns' | 'events';
  /** FUNC as given: a function name, or with --regex a JavaScript regular expression. */
  function: string;
  regex: boolean;
  /** The functions FUNC matched that ran (have frames), merged into the root; sorted by name. */
  matched: string[];
  /** FUNC's total in the weight as a percent of the whole run's (in a window: of the window's). */
  run_share: number;
  /** Nodes of the whole tree (the rows may be fewer: --depth, --min-share); 0 when FUNC never ran. */
  nodes: Int;
  /** --depth, or null. */
  depth: Int | null;
  /** --min-share (the terminal table's default: 0.5), or null. */
  min_share: number | null;
  /** --from/--to/--phase: the weights of the time inside the window; calls made inside it. */
  window?: WindowSummary;
}

/** `bootprof callers FUNC --format json`: the call paths into FUNC, an inverted tree rooted at FUNC. */
export interface CallersDocument extends DocumentHeader<'callers'> {
  summary: CallPathsSummary;
  callers: CallPathRow[];
}

/** `bootprof callees FUNC --format json`: FUNC's subtree, merged over every place FUNC runs. */
export interface CalleesDocument extends DocumentHeader<'callees'> {
  summary: CallPathsSummary;
  callees: CallPathRow[];
}

// ---------------------------------------------------------------------------------------------
// info

export interface SymbolSource {
  path: string;
  /** System.map, kallsyms or ELF. */
  kind: string;
  symbols: Int;
  /** Symbols used (sources after the first only fill gaps). */
  added: Int;
}

export interface KaslrVotes {
  hits: Int;
  without_slide: Int;
  runner_up: Int;
  voters: Int;
  best: string;
}

export interface KaslrInfo {
  /** Hex, with 0x. */
  slide: string;
  method: 'given' | 'detected' | 'checked' | 'off' | 'none' | 'no symbols' | 'pre-resolved';
  confidence: 'high' | 'medium' | 'low' | 'none' | null;
  votes: KaslrVotes | null;
  sampled_kernel_events: Int;
}

export interface MalformedSample {
  line: Int;
  offset: Int;
  reason: string;
  snippet: string;
}

export interface InfoSummary extends TraceSummary {
  symbol_sources: SymbolSource[];
  /** Distinct pcs (exact up to 1,048,576; beyond, estimated within ~1%). */
  distinct_pcs: Int;
  distinct_pcs_exact: boolean;
  kernel_half_events: Int;
  kernel_half_resolved: Int;
  /** kernel_half_resolved / kernel_half_events, or null without kernel-half pcs. */
  resolution_rate: number | null;
  kaslr: KaslrInfo | null;
  malformed_samples: MalformedSample[];
  /** Records the tracer reported as lost (simpletrace). */
  lost_events: Int;
}

/** `bootprof info --format json` */
export interface InfoDocument extends DocumentHeader<'info'> {
  summary: InfoSummary;
}

// ---------------------------------------------------------------------------------------------
// diff

/** One boot of a diff. */
export interface DiffSide {
  /** The trace or saved report's path. */
  input: string;
  /** trace: read from a trace; profile: a saved `report --format json`. */
  source: 'trace' | 'profile';
  unit: 'ns' | 'events';
  events: Int;
  span_ns: Int;
  total_self_ns: Int;
  /** null without instruction counts. */
  total_insns: Int | null;
  /** Instruction counts present (translation records). */
  translations: boolean;
  /** Call stacks present (inclusive time, initcalls, call tree). */
  stacks: boolean;
  /** The window its numbers are cut to (--from/--to/--phase, or a report saved with one); absent: the whole run. */
  window?: WindowSummary;
}

export interface DiffSummary {
  /** A's unit (ns; events for untimed traces). */
  unit: 'ns' | 'events';
  a: DiffSide;
  b: DiffSide;
  /** What the functions are sorted by and the totals count. */
  weight: 'time' | 'insns' | 'events';
  /** --normalize: B's time values were multiplied by b_scale. */
  normalized: boolean;
  b_scale: number;
  /** Totals in the weight (summed self time, instructions or events) and their change. */
  total_a: Int;
  total_b: Int;
  total_delta: Int;
  /** null when total_a is 0. */
  total_delta_pct: number | null;
  /** Functions in either boot; those only in B (new) or only in A (gone). */
  functions: Int;
  functions_new: Int;
  functions_gone: Int;
}

/** a_X / b_X are null where the row is absent from that boot; delta_X = b_X - a_X (absent = 0). */
export interface PhaseDiffRow {
  phase: string;
  label: string;
  a_duration_ns: Int | null;
  b_duration_ns: Int | null;
  delta_duration_ns: Int;
  delta_pct: number | null;
  /** Both sides with instruction counts: the phase's instructions. */
  a_insns?: Int | null;
  b_insns?: Int | null;
  delta_insns?: Int;
  delta_insns_pct?: number | null;
}

export interface MilestoneDiffRow {
  milestone: string;
  label: string;
  a_time_ns: Int | null;
  b_time_ns: Int | null;
  delta_time_ns: Int;
  delta_pct: number | null;
  /** Both sides with instruction counts: instructions run before it. */
  a_insns?: Int | null;
  b_insns?: Int | null;
  delta_insns?: Int;
  delta_insns_pct?: number | null;
}

export interface FunctionDiffRow {
  function: string;
  /** new (only in B), gone (only in A) or empty. */
  status: string;
  a_self_ns: Int | null;
  b_self_ns: Int | null;
  delta_self_ns: Int;
  delta_self_pct: number | null;
  /** Both sides with stacks. */
  a_total_ns?: Int | null;
  b_total_ns?: Int | null;
  delta_total_ns?: Int;
  a_events: Int | null;
  b_events: Int | null;
  delta_events: Int;
  /** Both sides with instruction counts. */
  a_self_insns?: Int | null;
  b_self_insns?: Int | null;
  delta_self_insns?: Int;
  delta_self_insns_pct?: number | null;
  a_total_insns?: Int | null;
  b_total_insns?: Int | null;
  delta_total_insns?: Int;
}

export interface InitcallDiffRow {
  /** The initcall; a second call of the same one is name#2. */
  initcall: string;
  status: string;
  a_duration_ns: Int | null;
  b_duration_ns: Int | null;
  delta_duration_ns: Int;
  delta_pct: number | null;
  a_insns?: Int | null;
  b_insns?: Int | null;
  delta_insns?: Int;
}

export interface SyscallDiffRow {
  name: string;
  compat: boolean;
  status: string;
  a_count: Int | null;
  b_count: Int | null;
  delta_count: Int;
  a_total_ns: Int | null;
  b_total_ns: Int | null;
  delta_total_ns: Int;
  delta_total_pct: number | null;
  a_total_insns?: Int | null;
  b_total_insns?: Int | null;
  delta_total_insns?: Int;
}

/** `bootprof diff A B --format json`: the two boots compared, rows by the absolute change. */
export interface DiffDocument extends DocumentHeader<'diff'> {
  summary: DiffSummary;
  functions: FunctionDiffRow[];
  phases: PhaseDiffRow[];
  milestones: MilestoneDiffRow[];
  /** Absent when a side has no initcalls (a report saved without --stacks, no kernel map). */
  initcalls?: InitcallDiffRow[];
  /** Absent when a side's symbols have no system call entry. */
  syscalls?: SyscallDiffRow[];
}

// ---------------------------------------------------------------------------------------------
// db query

/** A column of a query's result: its name and DuckDB's SQL type (BIGINT, VARCHAR, DOUBLE, ...). */
export interface QueryColumn {
  name: string;
  type: string;
}

export interface QuerySummary {
  /** The store's path. */
  store: string;
  sql: string;
  rows: Int;
  columns: QueryColumn[];
}

/**
 * `bootprof db query STORE SQL --format json`: the result's rows as objects keyed by column name (a
 * name repeated in the result gets _2, _3, ...). Integers are exact up to 2^53 (larger ones are
 * strings); dates, maps and lists are text (maps and lists as JSON).
 */
export interface QueryDocument extends DocumentHeader<'query'> {
  summary: QuerySummary;
  rows: Record<string, string | number | boolean | null>[];
}
