#!/usr/bin/env -S node --max-semi-space-size=8 --expose-gc
// Thin launcher: the CLI is compiled from src/cli by `npm run build` (run by `npm ci` through `prepare`).
// --max-semi-space-size=8 (in the line above; the image and the chart set NODE_OPTIONS the same
// way), measured in one run of each benchmark (bench/results.md, README "Memory setting"):
// - 2 MiB semi-spaces promote a review's parsed AdmissionReview before it dies: 10-30% more CPU
//   per review than V8's default (16 MiB), and scavenges often enough to push decision p99 to 50 µs;
// - 8 MiB: CPU per review within the noise of the default, decision p99 at most 33 µs at 5,000
//   nodes, and 97 MiB of RSS instead of 117 MiB (0.25x a full-object cache instead of 0.29x).
// --expose-gc: the live cache runs one full collection after its lists (src/cluster/compact.ts).
import { main } from '../dist/cli/index.js';

main(process.argv).catch((err) => {
  process.stderr.write(`wasmgate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
