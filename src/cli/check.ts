/**
 * `wasmgate check`: run mutation and validation offline over manifests, against a cluster
 * snapshot, exactly as the webhook would on CREATE. Output and exit codes: src/report/check-format.ts.
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { EXIT_ERROR, checkExitCode, formatCheckJson, formatCheckText } from '../report/check-format.js';
import { checkLocated } from '../report/check-run.js';
import { locateObjects, type Located } from '../report/locate.js';
import { formatCheckSarif } from '../report/sarif.js';
import { RULES } from '../rules/registry.js';
import { loadSnapshot } from '../cluster/snapshot.js';
import { loadConfig } from '../config/config.js';
import { collect } from './options.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description(
      'check manifests offline against a cluster snapshot, as the webhook would on create; exit 0: all admitted, 1: some denied, 2: could not check',
    )
    .argument('<manifest...>', 'YAML or JSON files with Pods, workloads, RuntimeClasses')
    .requiredOption('--cluster-state <path>', 'snapshot of Nodes and RuntimeClasses (file or directory); repeatable', collect)
    .option('-c, --config <file>', 'YAML config file')
    .addOption(
      new Option('-o, --output <format>', 'output format: text (file:line per verdict), json, sarif (SARIF 2.1.0 for code scanning)')
        .choices(['text', 'json', 'sarif'])
        .default('text'),
    )
    // bad arguments are "could not check" (2), never "denied" (1)
    .exitOverride((err) => {
      if (err.exitCode !== 0) process.exit(EXIT_ERROR);
    })
    .action(async (manifests: string[], opts: { clusterState: string[]; config?: string; output: 'text' | 'json' | 'sarif' }) => {
      let entries;
      try {
        const config = await loadConfig(opts.config);
        const { state } = await loadSnapshot(opts.clusterState);
        const located: Located[] = [];
        for (const f of manifests) located.push(...locateObjects(await readManifest(f), f));
        entries = checkLocated(located, state, config);
      } catch (err) {
        process.stderr.write(`wasmgate check: ${(err as Error).message}\n`);
        process.exitCode = EXIT_ERROR;
        return;
      }
      if (opts.output === 'json') process.stdout.write(formatCheckJson(entries));
      else if (opts.output === 'sarif') process.stdout.write(formatCheckSarif(entries, { version: VERSION, rules: RULES }));
      else process.stdout.write(formatCheckText(entries));
      process.exitCode = checkExitCode(entries);
    });
}

async function readManifest(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
}
