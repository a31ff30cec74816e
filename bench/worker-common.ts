/**
 * Shared by the measurement workers (bench/worker-*.ts), each of which runs in its own process so
 * its RSS is attributable. Every worker loads wasmgate's live source (this file imports it), so the
 * baseline worker's RSS is the floor of a lean process. The full-object worker also loads
 * @kubernetes/client-node, as a webhook built on its informer must (about 70 MiB of RSS by itself):
 * that cost is part of the full-object approach and shows in its figures.
 *
 * Protocol: argv[2] is the kubeconfig path, BENCH_EXPECT_NODES the node count to wait for; the
 * result is one line `@@BENCH_RESULT@@ <json>` on stdout; diagnostics go to stderr. A worker exits
 * when its stdin closes, so it never outlives the benchmark runner.
 */
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import * as live from '../src/cluster/live.js';
import { RESULT_MARKER, type MemoryDetail, type MemorySample } from './shared.js';

/** Referenced so the module cannot be dropped as unused. */
export const modules = { live };

export interface WorkerArgs {
  kubeconfig: string;
  expectNodes: number;
}

export function workerArgs(): WorkerArgs {
  const kubeconfig = process.argv[2];
  if (kubeconfig === undefined || kubeconfig === '') throw new Error('usage: <worker> <kubeconfig>');
  const expectNodes = Number.parseInt(process.env['BENCH_EXPECT_NODES'] ?? '', 10);
  return { kubeconfig, expectNodes: Number.isFinite(expectNodes) ? expectNodes : -1 };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Two full GCs (with a pause so the freed pages can be released), as the benchmark specifies. */
export async function gcTwice(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  await sleep(50);
  gc();
  await sleep(250);
}

/**
 * Resident memory by kind of mapping (/proc/self/smaps): the brk heap ([heap], glibc's main
 * arena), 64 MiB-reserved anonymous regions (glibc's per-thread arenas), other anonymous
 * mappings (V8's heap pages, large objects, thread stacks), and file-backed mappings.
 */
function mappingSummary(): Record<string, { count: number; rss: number }> {
  const out: Record<string, { count: number; rss: number }> = {};
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return out;
  }
  let kind = 'other';
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head !== null) {
      const size = Number.parseInt(head[2]!, 16) - Number.parseInt(head[1]!, 16);
      const path = head[3]!.trim();
      kind =
        path === '[heap]'
          ? 'brk heap'
          : path === '[stack]'
            ? 'stack'
            : path.startsWith('/')
              ? 'file'
              : path !== ''
                ? path
                : size === 64 * 2 ** 20 || size === 128 * 2 ** 20
                  ? 'anon 64/128 MiB (malloc arena?)'
                  : size >= 2 ** 20
                    ? 'anon >= 1 MiB'
                    : 'anon < 1 MiB';
      const entry = (out[kind] ??= { count: 0, rss: 0 });
      entry.count++;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    const entry = out[kind];
    if (rss !== null && entry !== undefined) entry.rss += Number(rss[1]) * 1024;
  }
  return out;
}

/** Where the RSS is: V8's own accounting per heap space, and the kernel's (anonymous vs file-backed). */
function memoryDetail(): MemoryDetail {
  const h = getHeapStatistics();
  const spaces: Record<string, { committed: number; physical: number; used: number }> = {};
  for (const s of getHeapSpaceStatistics()) {
    spaces[s.space_name] = { committed: s.space_size, physical: s.physical_space_size, used: s.space_used_size };
  }
  const kernel: Record<string, number> = {};
  try {
    for (const line of readFileSync('/proc/self/smaps_rollup', 'utf8').split('\n')) {
      const m = /^(Rss|Pss_Anon|Pss_File|Anonymous|Private_Dirty|Shared_Clean|Swap):\s+(\d+) kB/.exec(line);
      if (m !== null) kernel[m[1]!] = Number(m[2]) * 1024;
    }
  } catch {
    /* not Linux */
  }
  return {
    mappings: mappingSummary(),
    v8TotalPhysical: h.total_physical_size,
    v8Malloced: h.malloced_memory,
    v8PeakMalloced: h.peak_malloced_memory,
    v8External: h.external_memory,
    spaces,
    kernel,
  };
}

export function memory(): MemorySample {
  const m = process.memoryUsage();
  return {
    detail: memoryDetail(),
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    heapTotalBytes: m.heapTotal,
    externalBytes: m.external,
    arrayBuffersBytes: m.arrayBuffers,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Exit when the parent (the runner) goes away: its end of our stdin closes. */
export function exitWithParent(): void {
  // BENCH_STANDALONE=1: run a worker by hand (e.g. with --cpu-prof) with no runner attached
  if (process.env['BENCH_STANDALONE'] === '1') return;
  process.stdin.on('end', () => process.exit(3));
  process.stdin.on('close', () => process.exit(3));
  process.stdin.on('error', () => process.exit(3));
  process.stdin.resume();
}

export function emit(result: object): void {
  process.stdout.write(`${RESULT_MARKER} ${JSON.stringify(result)}\n`);
}

/** Run a worker body: emit its result, exit 0; on error print it and exit 1. */
export function runWorker(body: () => Promise<object>): void {
  exitWithParent();
  body().then(
    (result) => {
      emit(result);
      process.exit(0);
    },
    (err: unknown) => {
      log(`worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exit(1);
    },
  );
}
