/**
 * The symbol cache (src/symbols/cache.ts) of every run the suite makes, in-process or a CLI child
 * process (they inherit this environment): a fresh directory, never the user's, removed at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'bootprof-test-cache-'));
  process.env.BOOTPROF_CACHE_DIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
