/** `wasmgate rules`: the rules, their ids and default enforcement. */
import type { Command } from 'commander';
import { RULES } from '../rules/registry.js';

export function registerRules(program: Command): void {
  program
    .command('rules')
    .description('list the rules, their ids and default enforcement')
    .action(() => {
      for (const r of RULES) process.stdout.write(`${r.id.padEnd(34)} ${r.defaultMode.padEnd(8)} ${r.summary}\n`);
    });
}
