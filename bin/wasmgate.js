#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli by `npm run build` (run by `npm ci` through `prepare`).
import { main } from '../dist/cli/index.js';

main(process.argv).catch((err) => {
  process.stderr.write(`wasmgate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
