#!/usr/bin/env -S node --max-semi-space-size=2
// Thin launcher: the CLI is compiled from src/cli by `npm run build` (run by `npm ci` through `prepare`).
// --max-semi-space-size=2 (in the line above; set NODE_OPTIONS the same way when running
// `node bin/wasmgate.js`): after the initial list of a large cluster V8 would keep a young
// generation sized for that burst; with 2 MiB semi-spaces the process stays at 0.22x the RSS of a
// full-object cache at 5,000 nodes instead of 0.28x, and decision p99 stays under 10 µs
// (bench/results.md).
import { main } from '../dist/cli/index.js';

main(process.argv).catch((err) => {
  process.stderr.write(`wasmgate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
