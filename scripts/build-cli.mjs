/**
 * Bundles the CLI (dist/cli.js, compiled by tsc) and the parse worker into dist/bundle/, the code
 * bin/bootprof.js runs: one file per command plus shared chunks instead of ~70 modules, which Node
 * resolves, reads and links one by one (~75 ms of a short run on the 2-core machine, measured).
 * Chunks sit two levels below the package root like dist/output/html.js, so the paths they resolve
 * from import.meta.url (dist/web, dist/wasm, ./parse-worker.js) hold for both. Of the dependencies
 * only commander, which every run loads, is bundled; the others stay imports Node resolves from
 * node_modules when a command loads them (native addons and packages that load files of their own
 * cannot be bundled). Not minified: stack traces keep their names.
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

/** Packages bundled into the CLI. */
const BUNDLED = new Set(['commander']);

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
  plugins: [
    {
      name: 'dependencies',
      setup(b) {
        // a bare specifier: Node's built-ins and every package but BUNDLED stay imports
        b.onResolve({ filter: /^[^./]/ }, (args) => {
          const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
          return BUNDLED.has(name) ? undefined : { external: true };
        });
      },
    },
  ],
  // commander's CommonJS core requires Node's built-in modules
  banner: { js: "import { createRequire as __bootprofRequire } from 'node:module';\nconst require = __bootprofRequire(import.meta.url);" },
  logLevel: 'warning',
});
