/**
 * Bundles the CLI (dist/cli.js, compiled by tsc, with commander and the other dependencies it
 * imports) and the parse worker into dist/bundle/, the code bin/bootprof.js runs: one file per
 * command plus shared chunks instead of ~70 modules, which Node resolves, reads and links one by one
 * (~75 ms of a short run on the 2-core machine, measured). Chunks sit two levels below the package
 * root like dist/output/html.js, so the paths they resolve from import.meta.url (dist/web,
 * dist/wasm, ./parse-worker.js) hold for both. Not minified: stack traces keep their names.
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const dist = new URL('../dist/', import.meta.url).pathname;
rmSync(dist + 'bundle', { recursive: true, force: true });
await build({
  entryPoints: { cli: dist + 'cli.js', 'parse-worker': dist + 'parallel/parse-worker.js' },
  outdir: dist + 'bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // CommonJS dependencies (commander's core, cli-progress) require Node's built-in modules
  banner: { js: "import { createRequire as __bootprofRequire } from 'node:module';\nconst require = __bootprofRequire(import.meta.url);" },
  logLevel: 'warning',
});
