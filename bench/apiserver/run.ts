/**
 * `npm run bench:apiserver`: Wasm pod creates through a real kube-apiserver at fixed rates, with
 * four admission set-ups in one run (issue 13, items 2 and 3): none, wasmgate, a
 * MutatingAdmissionPolicy, Kyverno. The scheduler is off, so only admission is measured. Latency
 * comes from kube-apiserver's own /metrics histograms (scraped before and after each phase) and
 * from the client's timing of every create; RSS and CPU of the admission process from /proc.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinnedVersion, startControlPlane, type ControlPlane } from '../../src/controlplane/index.js';
import { adminClient, type ApiClient } from '../api.js';
import { createNodes, createRuntimeClasses } from '../cluster.js';
import { cpuSeconds, loadNow, rss } from '../proc.js';
import { benchCommand, machineInfo, publish } from '../publish.js';
import { killServers } from '../transport/servers.js';
import { kyvernoBuild, setupKyverno, type KyvernoBuild } from './kyverno.js';
import { createAtRate, NAMESPACE } from './load.js';
import { diff, quantile, scrape, SERIES, type Histogram } from './metrics.js';
import { apiserverMarkdown, type ApiserverResults, type Phase } from './report.js';
import { setupMap, setupNone, setupNull, setupWasmgate, type Setup, type SetupName } from './setups.js';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const list = (name: string, fallback: string): string[] =>
  (process.env[name] ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
const settings = {
  setups: list('BENCH_APISERVER_SETUPS', 'none,null,wasmgate,map,kyverno') as SetupName[],
  rates: list('BENCH_APISERVER_RATES', '50,100,200').map(Number),
  seconds: Number(process.env['BENCH_APISERVER_SECONDS'] ?? 30),
  nodes: Number(process.env['BENCH_APISERVER_NODES'] ?? 200),
  // as deployed (bin/wasmgate.js's first line; BENCH_V8_FLAGS='' for V8's defaults)
  v8Flags: (process.env['BENCH_V8_FLAGS'] ?? '--max-semi-space-size=8 --expose-gc').split(' ').filter((f) => f !== ''),
};
const SETUP_NAMES: readonly SetupName[] = ['none', 'null', 'wasmgate', 'map', 'kyverno'];
for (const s of settings.setups)
  if (!SETUP_NAMES.includes(s)) throw new Error(`BENCH_APISERVER_SETUPS: unknown ${s} (${SETUP_NAMES.join(', ')})`);
const KYVERNO_VERSION = process.env['KYVERNO_VERSION'] ?? pinnedVersion('KYVERNO_VERSION');
const RESULTS_MD = process.env['BENCH_RESULTS_MD'] ?? join(ROOT, 'bench', 'results.md');
const RESULTS_JSON = process.env['BENCH_APISERVER_JSON'] ?? join(ROOT, 'bench', 'apiserver', 'results.json');
export const API_SERVER_ARGS = [
  '--disable-admission-plugins=TaintNodesByCondition',
  '--feature-gates=MutatingAdmissionPolicy=true',
  '--runtime-config=admissionregistration.k8s.io/v1beta1=true',
];

const say = (line: string): void => void process.stdout.write(`[bench:apiserver] ${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function summary(h: Histogram): { count: number; p50Ms: number; p99Ms: number } {
  return { count: h.count, p50Ms: quantile(h, 0.5) * 1000, p99Ms: quantile(h, 0.99) * 1000 };
}

/** A phase starts once the control plane and the admission process together use under this, over 2 s. */
const QUIET_CORES = 0.1;
const QUIET_WAIT_MS = 60_000;

/**
 * Wait (at most QUIET_WAIT_MS) until kube-apiserver, etcd and the set-up's process together use
 * under QUIET_CORES over 2 s, so that a phase does not start with the backlog of the one before it
 * (a saturated 200/s phase, a set-up's own lists). Returns the seconds waited, negative when the
 * wait ended at QUIET_WAIT_MS without the processes going quiet.
 */
async function settle(cp: ControlPlane, setup: Setup): Promise<number> {
  const pids = cp
    .processes()
    .filter((p) => p.name === 'kube-apiserver' || p.name === 'etcd')
    .map((p) => p.pid);
  if (setup.pid !== undefined) pids.push(setup.pid);
  const cpu = (): number => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const t0 = Date.now();
  for (;;) {
    const c0 = cpu();
    await sleep(2000);
    const waitedS = (Date.now() - t0) / 1000;
    if ((cpu() - c0) / 2 < QUIET_CORES) return waitedS;
    if (Date.now() - t0 > QUIET_WAIT_MS) return -waitedS;
  }
}

async function phase(cp: ControlPlane, api: ApiClient, setup: Setup, rate: number, tag: string): Promise<Phase> {
  const apiPid = cp.processes().find((p) => p.name === 'kube-apiserver')!.pid;
  const settleS = await settle(cp, setup);
  const before = await scrape(api);
  const c0 = setup.pid === undefined ? 0 : cpuSeconds(setup.pid);
  const a0 = cpuSeconds(apiPid);
  const t0 = Date.now();
  const load0 = loadNow();
  const run = await createAtRate(api, rate, settings.seconds, tag);
  const wallS = (Date.now() - t0) / 1000;
  await sleep(1000);
  const after = await scrape(api);
  const h = Object.fromEntries(Object.entries(SERIES).map(([k, f]) => [k, diff(f(after), f(before))])) as Record<
    keyof typeof SERIES,
    Histogram
  >;
  const proc =
    setup.pid === undefined
      ? undefined
      : { rssBytes: rss(setup.pid).rssBytes, peakRssBytes: rss(setup.pid).peakBytes, cores: (cpuSeconds(setup.pid) - c0) / wallS };
  return {
    setup: setup.name,
    rate,
    run,
    histograms: h,
    podCreate: summary(h.podCreate),
    admitStep: summary(h.admitStep),
    validateStep: summary(h.validateStep),
    webhookAdmit: summary(h.webhookAdmit),
    webhookValidate: summary(h.webhookValidate),
    process: proc,
    apiServerCores: (cpuSeconds(apiPid) - a0) / wallS,
    load: [load0, loadNow()],
    settleS,
  };
}

async function waitForKyverno(waitS: number): Promise<KyvernoBuild> {
  const deadline = Date.now() + waitS * 1000;
  for (;;) {
    const k = kyvernoBuild(ROOT, KYVERNO_VERSION);
    if (!('missing' in k)) return k;
    if (Date.now() > deadline) throw new Error(k.missing);
    say(`waiting for the Kyverno build (${k.missing})`);
    await sleep(15_000);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'wasmgate-apiserver-'));
  let cp: ControlPlane | undefined;
  let api: ApiClient | undefined;
  let current: Setup | undefined;
  process.on('exit', () => {
    killServers();
    rmSync(work, { recursive: true, force: true });
  });
  const notes: string[] = [];
  try {
    // BENCH_KYVERNO_WAIT_S: wait this long for a Kyverno build still in progress when its turn comes
    const kyvernoWaitS = Number(process.env['BENCH_KYVERNO_WAIT_S'] ?? 0);
    if (settings.setups.includes('kyverno') && kyvernoWaitS === 0) {
      const k = kyvernoBuild(ROOT, KYVERNO_VERSION);
      if ('missing' in k) throw new Error(k.missing);
    }
    cp = await startControlPlane({
      scheduler: false,
      apiServerArgs: API_SERVER_ARGS,
      log: (l) => process.stderr.write(`    [controlplane] ${l}\n`),
    });
    api = adminClient(cp, { maxSockets: 256, timeoutMs: 35_000 });
    const version = (JSON.parse((await api.must('GET', '/version')).body) as { gitVersion: string }).gitVersion;
    const discovery = JSON.parse((await api.must('GET', '/apis/admissionregistration.k8s.io')).body) as { versions: { version: string }[] };
    notes.push(`admissionregistration.k8s.io versions served: ${discovery.versions.map((v) => v.version).join(', ')}`);
    say(`kube-apiserver ${version} at ${cp.server} (${notes[0]})`);
    await createNodes(api, settings.nodes, 32, say);
    await createRuntimeClasses(api);
    await api.must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    const phases: Phase[] = [];
    const setups: { name: SetupName; describe: string; command?: string }[] = [];
    const [c, a] = [cp, api];
    const start: Record<SetupName, () => Promise<Setup>> = {
      none: () => setupNone(a),
      null: () => setupNull(c, a, ROOT, work, settings.v8Flags),
      wasmgate: () => setupWasmgate(c, a, ROOT, work, settings.v8Flags),
      map: () => setupMap(c, a),
      kyverno: async () => setupKyverno(c, a, await waitForKyverno(kyvernoWaitS), say),
    };
    for (const name of settings.setups) {
      say(`set-up ${name}`);
      current = await start[name]();
      setups.push({ name, describe: current.describe, ...(current.command === undefined ? {} : { command: current.command }) });
      for (const rate of settings.rates) {
        const p = await phase(cp, api, current, rate, `${name}-${rate}`);
        phases.push(p);
        say(
          `${name} ${rate}/s: ${p.run.created}/${p.run.sent} created (${p.run.failed} failed, ${p.run.mutated} with runtimeClassName); ` +
            `create p50/p99 ${p.podCreate.p50Ms.toFixed(1)}/${p.podCreate.p99Ms.toFixed(1)} ms (client ${p.run.p50Ms.toFixed(1)}/${p.run.p99Ms.toFixed(1)}); ` +
            `webhook admit p99 ${p.webhookAdmit.p99Ms.toFixed(2)} (n=${p.webhookAdmit.count}), validating p99 ${p.webhookValidate.p99Ms.toFixed(2)} (n=${p.webhookValidate.count}); ` +
            `admit step p99 ${p.admitStep.p99Ms.toFixed(2)}` +
            (p.process === undefined
              ? ''
              : `; process RSS ${(p.process.rssBytes / 2 ** 20).toFixed(1)} MiB, ${p.process.cores.toFixed(3)} cores`),
        );
        if (p.run.failures.length > 0) say(`  failures: ${p.run.failures.join(' | ')}`);
      }
      await current.stop();
      current = undefined;
    }
    const results: ApiserverResults = {
      date: new Date().toISOString(),
      command: benchCommand('bench:apiserver', 'BENCH_APISERVER_'),
      machine: {
        ...machineInfo(),
        kubernetes: version,
        kyverno: KYVERNO_VERSION,
      },
      settings,
      apiServerArgs: API_SERVER_ARGS,
      notes,
      setups,
      phases,
      totalS: (Date.now() - started) / 1000,
    };
    publish({ name: 'apiserver', results, markdown: apiserverMarkdown(results), mdPath: RESULTS_MD, jsonPath: RESULTS_JSON, say });
  } finally {
    await current?.stop().catch(() => undefined);
    api?.close();
    await cp?.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[bench:apiserver] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
