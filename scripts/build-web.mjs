/**
 * Bundles the HTML report's page (web/report.ts and its libraries: d3 modules, d3-flame-graph) into
 * one minified script, and its styles (d3-flame-graph's and web/report.css) into one sheet, in
 * dist/web/: src/output/html.ts inlines both into every page it writes.
 */
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const out = new URL('../dist/web/', import.meta.url);
mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: [new URL('../web/report.ts', import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  write: false,
  legalComments: 'none',
  // d3-flame-graph's ES module imports its stylesheet; the sheet is inlined below instead
  loader: { '.css': 'empty' },
  logLevel: 'warning',
});
let js = result.outputFiles[0].text;
// the script is inlined in a <script> element: no `</script` may end it early
js = js.replace(/<\/script/gi, '<\\/script');
writeFileSync(new URL('report.js', out), js);
const flameCss = readFileSync(new URL('../node_modules/d3-flame-graph/dist/d3-flamegraph.css', import.meta.url), 'utf8');
writeFileSync(new URL('report.css', out), flameCss + '\n' + readFileSync(new URL('../web/report.css', import.meta.url), 'utf8'));
