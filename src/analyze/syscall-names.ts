/**
 * Which kernel symbols open a system call and which ones name it. Plain data, matched once per
 * symbol-table name (never per event) by classifySyscallNames().
 *
 * Entry symbols are matched by exact name: the first translation block after the trap instruction
 * starts exactly there. Labels inside the entry code (`entry_SYSCALL_64_after_hwframe`, the
 * `entry_SYSRETQ_*` return path) are separate symbols and never open a call.
 */

/** Native entries: the trap lands here for a call of the kernel's own ABI. */
export const NATIVE_ENTRIES: readonly string[] = [
  'entry_SYSCALL_64', // x86-64 `syscall`
  'entry_SYSENTER_32', // i386 kernels: `sysenter`
  'entry_INT80_32', // i386 kernels: `int $0x80`
  'el0_svc', // arm64 `svc` from AArch64
  'do_trap_ecall_u', // riscv (6.4+): `ecall` from U-mode
  'handle_syscall', // riscv (before 6.4): the label in entry.S, when the map has it
];

/** Compat entries: a 32-bit process on a 64-bit kernel. Calls entered here are marked compat. */
export const COMPAT_ENTRIES: readonly string[] = [
  'entry_SYSCALL_compat', // x86-64: `syscall` from 32-bit code (AMD)
  'entry_SYSENTER_compat', // x86-64: `sysenter` from 32-bit code
  'entry_INT80_compat', // x86-64: `int $0x80` (until the 2023 int80 hardening)
  'int80_emulation', // x86-64: `int $0x80` in 6.1.x/6.6.x stable after the hardening
  'asm_int80_emulation', // x86-64: `int $0x80`, 6.7+
  'el0_svc_compat', // arm64: `svc` from AArch32
];

export interface HandlerPrefix {
  prefix: string;
  /** Handlers of the compat ABI: a call reaching one is marked compat whatever its entry. */
  compat: boolean;
}

/**
 * Handler prefixes since Linux 4.17 (pt_regs wrappers), one per ABI. `__ia32_sys_` is not compat by
 * itself: i386 kernels use it natively, and on x86-64 it only runs behind a compat entry anyway
 * (and argument-less handlers share one address with their `__x64_sys_` alias, which the symbol
 * table prefers, so the entry is what tells compat calls apart).
 */
export const HANDLER_PREFIXES: readonly HandlerPrefix[] = [
  { prefix: '__x64_sys_', compat: false },
  { prefix: '__ia32_sys_', compat: false },
  { prefix: '__ia32_compat_sys_', compat: true },
  { prefix: '__x32_compat_sys_', compat: true },
  { prefix: '__arm64_sys_', compat: false },
  { prefix: '__arm64_compat_sys_', compat: true },
  { prefix: '__riscv_sys_', compat: false },
  { prefix: '__riscv_compat_sys_', compat: true },
];

/**
 * Handler names before 4.17: `sys_NAME`, its `SyS_NAME` wrapper, `compat_sys_NAME`. Used only when
 * the table holds no handler of the prefixes above: a current kernel also has text symbols such as
 * `sys_fillrect` or `sys_off_notify` that are not system calls (`sys_call_table` is data, so it is
 * never in the name table). `sys_ni_syscall` (the not-implemented handler) names the call
 * `ni_syscall`.
 */
export const LEGACY_HANDLER_PREFIXES: readonly HandlerPrefix[] = [
  { prefix: 'sys_', compat: false },
  { prefix: 'SyS_', compat: false },
  { prefix: 'compat_sys_', compat: true },
];

/** Name of a call whose handler was never seen. */
export const UNKNOWN_SYSCALL = 'unknown';
