/**
 * Benchmarks whose server and load generators share the machine can put them on separate CPUs:
 * `BENCH_SERVER_CPUS` (a taskset list such as `1` or `2-3`) names the server's CPUs, and the
 * benchmark's own process, with the load generators in it, moves to all the others. On 2 CPUs this
 * gives the server one of its own; the load generators no longer take CPU time from it, so its
 * throughput follows its own CPU per request.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface CpuSplit {
  /** the server's CPUs, as given */
  server: string;
  /** every other CPU, comma-separated: the benchmark and its load generators */
  others: string;
}

/** Split the machine's CPUs (0 … count-1) by a taskset list; throws on a list that is wrong or leaves nothing over. */
export function cpuSplit(list: string, count = cpus().length, name = 'BENCH_SERVER_CPUS'): CpuSplit {
  const ids = new Set<number>();
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (m === null) throw new Error(`${name}: not a CPU list: ${list}`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b >= count) throw new Error(`${name}: ${part} is not within CPUs 0-${count - 1}`);
    for (let c = a; c <= b; c++) ids.add(c);
  }
  const others = [...Array(count).keys()].filter((i) => !ids.has(i));
  if (others.length === 0) throw new Error(`${name}=${list} leaves no CPU for the load generators`);
  return { server: list, others: others.join(',') };
}

/** BENCH_SERVER_CPUS, checked, or undefined when it is not set. */
export function serverCpus(env: NodeJS.ProcessEnv = process.env): CpuSplit | undefined {
  const list = env['BENCH_SERVER_CPUS'];
  return list === undefined || list === '' ? undefined : cpuSplit(list);
}

/** Move this process, every thread of it, to `list` (what it spawns from now on inherits that). */
export function pinSelf(list: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', list, String(process.pid)]);
}

/**
 * The command and arguments that run `node args` on `list` (taskset execs node, so the child's pid
 * is node's), or plain node when there is no list.
 */
export function nodeOn(list: string | undefined, args: string[]): [string, string[]] {
  return list === undefined ? [process.execPath, args] : ['taskset', ['-c', list, process.execPath, ...args]];
}

/** The CPUs a running process may use, as the kernel reports them (`Cpus_allowed_list`, e.g. `0-1`). */
export function cpusAllowed(pid: number): string {
  const m = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ?? 'unknown';
}
