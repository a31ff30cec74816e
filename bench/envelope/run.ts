/**
 * `npm run bench:envelope`: wasmgate's live source at the size Kubernetes promises (issue 13,
 * item 4): BENCH_ENVELOPE_NODES realistic Nodes (default 5,000, bench/nodes.ts) and
 * BENCH_ENVELOPE_PODS Pods (default 150,000, a third of them Wasm) in a real kube-apiserver. For
 * pod tracking on and off, `wasmgate serve --kubeconfig` (compiled, as deployed) is started and
 * measured: initial sync time, RSS once synced and idle, CPU and RSS under a churn of
 * BENCH_ENVELOPE_CHURN pod creates and as many deletes per second, and whether its pod counts match
 * the API server's after the churn (asked through its own webhook: a RuntimeClass DELETE review).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDevCerts } from '../../src/certs/generate.js';
import { freePort, startControlPlane, type ControlPlane } from '../../src/controlplane/index.js';
import { adminClient, type ApiClient } from '../api.js';
import { createNodes, createRuntimeClasses } from '../cluster.js';
import { cpuSeconds, loadNow, rss } from '../proc.js';
import { benchCommand, machineInfo, publish } from '../publish.js';
import { benchConfig, killServers, liveServeArgs, startServer, type Server } from '../transport/servers.js';
import { churn, createNamespaces, createPods, rawList, type ChurnResult, type PodCreation, type RawList } from './cluster.js';
import { envelopeMarkdown, type EnvelopeResults, type ModeResult } from './report.js';
import { askCounts, fieldSelectorProbe, waitReady } from './wasmgate.js';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name}: expected a number ≥ 0`);
  return v;
};
const settings = {
  nodes: num('BENCH_ENVELOPE_NODES', 5000),
  pods: num('BENCH_ENVELOPE_PODS', 150_000),
  concurrency: num('BENCH_ENVELOPE_CONCURRENCY', 48),
  churnRate: num('BENCH_ENVELOPE_CHURN', 100),
  churnSeconds: num('BENCH_ENVELOPE_CHURN_SECONDS', 30),
  idleSeconds: num('BENCH_ENVELOPE_IDLE_SECONDS', 10),
  modes: (process.env['BENCH_ENVELOPE_MODES'] ?? 'track,notrack').split(',').filter((m) => m !== '') as ('track' | 'notrack')[],
  // as deployed (bin/wasmgate.js's first line; BENCH_V8_FLAGS='' for V8's defaults)
  v8Flags: (process.env['BENCH_V8_FLAGS'] ?? '--max-semi-space-size=8 --expose-gc').split(' ').filter((f) => f !== ''),
};
const RESULTS_MD = process.env['BENCH_RESULTS_MD'] ?? join(ROOT, 'bench', 'results.md');
const RESULTS_JSON = process.env['BENCH_ENVELOPE_JSON'] ?? join(ROOT, 'bench', 'envelope', 'results.json');
const API_SERVER_ARGS = ['--disable-admission-plugins=TaintNodesByCondition'];

const say = (line: string): void => void process.stdout.write(`[bench:envelope] ${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU cores a process used over `seconds` (or until `during` settles), sampling RSS every second. */
async function observe(
  pid: number,
  seconds: number,
  during?: Promise<unknown>,
): Promise<{ cores: number; cpuS: number; rssMax: number; rssLast: number; wallS: number }> {
  const c0 = cpuSeconds(pid);
  const t0 = Date.now();
  let rssMax = 0;
  let rssLast = 0;
  let done = false;
  const until = (during ?? sleep(seconds * 1000)).then(
    () => undefined,
    () => undefined,
  );
  void until.then(() => (done = true));
  const sample = (): void => {
    rssLast = rss(pid).rssBytes;
    rssMax = Math.max(rssMax, rssLast);
  };
  while (!done) {
    sample();
    await Promise.race([sleep(1000), until]);
  }
  sample();
  const wallS = (Date.now() - t0) / 1000;
  const cpuS = cpuSeconds(pid) - c0;
  return { cores: cpuS / wallS, cpuS, rssMax, rssLast, wallS };
}

async function measureMode(
  mode: 'track' | 'notrack',
  cp: ControlPlane,
  api: ApiClient,
  work: string,
  state: { deleteFrom: number; wasm: Record<string, number>; round: number },
): Promise<ModeResult> {
  const certDir = join(work, 'certs');
  await ensureDevCerts(certDir);
  const config = join(work, `config-${mode}.yaml`);
  benchConfig(config, [`trackPods: ${mode === 'track'}`]);
  const port = await freePort();
  const args = liveServeArgs({ v8Flags: settings.v8Flags, kubeconfig: cp.kubeconfig, config, certDir, port });
  const t0 = Date.now();
  const wg: Server = await startServer('wasmgate', args, ROOT, /wasmgate listening on/, `https://127.0.0.1:${port}`, 120_000);
  const ca = (await ensureDevCerts(certDir)).caCert!;
  try {
    const readyMs = await waitReady(wg.url, ca, 300_000, t0);
    const logged = /synced in (\d+) ms/.exec(wg.stderrText());
    const syncMs = logged === null ? readyMs : Number(logged[1]);
    // pod tracking: the Pod list completes after readiness; wait for it (and time it) before measuring more
    let podsCountedMs: number | undefined;
    if (mode === 'track') {
      const c0 = cpuSeconds(wg.pid);
      const deadline = Date.now() + 900_000;
      let m: RegExpExecArray | null = null;
      while ((m = /pods counted per RuntimeClass \(in (\d+) ms\)/.exec(wg.stderrText())) === null) {
        if (Date.now() > deadline) throw new Error('wasmgate did not count pods within 900 s');
        await sleep(200);
      }
      podsCountedMs = Number(m[1]);
      say(
        `[${mode}] pods counted ${podsCountedMs} ms after start (${(cpuSeconds(wg.pid) - c0).toFixed(1)} CPU-seconds after the sync check)`,
      );
    }
    const startCpuS = cpuSeconds(wg.pid);
    const apiPid = cp.processes().find((p) => p.name === 'kube-apiserver')!.pid;
    say(`[${mode}] synced in ${syncMs} ms (ready after ${readyMs} ms); RSS ${(rss(wg.pid).rssBytes / 2 ** 20).toFixed(1)} MiB`);
    await sleep(2000);
    const idle = await observe(wg.pid, settings.idleSeconds);
    const countsBefore = await askCounts(wg.url, ca);
    say(
      `[${mode}] idle ${settings.idleSeconds} s: ${idle.cores.toFixed(3)} cores, RSS ${(idle.rssLast / 2 ** 20).toFixed(1)} MiB; counts ${JSON.stringify(countsBefore)} (expected ${JSON.stringify(state.wasm)})`,
    );
    const apiC0 = cpuSeconds(apiPid);
    const running = churn(api, {
      rate: settings.churnRate,
      seconds: settings.churnSeconds,
      prefix: `c${state.round}`,
      deleteFrom: state.deleteFrom,
      wasm: state.wasm,
    });
    const underChurn = await observe(wg.pid, settings.churnSeconds, running);
    const ch = await running;
    const apiCores = (cpuSeconds(apiPid) - apiC0) / underChurn.wallS;
    state.deleteFrom = ch.nextDelete;
    state.wasm = ch.wasm;
    state.round++;
    say(
      `[${mode}] churn ${ch.perSecond.toFixed(0)} objects/s (${ch.creates} creates, ${ch.deletes} deletes, ${ch.failed} failed) for ${ch.seconds.toFixed(1)} s: ` +
        `wasmgate ${underChurn.cores.toFixed(3)} cores, RSS max ${(underChurn.rssMax / 2 ** 20).toFixed(1)} MiB; kube-apiserver ${apiCores.toFixed(2)} cores`,
    );
    // the counts must catch up with the API server's
    let counts = await askCounts(wg.url, ca);
    const caughtUpStart = Date.now();
    while (mode === 'track' && JSON.stringify(counts) !== JSON.stringify(expected(state.wasm)) && Date.now() - caughtUpStart < 60_000) {
      await sleep(200);
      counts = await askCounts(wg.url, ca);
    }
    const caughtUpMs = Date.now() - caughtUpStart;
    const after = await observe(wg.pid, 3);
    return {
      mode,
      command: `node ${args.join(' ').replace(work, '<tmp>')}`,
      syncMs,
      readyMs,
      podsCountedMs,
      startCpuS,
      idle: { cores: idle.cores, rssBytes: idle.rssLast },
      churn: {
        ...ch,
        cores: underChurn.cores,
        cpuS: underChurn.cpuS,
        rssMaxBytes: underChurn.rssMax,
        apiServerCores: apiCores,
      } as ChurnResult & { cores: number; cpuS: number; rssMaxBytes: number; apiServerCores: number },
      rssAfterBytes: after.rssLast,
      peakRssBytes: rss(wg.pid).peakBytes,
      counts,
      expected: expected(state.wasm),
      countsMatch:
        mode === 'track' ? JSON.stringify(counts) === JSON.stringify(expected(state.wasm)) : Object.values(counts).every((n) => n === 0),
      caughtUpMs: mode === 'track' ? caughtUpMs : undefined,
      logTail: wg.stderrText().split('\n').slice(-12).join('\n'),
    };
  } finally {
    await wg.stop();
  }
}

function expected(wasm: Record<string, number>): Record<string, number | undefined> {
  return { wasm1: wasm['wasm1'] ?? 0, spin: wasm['spin'] ?? 0 };
}

/**
 * BENCH_WAIT_FILE: after filling the API server, wait until this file exists before measuring, so
 * a long fill can run while the machine is busy and the measurement when it is quiet.
 */
async function waitForGo(log: (line: string) => void): Promise<void> {
  const file = process.env['BENCH_WAIT_FILE'];
  if (file === undefined || file === '') return;
  log(`waiting for ${file} to exist before measuring`);
  while (!existsSync(file)) await sleep(2000);
  log(`${file} exists: measuring (load average ${loadNow().toFixed(1)})`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'wasmgate-envelope-'));
  let cp: ControlPlane | undefined;
  let api: ApiClient | undefined;
  process.on('exit', () => {
    killServers();
    rmSync(work, { recursive: true, force: true });
  });
  try {
    cp = await startControlPlane({
      scheduler: false,
      apiServerArgs: API_SERVER_ARGS,
      log: (l) => process.stderr.write(`    [controlplane] ${l}\n`),
    });
    api = adminClient(cp, { maxSockets: settings.concurrency });
    const version = (JSON.parse((await api.must('GET', '/version')).body) as { gitVersion: string }).gitVersion;
    say(`kube-apiserver ${version} at ${cp.server}; creating ${settings.nodes} nodes`);
    const nodes = await createNodes(api, settings.nodes, settings.concurrency, say);
    await createRuntimeClasses(api);
    await createNamespaces(api);
    say(`created ${settings.nodes} nodes in ${(nodes.ms / 1000).toFixed(1)} s; creating ${settings.pods} pods`);
    const pods: PodCreation = await createPods(api, settings.pods, settings.concurrency, say);
    say(
      `created ${pods.pods} pods in ${(pods.ms / 1000).toFixed(1)} s (${pods.perSecond.toFixed(0)}/s), Wasm: ${JSON.stringify(pods.wasm)}`,
    );
    const fieldSelector = await fieldSelectorProbe(api);
    say(`fieldSelector spec.runtimeClassName: HTTP ${fieldSelector.status}: ${fieldSelector.message}`);
    await waitForGo(say);
    const lists: RawList[] = [];
    for (const pageSize of [100, 500]) {
      const l = await rawList(api, '/api/v1/pods', pageSize);
      lists.push(l);
      say(
        `raw list of pods, pages of ${pageSize}: ${l.pages} pages, ${(l.bytes / 2 ** 20).toFixed(0)} MiB in ${(l.fetchMs / 1000).toFixed(1)} s`,
      );
    }
    const apiPid = cp.processes().find((p) => p.name === 'kube-apiserver')!.pid;
    const etcdPid = cp.processes().find((p) => p.name === 'etcd')!.pid;
    const state = { deleteFrom: 1, wasm: { ...pods.wasm }, round: 0 };
    const modes: ModeResult[] = [];
    for (const mode of settings.modes) {
      const load0 = loadNow();
      const r = await measureMode(mode, cp, api, work, state);
      modes.push({ ...r, loadBefore: load0, loadAfter: loadNow() });
    }
    const results: EnvelopeResults = {
      date: new Date().toISOString(),
      command: benchCommand('bench:envelope', 'BENCH_ENVELOPE_'),
      machine: {
        ...machineInfo(),
        kubernetes: version,
      },
      settings,
      creation: { nodes: { count: settings.nodes, ms: nodes.ms, perSecond: nodes.perSecond }, pods },
      apiServer: { rssBytes: rss(apiPid).rssBytes, etcdRssBytes: rss(etcdPid).rssBytes },
      fieldSelector,
      lists,
      modes,
      totalS: (Date.now() - started) / 1000,
    };
    publish({ name: 'envelope', results, markdown: envelopeMarkdown(results), mdPath: RESULTS_MD, jsonPath: RESULTS_JSON, say });
  } finally {
    api?.close();
    await cp?.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[bench:envelope] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
