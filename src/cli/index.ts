/**
 * The `wasmgate` command line. Each command lives in its own file and registers itself here;
 * adding a command is a new file and one line in COMMANDS (in the order `--help` lists them).
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerAudit } from './audit.js';
import { registerCerts } from './certs.js';
import { registerCheck } from './check.js';
import { registerManifests } from './manifests.js';
import { registerPlayground } from './playground.js';
import { registerRules } from './rules.js';
import { registerServe } from './serve.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const COMMANDS: readonly ((program: Command) => void)[] = [
  registerServe,
  registerCerts,
  registerCheck,
  registerManifests,
  registerAudit,
  registerPlayground,
  registerRules,
];

export function buildCli(): Command {
  const program = new Command('wasmgate')
    .description('Kubernetes admission webhook that sends WebAssembly workloads to nodes that can run them')
    .version(pkg.version)
    .showHelpAfterError();
  for (const register of COMMANDS) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildCli().parseAsync(argv);
}
