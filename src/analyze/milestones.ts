/**
 * The curated boot milestones, idle-loop functions and phases of `bootprof timeline`: data only, the
 * one place to add a kernel version's or an architecture's names. timeline.ts interprets it.
 *
 * How a milestone is found
 * - `match`: `{ region }` = the first event of a region label; `{ kernelEntry: true }` = the first
 *   kernel pc (a function, physically or virtually addressed; absent when the trace already starts
 *   at a kernel virtual pc, i.e. is an excerpt); `{ functions }` = a *call* of one of the functions:
 *   an event at the function's start address (a trace excerpt that starts inside a function, or a
 *   return into it, is not a call). Names match with or without compiler suffixes (`.isra.0`,
 *   `.constprop.0`, `.part.0`); `.cold` parts never match.
 * - `pick`: with several functions, `earliest` (default) takes the earliest call of any of them;
 *   `listed` takes the first function in list order that was called at all (a fallback chain).
 * - `when` says when a call counts, because names get reused:
 *   - `cpu`: `any` (default) = first on any vCPU; `boot` = only on the boot vCPU (the one that ran
 *     start_kernel, else the kernel entry's); `each-ap` = one milestone per other vCPU.
 *   - `initText`: only calls in .init.text (`_sinittext`..`_einittext`): the init/main.c `mm_init`
 *     of 4.x-6.3 is `__init`; the kernel/fork.c `mm_init` (6.1 has only that one, init/main.c's is
 *     inlined) runs on every fork and is not.
 *   - `before`: only if earlier than the milestone with that key (or that milestone never happened).
 *   - `after`: only calls made once the milestone with that key has happened.
 *   - `notFirst`: absent when the trace starts in it (an excerpt: the true start is not traced).
 * Milestones that do not occur are simply absent (6.1 inlines do_basic_setup and do_initcalls).
 * Valid for x86-64 Linux 4.x-6.x; arm64 and riscv names are included where they differ.
 */
import { COMPAT_ENTRIES, NATIVE_ENTRIES } from './syscall-names.js';

export type Arch = 'x86' | 'arm64' | 'riscv';
export type RegionName = '[firmware]' | '[boot]' | '[user]';

export interface MilestoneWhen {
  cpu?: 'any' | 'boot' | 'each-ap';
  initText?: boolean;
  before?: string;
  after?: string;
  /** Absent when it is the trace's first line: such code never runs first, the trace is an excerpt. */
  notFirst?: boolean;
}

export interface MilestoneDef {
  /** Stable identifier (JSON `key`; referenced by `before`/`after` and by PHASES). */
  key: string;
  /** What a reader sees. */
  label: string;
  match: { region: RegionName } | { kernelEntry: true } | { functions: readonly string[] };
  pick?: 'earliest' | 'listed';
  when?: MilestoneWhen;
  /** Architectures it applies to; omitted: all. Documentation only (absent names never match). */
  arch?: readonly Arch[];
}

export const MILESTONES: readonly MilestoneDef[] = [
  { key: 'firmware', label: 'firmware starts', match: { region: '[firmware]' } },
  // [boot] = low code that is not firmware by address: the kernel's setup code and decompressor,
  // but also firmware code relocated to high RAM (SeaBIOS runs parts of its POST near the top of
  // RAM), which can come first: hence "first [boot] event", not "boot loader starts".
  { key: 'boot_loader', label: 'first [boot] event', match: { region: '[boot]' }, when: { notFirst: true } },
  { key: 'kernel_entry', label: 'kernel entry (first kernel pc)', match: { kernelEntry: true } },
  { key: 'x86_64_start_kernel', label: 'first C code, virtual addresses', match: { functions: ['x86_64_start_kernel'] }, when: { cpu: 'boot' }, arch: ['x86'] },
  { key: 'primary_switched', label: 'MMU on, virtual addresses', match: { functions: ['__primary_switched'] }, when: { cpu: 'boot' }, arch: ['arm64'] },
  { key: 'start_kernel', label: 'start_kernel', match: { functions: ['start_kernel'] }, when: { cpu: 'boot' } },
  { key: 'setup_arch', label: 'setup_arch', match: { functions: ['setup_arch'] }, when: { cpu: 'boot', before: 'kernel_init' } },
  {
    key: 'mm_init',
    label: 'memory manager init (mm_core_init / mm_init)',
    match: { functions: ['mm_core_init', 'mm_init'] },
    when: { cpu: 'boot', initText: true, before: 'kernel_init' },
  },
  { key: 'sched_init', label: 'sched_init', match: { functions: ['sched_init'] }, when: { cpu: 'boot', before: 'kernel_init' } },
  { key: 'time_init', label: 'time_init', match: { functions: ['time_init'] }, when: { cpu: 'boot', before: 'kernel_init' } },
  { key: 'rest_init', label: 'rest_init (start_kernel done)', match: { functions: ['rest_init'] }, when: { cpu: 'boot' } },
  { key: 'kernel_init', label: 'kernel_init thread starts', match: { functions: ['kernel_init'] } },
  { key: 'kernel_init_freeable', label: 'kernel_init_freeable', match: { functions: ['kernel_init_freeable'] } },
  { key: 'smp_init', label: 'smp_init (bring up secondary CPUs)', match: { functions: ['smp_init'] } },
  {
    key: 'ap_start',
    label: 'secondary CPU starts (start_secondary)',
    match: { functions: ['start_secondary', 'secondary_start_kernel', 'smp_callin'] },
    when: { cpu: 'each-ap' },
  },
  { key: 'do_basic_setup', label: 'do_basic_setup', match: { functions: ['do_basic_setup'] } },
  { key: 'do_initcalls', label: 'do_initcalls', match: { functions: ['do_initcalls'] } },
  { key: 'populate_rootfs', label: 'initramfs (populate_rootfs)', match: { functions: ['populate_rootfs'] } },
  { key: 'prepare_namespace', label: 'root device (prepare_namespace)', match: { functions: ['prepare_namespace'] } },
  { key: 'mount_root', label: 'mount root filesystem (mount_root)', match: { functions: ['mount_root'] } },
  { key: 'free_initmem', label: 'free init memory (free_initmem)', match: { functions: ['free_initmem'] } },
  {
    key: 'init_exec',
    label: 'init exec (run_init_process)',
    // 5.9+: run_init_process -> kernel_execve; 4.x: -> do_execve. kernel_execve / do_execve are only
    // a fallback (kernels that inline run_init_process): usermode helpers (modprobe) call them too.
    match: { functions: ['run_init_process', 'try_to_run_init_process', 'kernel_execve', 'do_execve'] },
    pick: 'listed',
    when: { after: 'kernel_init' },
  },
  { key: 'first_user', label: 'first user-space event', match: { region: '[user]' } },
  // the syscall entry symbols `bootprof syscalls` opens a call at (x86-64, i386, arm64, riscv)
  { key: 'first_syscall', label: 'first syscall', match: { functions: [...NATIVE_ENTRIES, ...COMPAT_ENTRIES] } },
  { key: 'panic', label: 'kernel panic', match: { functions: ['panic'] } },
  { key: 'power_off', label: 'power-off (kernel_power_off)', match: { functions: ['kernel_power_off', 'machine_power_off'] } },
  { key: 'reboot', label: 'reboot (kernel_restart / machine_restart)', match: { functions: ['kernel_restart', 'emergency_restart', 'machine_restart'] } },
  { key: 'halt', label: 'halt (kernel_halt)', match: { functions: ['kernel_halt', 'machine_halt'] } },
];

/**
 * Functions where a vCPU waits in the idle loop. Their self time (time until the vCPU's next event,
 * as in self-time) is the idle time of a phase; under TCG a halted vCPU runs no code, so the wait
 * is charged to the function that executed HLT / WFI. The loop's own bookkeeping (do_idle,
 * cpuidle governors) is not counted: it computes.
 */
export const IDLE_FUNCTIONS: readonly string[] = [
  // x86
  'native_safe_halt',
  'pv_native_safe_halt',
  'xen_safe_halt',
  'acpi_safe_halt',
  'default_idle',
  'default_idle_call',
  'arch_cpu_idle',
  'amd_e400_idle',
  'mwait_idle',
  'mwait_idle_with_hints',
  'acpi_idle_do_entry',
  'acpi_processor_ffh_cstate_enter',
  'intel_idle',
  'intel_idle_irq',
  'intel_idle_ibrs',
  'cpu_idle_poll',
  'poll_idle',
  // arm64, riscv
  'cpu_do_idle',
];

export interface PhaseDef {
  key: string;
  label: string;
  /** The milestone key that starts the phase; `trace_start` for the first one. */
  start: string;
}

/**
 * Phases: from each present start milestone to the next present one (the last to the end of the
 * trace). The first phase starts at the trace's first event when that is firmware or boot-loader
 * code; a trace that starts later (an excerpt) begins with a partial phase.
 */
export const PHASES: readonly PhaseDef[] = [
  { key: 'firmware', label: 'firmware, boot loader, decompressor', start: 'trace_start' },
  { key: 'early_kernel', label: 'early kernel', start: 'kernel_entry' },
  { key: 'start_kernel', label: 'start_kernel', start: 'start_kernel' },
  { key: 'initcalls', label: 'initcalls and rootfs', start: 'kernel_init' },
  { key: 'user', label: 'user space', start: 'init_exec' },
];

/** The points VMM developers quote, by the milestone that gives each. */
export const VMM_POINTS: Readonly<Record<'firmware_start' | 'linux_start_kernel' | 'linux_start_user', string>> = {
  firmware_start: 'firmware',
  linux_start_kernel: 'start_kernel',
  linux_start_user: 'first_user',
};

/** The milestone whose vCPU is the boot vCPU (falls back to the kernel entry's, then vCPU 0). */
export const BOOT_CPU_MILESTONE = 'start_kernel';
