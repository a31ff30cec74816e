/**
 * Writes the generated files of charts/wasmgate from the code (src/deploy/chart.ts):
 * files/webhooks.json, files/rbac.json, values.schema.json, and the values table in README.md.
 *   npx tsx scripts/chart-files.ts           write them
 *   npx tsx scripts/chart-files.ts --check   exit 1, naming the files, when one differs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chartFiles } from '../src/deploy/chart-files.js';

const repo = resolve(import.meta.dirname, '..');
const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [rel, text] of Object.entries(chartFiles(repo))) {
  const path = join(repo, rel);
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    /* absent */
  }
  if (current === text) continue;
  stale.push(rel);
  if (!check) writeFileSync(path, text);
}
if (check && stale.length > 0) {
  process.stderr.write(`out of date (run npx tsx scripts/chart-files.ts): ${stale.join(', ')}\n`);
  process.exit(1);
}
process.stderr.write(stale.length === 0 ? 'chart files are up to date\n' : `wrote ${stale.join(', ')}\n`);
