/**
 * Smoke runs of the benchmarks that need a real control plane (bench/envelope, bench/apiserver),
 * with tiny sizes and results written to temp files. They check that each harness runs end to end
 * and writes well-formed results; no figure is judged. Kyverno is left out (its start alone takes
 * minutes); `npm run bench:apiserver` runs it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { ApiserverResults } from '../../bench/apiserver/report.js';
import type { EnvelopeResults } from '../../bench/envelope/report.js';
import { benchSmoke } from '../harness/bench.js';

const { dir, runBench } = benchSmoke(600_000);

it('bench:envelope fills the API server, measures tracking on and off, and writes its section', async () => {
  const md = join(dir, 'results.md');
  const json = join(dir, 'envelope.json');
  await runBench('bench/envelope/run.ts', {
    BENCH_ENVELOPE_NODES: '20',
    BENCH_ENVELOPE_PODS: '60',
    BENCH_ENVELOPE_CHURN: '5',
    BENCH_ENVELOPE_CHURN_SECONDS: '2',
    BENCH_ENVELOPE_IDLE_SECONDS: '1',
    BENCH_RESULTS_MD: md,
    BENCH_ENVELOPE_JSON: json,
  });
  const r = JSON.parse(readFileSync(json, 'utf8')) as EnvelopeResults;
  expect(r.modes.map((m) => m.mode)).toEqual(['track', 'notrack']);
  const track = r.modes[0]!;
  expect(track.countsMatch).toBe(true); // the counts wasmgate reports equal the pods the harness created
  expect(track.podsCountedMs).toBeGreaterThan(0);
  expect(r.modes[1]!.podsCountedMs).toBeUndefined();
  expect(r.fieldSelector.status).toBe(400); // spec.runtimeClassName is not a pod field selector
  expect(readFileSync(md, 'utf8')).toMatch(/<!-- envelope:start -->[\s\S]*\| on \|[\s\S]*\| off \|[\s\S]*<!-- envelope:end -->/);
}, 600_000);

it('bench:apiserver runs none, the null webhook, wasmgate and the MutatingAdmissionPolicy and reads the API server histograms', async () => {
  const md = join(dir, 'results.md');
  const json = join(dir, 'apiserver.json');
  await runBench('bench/apiserver/run.ts', {
    BENCH_APISERVER_SETUPS: 'none,null,wasmgate,map',
    BENCH_APISERVER_RATES: '5',
    BENCH_APISERVER_SECONDS: '2',
    BENCH_APISERVER_NODES: '20',
    BENCH_RESULTS_MD: md,
    BENCH_APISERVER_JSON: json,
  });
  const r = JSON.parse(readFileSync(json, 'utf8')) as ApiserverResults;
  expect(r.phases.map((p) => p.setup)).toEqual(['none', 'null', 'wasmgate', 'map']);
  const [none, nul, wasmgate, map] = r.phases;
  for (const p of r.phases) {
    expect(p.run.created).toBe(10);
    expect(p.podCreate.count).toBeGreaterThanOrEqual(10); // the API server's own histogram saw them
  }
  expect(none!.run.mutated).toBe(0);
  expect(wasmgate!.run.mutated).toBe(10);
  expect(map!.run.mutated).toBe(10);
  expect(nul!.run.mutated).toBe(10); // its --patch answer is applied by the API server
  expect(nul!.webhookAdmit.count).toBeGreaterThanOrEqual(10);
  expect(wasmgate!.webhookAdmit.count).toBeGreaterThanOrEqual(10);
  expect(wasmgate!.webhookValidate.count).toBeGreaterThanOrEqual(10);
  expect(none!.webhookAdmit.count).toBe(0);
  expect(readFileSync(md, 'utf8')).toMatch(/<!-- apiserver:start -->[\s\S]*<!-- apiserver:end -->/);
}, 600_000);
