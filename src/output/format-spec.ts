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

/** The header every document starts with. */
export interface DocumentHeader {
  /** "bootprof/schema/COMMAND.v1.json": the schema file in the bootprof package. */
  $schema: string;
  format_version: FormatVersion;
}

/** Per vCPU: its index (the order its thread id first appears), the thread id, its events. */
export interface VcpuEvents {
  /** @asType integer */
  cpu: number;
  /** @asType integer */
  tid: number;
  /** @asType integer */
  events: number;
}

/** Events per region label; `kernel` counts events that resolved to a kernel function. */
export interface RegionCounts {
  /** @asType integer */
  firmware: number;
  /** @asType integer */
  boot: number;
  /** @asType integer */
  kernel: number;
  /** @asType integer */
  user: number;
  /** @asType integer */
  unknown: number;
  /** Kernel-half events of a run without symbols ([kernel]). @asType integer */
  unsymbolized_kernel: number;
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
  /** @asType integer */
  lines: number;
  /** @asType integer */
  events: number;
  /** Distinct thread ids, i.e. vCPUs. @asType integer */
  threads: number;
  vcpus: VcpuEvents[];
  /** Last event time minus first event time. @asType integer */
  span_ns: number;
  regions: RegionCounts;
  /** Lines of other trace events or QEMU's own messages, skipped. @asType integer */
  other_lines: number;
  /** Malformed lines, skipped and counted (--strict: fatal). @asType integer */
  malformed_lines: number;
  /** @asType integer */
  crlf_lines: number;
  /** The input was cut short (gzip data ending inside a member, or a last line with no newline). */
  truncated: boolean;
  /** Times a vCPU's time went backwards (those deltas count as 0). @asType integer */
  negative_deltas?: number;
}

// ---------------------------------------------------------------------------------------------
// self-time

/** A row of the functions table (CSV: function,self_ns[,total_ns],share,events). */
export interface FunctionRow {
  /** Function name, or a region label ([user], [firmware], [boot], [unknown], [kernel]). */
  function: string;
  /** Time charged to its events: each event until the next event of its vCPU. @asType integer */
  self_ns: number;
  /** Inclusive time from the reconstructed call stacks (only with --stacks). @asType integer */
  total_ns?: number;
  /** self_ns as a percent of the summed self time. */
  share: number;
  /** Events (translated blocks executed). @asType integer */
  events: number;
}

export interface SelfTimeSummary extends TraceSummary {
  /** Summed self time of every function. @asType integer */
  total_self_ns: number;
  /** Rows the full table has (the document may hold fewer: --top). @asType integer */
  functions: number;
}

/** `bootprof self-time --format json` */
export interface SelfTimeDocument extends DocumentHeader {
  summary: SelfTimeSummary;
  functions: FunctionRow[];
}

// ---------------------------------------------------------------------------------------------
// timeline

/** A phase of the boot, from one milestone to the next (CSV: the phases table). */
export interface PhaseRow {
  /** Phase key: firmware, early_kernel, start_kernel, initcalls, user_space, ... */
  phase: string;
  label: string;
  /** The milestone that starts it; trace_start for the first phase. */
  from: string;
  /** @asType integer */
  start_ns: number;
  /** @asType integer */
  end_ns: number;
  /** @asType integer */
  duration_ns: number;
  /** duration_ns as a percent of the traced span. */
  share: number;
  /** Idle time of the boot vCPU within the phase. @asType integer */
  idle_ns: number;
  /** idle_ns as a percent of duration_ns. */
  idle_share: number;
  /** The trace starts inside this phase (an excerpt): its true start is earlier. */
  partial: boolean;
  /** First phase only: self time of the boot vCPU's [firmware] events, else null. @asType integer */
  firmware_ns: number | null;
  /** First phase only: self time of the boot vCPU's [boot] events, else null. @asType integer */
  boot_ns: number | null;
}

/** Idle time of each vCPU in each phase. */
export interface PhaseIdleRow {
  phase: string;
  /** @asType integer */
  cpu: number;
  /** @asType integer */
  idle_ns: number;
}

/** A boot milestone: the first call of one of its functions. */
export interface MilestoneRow {
  /** Milestone key: kernel_entry, start_kernel, init_exec, first_user, ... */
  milestone: string;
  label: string;
  function: string;
  /** @asType integer */
  time_ns: number;
  /** @asType integer */
  cpu: number;
}

/** The first event of a function over all vCPUs (CSV: function,first_ns,cpu,milestone). */
export interface FirstCallRow {
  function: string;
  /** @asType integer */
  first_ns: number;
  /** @asType integer */
  cpu: number;
  /** Labels of the milestones this first call is (joined by "; "), or null. */
  milestone: string | null;
}

export interface TimelineSummaryFields {
  /** The vCPU that ran start_kernel (else the first to enter the kernel). @asType integer */
  boot_cpu: number;
  /** What the trace's first line runs: firmware, boot, kernel_entry, kernel (an excerpt) or other. */
  starts_in: 'firmware' | 'boot' | 'kernel_entry' | 'kernel' | 'other';
  /** The VMM boot points (as QEMU's and Firecracker's boot-time probes name them), or null. @asType integer */
  firmware_start_ns: number | null;
  /** @asType integer */
  linux_start_kernel_ns: number | null;
  /** @asType integer */
  linux_start_user_ns: number | null;
  /** Idle-loop time of every vCPU. @asType integer */
  idle_ns: number;
  /** Functions and regions seen (rows of the full first_calls table). @asType integer */
  functions: number;
}

export interface TimelineSummary extends TraceSummary, TimelineSummaryFields {}

/** `bootprof timeline --format json` */
export interface TimelineDocument extends DocumentHeader {
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
  /** Entry time. @asType integer */
  ts_ns: number;
  /** From the first handler reached (__x64_sys_getpid -> getpid); unknown when none was. */
  name: string;
  /** @asType integer */
  cpu: number;
  /** From the entry to the vCPU's next user-space event (unfinished: to its last event). @asType integer */
  duration_ns: number;
  unfinished: boolean;
  /** Entered through a compat entry or reaching a compat handler. */
  compat: boolean;
}

/** Calls per name, like strace -c (CSV: name,compat,count,total_ns,min_ns,mean_ns,max_ns,share,unfinished). */
export interface SyscallStatRow {
  name: string;
  compat: boolean;
  /** @asType integer */
  count: number;
  /** @asType integer */
  total_ns: number;
  /** @asType integer */
  min_ns: number;
  /** Rounded to the ns. @asType integer */
  mean_ns: number;
  /** @asType integer */
  max_ns: number;
  /** total_ns as a percent of all calls' summed duration. */
  share: number;
  /** @asType integer */
  unfinished: number;
}

export interface SyscallCallsPerVcpu {
  /** @asType integer */
  cpu: number;
  /** @asType integer */
  tid: number;
  /** @asType integer */
  calls: number;
}

/** What syscalls adds to the summary. */
export interface SyscallTotals {
  /** @asType integer */
  calls: number;
  /** @asType integer */
  unfinished: number;
  /** @asType integer */
  unknown: number;
  /** @asType integer */
  compat: number;
  /** Time of the first call, or null when there is none. @asType integer */
  first_ts_ns: number | null;
  per_vcpu: SyscallCallsPerVcpu[];
  /** Entry symbols the symbols have. */
  entry_symbols: string[];
}

export interface SyscallsSummary extends TraceSummary {
  syscalls: SyscallTotals;
}

/** `bootprof syscalls --format json` (one call per row) */
export interface SyscallsDocument extends DocumentHeader {
  summary: SyscallsSummary;
  /** Every call, by entry time (absent with --summary). */
  calls?: SyscallCallRow[];
  /** One row per name (with --summary). */
  syscalls?: SyscallStatRow[];
}

// ---------------------------------------------------------------------------------------------
// initcalls

/** A function do_one_initcall called (CSV: initcall,start_ns,duration_ns,cpu,returned). */
export interface InitcallRow {
  initcall: string;
  /** @asType integer */
  start_ns: number;
  /** Inclusive, to its return (unreturned: to the end of the trace). @asType integer */
  duration_ns: number;
  /** @asType integer */
  cpu: number;
  returned: boolean;
}

export interface InitcallsSummary extends TraceSummary {
  /** @asType integer */
  initcalls: number;
  /** @asType integer */
  unfinished: number;
  /** Summed duration of every initcall. @asType integer */
  total_duration_ns: number;
}

/** `bootprof initcalls --format json` */
export interface InitcallsDocument extends DocumentHeader {
  summary: InitcallsSummary;
  initcalls: InitcallRow[];
}

// ---------------------------------------------------------------------------------------------
// report

export interface ReportSummary extends TraceSummary, TimelineSummaryFields {
  /** @asType integer */
  total_self_ns: number;
  /** null when the symbols have no system call entry. */
  syscalls: SyscallTotals | null;
}

/** `bootprof report --format json`: self time, timeline and system calls of one pass. */
export interface ReportDocument extends DocumentHeader {
  summary: ReportSummary;
  phases: PhaseRow[];
  phase_idle: PhaseIdleRow[];
  milestones: MilestoneRow[];
  /** The top --top functions by self time. */
  functions: FunctionRow[];
  /** The top --top syscall names by total time. */
  syscalls: SyscallStatRow[];
}

// ---------------------------------------------------------------------------------------------
// info

export interface SymbolSource {
  path: string;
  /** System.map, kallsyms or ELF. */
  kind: string;
  /** @asType integer */
  symbols: number;
  /** Symbols used (sources after the first only fill gaps). @asType integer */
  added: number;
}

export interface KaslrVotes {
  /** @asType integer */
  hits: number;
  /** @asType integer */
  without_slide: number;
  /** @asType integer */
  runner_up: number;
  /** @asType integer */
  voters: number;
  best: string;
}

export interface KaslrInfo {
  /** Hex, with 0x. */
  slide: string;
  method: 'given' | 'detected' | 'checked' | 'off' | 'none' | 'no symbols' | 'pre-resolved';
  confidence: 'high' | 'medium' | 'low' | 'none' | null;
  votes: KaslrVotes | null;
  /** @asType integer */
  sampled_kernel_events: number;
}

export interface MalformedSample {
  /** @asType integer */
  line: number;
  /** @asType integer */
  offset: number;
  reason: string;
  snippet: string;
}

export interface InfoSummary extends TraceSummary {
  symbol_sources: SymbolSource[];
  /** Distinct pcs (exact up to 1,048,576; beyond, estimated within ~1%). @asType integer */
  distinct_pcs: number;
  distinct_pcs_exact: boolean;
  /** @asType integer */
  kernel_half_events: number;
  /** @asType integer */
  kernel_half_resolved: number;
  /** kernel_half_resolved / kernel_half_events, or null without kernel-half pcs. */
  resolution_rate: number | null;
  kaslr: KaslrInfo | null;
  malformed_samples: MalformedSample[];
  /** Records the tracer reported as lost (simpletrace). @asType integer */
  lost_events: number;
}

/** `bootprof info --format json` */
export interface InfoDocument extends DocumentHeader {
  summary: InfoSummary;
}
