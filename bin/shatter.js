#!/usr/bin/env node
// The `shatter` command: runs the compiled CLI (built by `npm ci` through the prepare script).
import { main } from '../dist/src/cli.js';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
