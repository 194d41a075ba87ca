/** Every table declaration of the single-boot commands' documents (the diff's are DIFF_TABLES): what the output tests check. */
import { CALLEES_TABLE, CALLERS_TABLE } from '../src/analyze/call-paths.js';
import { CALL_TREE_TABLE } from '../src/analyze/call-tree-table.js';
import { INITCALLS_TABLE } from '../src/analyze/initcalls.js';
import { FUNCTIONS_TABLE } from '../src/analyze/self-time.js';
import { CALLS_TABLE, SYSCALL_STATS_TABLE } from '../src/analyze/syscalls.js';
import { FIRST_CALLS_TABLE, MILESTONES_TABLE, PHASE_IDLE_TABLE, PHASES_TABLE } from '../src/analyze/timeline.js';
import type { TableSpec } from '../src/model/table.js';

export const SINGLE_BOOT_TABLES: TableSpec<unknown>[] = [
  FUNCTIONS_TABLE,
  CALLS_TABLE,
  SYSCALL_STATS_TABLE,
  PHASES_TABLE,
  PHASE_IDLE_TABLE,
  MILESTONES_TABLE,
  FIRST_CALLS_TABLE,
  INITCALLS_TABLE,
  CALL_TREE_TABLE,
  CALLERS_TABLE,
  CALLEES_TABLE,
] as TableSpec<unknown>[];
