/**
 * Smoke runs of the transport benchmarks (bench/transport: run.ts, calibrate.ts): tiny sizes,
 * short rounds, results written to a temp file. Checks that each harness runs end to end and writes
 * well-formed results; no figure is judged (nothing here depends on machine speed), except that a
 * review held by a 2 ms busy-wait takes at least 2 ms.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { CalibrationResults } from '../../bench/transport/calibrate-report.js';
import type { TransportResults } from '../../bench/transport/report.js';
import { benchSmoke } from '../harness/bench.js';

const { dir, runBench } = benchSmoke(300_000);

it('bench:transport runs both servers, alternates, and writes its section and JSON', async () => {
  const md = join(dir, 'results.md');
  const json = join(dir, 'transport.json');
  await runBench('bench/transport/run.ts', {
    BENCH_TRANSPORT_DURATION: '1',
    BENCH_TRANSPORT_WARMUP: '1',
    BENCH_TRANSPORT_ROUNDS: '2',
    BENCH_TRANSPORT_CONNECTIONS: '2',
    BENCH_TRANSPORT_OTHER_CONNECTIONS: '2',
    BENCH_TRANSPORT_SIZES: '5k',
    BENCH_TRANSPORT_VARIANTS: 'semi-space-2,v8-default',
    BENCH_TRANSPORT_NODES: '20',
    BENCH_RESULTS_MD: md,
    BENCH_TRANSPORT_JSON: json,
  });
  const r = JSON.parse(readFileSync(json, 'utf8')) as TransportResults;
  expect(r.rows).toHaveLength(4); // 2 variants × 2 endpoints × 1 size × 1 connection count
  for (const row of r.rows) {
    expect(row.runs.map((x) => x.target)).toEqual(['wasmgate', 'null', 'null', 'wasmgate']);
    for (const run of row.runs) {
      expect(run.requests).toBeGreaterThan(0);
      expect(run.non2xx + run.errors).toBe(0);
      expect(run.p99Ms).toBeGreaterThanOrEqual(run.p50Ms);
    }
  }
  const text = readFileSync(md, 'utf8');
  expect(text).toMatch(/<!-- transport:start -->[\s\S]*\| \/mutate \| 5k[\s\S]*\| \/validate \| 5k[\s\S]*<!-- transport:end -->/);
}, 300_000);

// on one CPU there is nothing to split: the benchmark refuses (bench/cpus.ts, test/unit/bench-cpus.test.ts)
it.runIf(cpus().length >= 2)(
  'bench:transport with BENCH_SERVER_CPUS runs each server on its CPU and the load on the others, into a section of its own',
  async () => {
    const md = join(dir, 'results-pinned.md');
    const json = join(dir, 'transport-pinned.json');
    const earlier = '<!-- transport:start -->\nan unpinned run\n<!-- transport:end -->\n';
    writeFileSync(md, earlier);
    const n = cpus().length;
    const server = String(n - 1);
    await runBench('bench/transport/run.ts', {
      BENCH_SERVER_CPUS: server,
      BENCH_TRANSPORT_DURATION: '1',
      BENCH_TRANSPORT_WARMUP: '1',
      BENCH_TRANSPORT_ROUNDS: '1',
      BENCH_TRANSPORT_CONNECTIONS: '2',
      BENCH_TRANSPORT_SIZES: '5k',
      BENCH_TRANSPORT_ENDPOINTS: 'validate',
      BENCH_TRANSPORT_VARIANTS: 'semi-space-8',
      BENCH_TRANSPORT_NODES: '20',
      BENCH_RESULTS_MD: md,
      BENCH_TRANSPORT_JSON: json,
    });
    const r = JSON.parse(readFileSync(json, 'utf8')) as TransportResults;
    // what the kernel reported for each process, not what was asked
    expect(r.servers.map((s) => [s.name, s.cpusAllowed])).toEqual([
      ['wasmgate', server],
      ['null', server],
    ]);
    expect(r.clientCpusAllowed).toBe(n === 2 ? '0' : `0-${n - 2}`);
    // the machine's CPUs, not the share this (pinned) process had
    expect(r.machine.nproc).toBe(n);
    expect(r.command).toContain(`BENCH_SERVER_CPUS=${server}`);
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]!.runs.every((x) => x.requests > 0 && x.non2xx + x.errors === 0)).toBe(true);
    const text = readFileSync(md, 'utf8');
    expect(text).toMatch(
      /<!-- transport-pinned:start -->\n## Against a null webhook, same transport, each server on a CPU of its own[\s\S]*<!-- transport-pinned:end -->/,
    );
    // an unpinned run's section is left alone
    expect(text).toContain(earlier);
  },
  300_000,
);

it('bench:transport:calibrate runs wasmgate beside null webhooks that busy-wait, and reads its ratio on their curve', async () => {
  const md = join(dir, 'calibration.md');
  const json = join(dir, 'calibration.json');
  await runBench('bench/transport/calibrate.ts', {
    BENCH_CALIBRATE_SPINS: '0,2000',
    BENCH_CALIBRATE_CONNECTIONS: '2',
    BENCH_TRANSPORT_DURATION: '1',
    BENCH_TRANSPORT_WARMUP: '1',
    BENCH_TRANSPORT_ROUNDS: '1',
    BENCH_TRANSPORT_NODES: '20',
    BENCH_RESULTS_MD: md,
    BENCH_CALIBRATE_JSON: json,
  });
  const r = JSON.parse(readFileSync(json, 'utf8')) as CalibrationResults;
  expect(r.servers.map((s) => s.label)).toEqual(['wasmgate', 'null + 0 µs', 'null + 2000 µs']);
  for (const s of r.servers) {
    expect(s.runs).toHaveLength(1);
    expect(s.runs[0]!.requests).toBeGreaterThan(0);
    expect(s.failed).toBe(0);
  }
  // the busy-wait holds every review for at least 2 ms: a lower bound, whatever the machine's speed
  expect(r.servers[2]!.p50Ms).toBeGreaterThanOrEqual(2);
  const text = readFileSync(md, 'utf8');
  expect(text).toMatch(
    /<!-- transport-calibration-validate-5k:start -->[\s\S]*\| null \+ 2000 µs \|[\s\S]*wasmgate's ratio, [\d.]+, is what this load gives[\s\S]*<!-- transport-calibration-validate-5k:end -->/,
  );
}, 300_000);
