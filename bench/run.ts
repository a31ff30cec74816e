/**
 * `npm run bench`: wasmgate's live source against a full-object informer cache, on a real
 * kube-apiserver holding BENCH_NODES (default 5,000) realistic Nodes. See bench/README.md.
 *
 * 1. start a control plane (etcd + kube-apiserver, no scheduler);
 * 2. POST the Nodes over HTTPS (admin client certificate, keep-alive, ~32 in flight) and the
 *    RuntimeClasses; measure what a paginated list serves;
 * 3. run each measurement in its own process (bench/worker-*.ts): baseline, lean (x3), full;
 * 4. print a table, write bench/results.md and bench/results.json.
 *
 * The control plane and every child process are stopped at the end, also on errors.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane, type ControlPlane } from '../src/controlplane/index.js';
import { adminClient, type ApiClient } from './api.js';
import { killAll, V8_FLAGS, Workers, type Runner } from './children.js';
import { createNodes, createRuntimeClasses, measureList } from './cluster.js';
import {
  decisionTable,
  goals,
  goalTable,
  markdown,
  memoryTable,
  questionTable,
  rssBreakdownTable,
  summarize,
  tailTable,
  type MeasurementSet,
  type Results,
} from './report.js';
import { keepSections } from './sections.js';
import { RUNTIME_CLASSES, type BaselineResult, type FullResult, type LeanResult } from './shared.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number.parseInt(raw, 10);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name}=${raw}: expected a positive integer`);
  return v;
}

const NODES = intEnv('BENCH_NODES', 5000);
const CONCURRENCY = intEnv('BENCH_CONCURRENCY', 32);
const LEAN_RUNS = intEnv('BENCH_LEAN_RUNS', 3);
const CHILD_TIMEOUT_MS = intEnv('BENCH_CHILD_TIMEOUT_MS', 15 * 60_000);
const PAGE_SIZE = 100; // wasmgate's live source default
const RUNNERS = (process.env['BENCH_RUNNERS'] ?? 'tsx,compiled')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '') as Runner[];
for (const r of RUNNERS) if (r !== 'tsx' && r !== 'compiled') throw new Error(`BENCH_RUNNERS: unknown runner ${r} (tsx, compiled)`);
/**
 * TaintNodesByCondition adds node.kubernetes.io/not-ready:NoSchedule to every Node on create and
 * only the node lifecycle controller (not running here) would remove it from Ready nodes; without
 * the plugin the Nodes look like a settled cluster's.
 */
const API_SERVER_ARGS = ['--disable-admission-plugins=TaintNodesByCondition'];

const say = (line: string): void => {
  process.stdout.write(`[bench] ${line}\n`);
};

const workerSets = RUNNERS.map((r) => new Workers(ROOT, r, CHILD_TIMEOUT_MS));

// also on Ctrl-C: the control plane's SIGINT/SIGTERM handler stops it and exits the process
process.on('exit', () => {
  killAll();
  for (const w of workerSets) w.cleanup();
});

async function measureSet(workers: Workers, kubeconfig: string): Promise<MeasurementSet> {
  await workers.prepare();
  const env = { BENCH_EXPECT_NODES: String(NODES) };
  const tag = workers.runner;
  say(`[${tag}] baseline: ${workers.command('baseline').join(' ')}`);
  const baseline = await workers.run<BaselineResult>('baseline', kubeconfig, env, `${tag} baseline`);
  say(`[${tag}] baseline: RSS ${(baseline.result.memory.rssBytes / 2 ** 20).toFixed(1)} MiB`);
  const lean: LeanResult[] = [];
  for (let i = 0; i < LEAN_RUNS; i++) {
    const decisions = i === 0 ? '1' : '0';
    say(`[${tag}] lean run ${i + 1}/${LEAN_RUNS}${decisions === '1' ? ' (with decision latency)' : ''}`);
    const r = await workers.run<LeanResult>('lean', kubeconfig, { ...env, BENCH_DECISIONS: decisions }, `${tag} lean#${i + 1}`);
    say(
      `[${tag}] lean run ${i + 1}: sync ${r.result.syncMs.toFixed(0)} ms, RSS ${(r.result.memory.rssBytes / 2 ** 20).toFixed(1)} MiB (process wall time ${(r.wallMs / 1000).toFixed(1)} s)`,
    );
    lean.push(r.result);
  }
  say(`[${tag}] full: client-node informers`);
  const full = await workers.run<FullResult>('full', kubeconfig, env, `${tag} full`);
  say(
    `[${tag}] full: sync ${full.result.syncMs.toFixed(0)} ms, RSS ${(full.result.memory.rssBytes / 2 ** 20).toFixed(1)} MiB (process wall time ${(full.wallMs / 1000).toFixed(1)} s)`,
  );
  if (full.result.nodes !== NODES) throw new Error(`full: informer holds ${full.result.nodes} nodes, expected ${NODES}`);
  return {
    runner: workers.runner,
    commands: {
      baseline: workers.command('baseline').join(' '),
      lean: workers.command('lean').join(' '),
      full: workers.command('full').join(' '),
    },
    baseline: baseline.result,
    lean,
    full: full.result,
  };
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const date = new Date().toISOString();
  say(`${NODES} nodes, ${CONCURRENCY} requests in flight, ${LEAN_RUNS} lean runs, runners: ${RUNNERS.join(', ')}`);
  let cp: ControlPlane | undefined;
  let api: ApiClient | undefined;
  try {
    const cpStarted = Date.now();
    cp = await startControlPlane({
      scheduler: false,
      apiServerArgs: API_SERVER_ARGS,
      log: (line) => process.stderr.write(`    [controlplane] ${line}\n`),
    });
    const cpStartMs = Date.now() - cpStarted;
    say(`control plane up at ${cp.server} in ${(cpStartMs / 1000).toFixed(1)} s`);
    const version = await cp.kubectl(['version', '-o', 'json']);
    const v = JSON.parse(version.stdout) as { serverVersion?: { gitVersion?: string }; clientVersion?: { gitVersion?: string } };
    const kubernetes = { server: v.serverVersion?.gitVersion ?? 'unknown', kubectl: v.clientVersion?.gitVersion ?? 'unknown' };

    api = adminClient(cp, { maxSockets: CONCURRENCY });
    say(`creating ${NODES} nodes`);
    const creation = await createNodes(api, NODES, CONCURRENCY, say);
    say(`created ${NODES} nodes in ${(creation.ms / 1000).toFixed(1)} s (${creation.perSecond.toFixed(0)}/s)`);
    await createRuntimeClasses(api);
    say(`created RuntimeClasses ${RUNTIME_CLASSES.map((r) => r.name).join(', ')}`);
    const list = await measureList(api, PAGE_SIZE);
    if (list.items !== NODES) throw new Error(`list returned ${list.items} nodes, expected ${NODES}`);
    say(
      `paginated list: ${list.pages} pages, ${(list.responseBytes / 2 ** 20).toFixed(1)} MiB, served in ${list.fetchMs.toFixed(0)} ms; ` +
        `average node ${list.avgItemBytes.toFixed(0)} bytes (managedFields ${list.avgManagedFieldsBytes.toFixed(0)}, images ${list.avgImagesBytes.toFixed(0)})`,
    );
    api.close();
    api = undefined;

    const sets: MeasurementSet[] = [];
    for (const w of workerSets) sets.push(await measureSet(w, cp.kubeconfig));
    const summaries = sets.map(summarize);
    const results: Results = {
      date,
      command: 'npm run bench',
      machine: {
        nproc: availableParallelism(),
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        totalMemGiB: totalmem() / 2 ** 30,
        node: process.version,
        platform: `${process.platform}/${process.arch}`,
        kubernetes,
      },
      settings: { nodes: NODES, concurrency: CONCURRENCY, leanRuns: LEAN_RUNS, pageSize: PAGE_SIZE, runners: RUNNERS, v8Flags: V8_FLAGS },
      controlPlane: { startMs: cpStartMs, apiServerExtraArgs: API_SERVER_ARGS },
      creation: { ...creation, runtimeClasses: RUNTIME_CLASSES.map((r) => r.name) },
      list,
      sets,
      summaries,
      goals: goals(summaries),
      totalMs: Date.now() - t0,
    };

    const md = markdown(results);
    // other benchmarks' marked sections (bench/sections.ts) survive the rewrite
    const mdPath = join(ROOT, 'bench', 'results.md');
    writeFileSync(mdPath, keepSections(`${md}\n`, existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : ''));
    writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

    process.stdout.write('\n');
    for (const [i, s] of summaries.entries()) {
      process.stdout.write(`Memory and sync time (${s.runner}):\n${memoryTable(s, LEAN_RUNS)}\n\n`);
      process.stdout.write(`Where the RSS is (${s.runner}):\n${rssBreakdownTable(sets[i]!)}\n\n`);
    }
    for (const s of summaries) {
      process.stdout.write(`Decision latency, µs (${s.runner}):\n${decisionTable(s)}\n\n`);
      process.stdout.write(`Decision tail attribution, µs (${s.runner}):\n${tailTable(s)}\n\n`);
      process.stdout.write(`Selector question alone, µs (${s.runner}):\n${questionTable(s)}\n\n`);
    }
    process.stdout.write(
      `Goals (${NODES} nodes${NODES === 5000 ? '' : '; the goals are stated for 5,000'}):\n${goalTable(results.goals)}\n\n`,
    );
    say(`wrote bench/results.md and bench/results.json (${((Date.now() - t0) / 1000).toFixed(0)} s in all)`);
  } finally {
    killAll();
    for (const w of workerSets) w.cleanup();
    api?.close();
    if (cp !== undefined) {
      say('stopping the control plane');
      await cp.stop();
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
    process.exit(1);
  },
);
