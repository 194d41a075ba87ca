#!/usr/bin/env node
// dist/bundle: the CLI bundled by `npm run build` (scripts/build-cli.mjs); dist/cli.js is the same code unbundled
import { main } from '../dist/bundle/cli.js';
main(process.argv);
