#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli by `npm run build` (run by `npm ci` through `prepare`).
// V8's default young generation on purpose (bench/results.md, "Against a null webhook"): with
// --max-semi-space-size=2 a review's parsed AdmissionReview is promoted before it dies, and
// wasmgate spent 1.4-2.2x the null webhook's CPU per review instead of 1.1-1.35x, in the same run.
// The flag saves ~30 MiB of idle RSS at 5,000 nodes (0.22x instead of 0.28x a full-object cache);
// set NODE_OPTIONS=--max-semi-space-size=2 where memory matters more than review throughput.
import { main } from '../dist/cli/index.js';

main(process.argv).catch((err) => {
  process.stderr.write(`wasmgate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
