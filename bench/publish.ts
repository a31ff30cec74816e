/**
 * What the transport, envelope and apiserver benchmarks do alike at the end of a run: name the
 * command and the machine in their results, and publish them (raw JSON, a marked section of
 * bench/results.md, the Markdown on stdout).
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { writeSection } from './sections.js';

export interface Machine {
  nproc: number;
  cpuModel: string;
  totalMemGiB: number;
  node: string;
}

export function machineInfo(): Machine {
  return {
    // the machine's CPUs, not this process's share: a pinned run (bench/cpus.ts) moves itself to some of them
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    totalMemGiB: totalmem() / 2 ** 30,
    node: process.version,
  };
}

/** A positive number from the environment variable `name`, or `fallback` when it is unset. */
export function envNumber(name: string, fallback: number): number {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name}: expected a positive number`);
  return v;
}

/** "npm run bench:x (BENCH_X_A=1 BENCH_V8_FLAGS=...)": the script and the settings it read from the environment (variables starting with any of `prefixes`). */
export function benchCommand(script: string, prefixes: string | readonly string[], withV8Flags = true): string {
  const starts = typeof prefixes === 'string' ? [prefixes] : prefixes;
  const env = Object.entries(process.env)
    .filter(([k]) => starts.some((p) => k.startsWith(p)) || (withV8Flags && k === 'BENCH_V8_FLAGS'))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `npm run ${script} (${env})`;
}

/** Writes the results JSON and section `name` of the results Markdown, prints the Markdown and says where it went. */
export function publish(o: {
  name: string;
  results: { totalS: number };
  markdown: string;
  mdPath: string;
  jsonPath: string;
  say: (line: string) => void;
}): void {
  writeFileSync(o.jsonPath, `${JSON.stringify(o.results, null, 2)}\n`);
  writeSection(o.mdPath, o.name, o.markdown);
  process.stdout.write(`\n${o.markdown}\n`);
  o.say(`wrote ${o.mdPath} (section ${o.name}) and ${o.jsonPath} in ${o.results.totalS.toFixed(0)} s`);
}
