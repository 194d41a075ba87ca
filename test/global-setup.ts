/**
 * Once per test run, before any test:
 * - the symbol cache (src/symbols/cache.ts) of every run the suite makes, in-process or a CLI child
 *   process (they inherit this environment): a fresh directory, never the user's, removed at the end;
 * - the CLI bundle that bin/bootprof.js runs (dist/bundle, scripts/build-cli.mjs) is rebuilt when
 *   tsc wrote dist/ after it (`tsc` alone, or `tsc --watch`): the CLI tests then run what tsc built.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../', import.meta.url).pathname;

/** The newest modification time of the .js files under `dir` (skipping `skip`). */
function newest(dir: string, skip: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (p !== skip) t = Math.max(t, newest(p, skip));
    } else if (e.name.endsWith('.js')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

function bundleFresh(): boolean {
  const bundle = join(ROOT, 'dist', 'bundle');
  try {
    return statSync(join(bundle, 'cli.js')).mtimeMs >= newest(join(ROOT, 'dist'), bundle);
  } catch {
    return false;
  }
}

export function setup(): () => void {
  if (!bundleFresh()) execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.mjs')], { stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'bootprof-test-cache-'));
  process.env.BOOTPROF_CACHE_DIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
