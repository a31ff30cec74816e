/**
 * Issue 12's scale measurement: a real kube-apiserver holding NODES Nodes, PODS Pods and DEPLOYMENTS
 * Deployments, a known number of them broken; then the time and peak RSS of `wasmgate audit`
 * (CLI, /usr/bin/time -v) and of one background pass of `wasmgate serve` (its log line and
 * VmHWM against a serve without the background audit). Every broken object must be reported and
 * nothing else.  Run: npx tsx bench/reports-scale.ts  (env NODES, PODS, DEPLOYMENTS to scale down;
 * BENCH_V8_FLAGS as in children.ts: --max-semi-space-size=8, as deployed)
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { generateWebhookCerts, writeWebhookCerts } from '../src/certs/generate.js';
import { loadKubeConfig } from '../src/cluster/live.js';
import { startControlPlane } from '../src/controlplane/index.js';
import { httpClient } from '../src/report/http.js';
import { V8_FLAGS } from './children.js';

const NODES = Number(process.env['NODES'] ?? 5000);
const PODS = Number(process.env['PODS'] ?? 50000);
const DEPLOYMENTS = Number(process.env['DEPLOYMENTS'] ?? 5000);
const BROKEN_PODS = 100;
const BROKEN_DEPLOYMENTS = 50;
const NAMESPACES = 10;
const REPO = resolve(import.meta.dirname, '..');
const run = promisify(execFile);

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

const cp = await startControlPlane({ scheduler: false, log: () => {} });
try {
  const api = httpClient(loadKubeConfig(cp.kubeconfig), 120_000);
  const post = async (path: string, body: unknown): Promise<void> => {
    const r = await api.request('POST', path, body);
    if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
  };
  let t = Date.now();
  await post('/apis/node.k8s.io/v1/runtimeclasses', {
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name: 'wasm1' },
    handler: 'wasmtime',
    scheduling: { nodeSelector: { 'wasmtime-enabled': 'yes' } },
  });
  for (let n = 0; n < NAMESPACES; n++)
    await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `bench-${n}` } });
  await pool([...Array(NODES).keys()], 32, (i) =>
    post('/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: `node-${i}`,
        labels: { 'kubernetes.io/hostname': `node-${i}`, ...(i % 10 === 0 ? { 'wasmtime-enabled': 'yes' } : {}), zone: `z${i % 3}` },
      },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    }),
  );
  // node status is a subresource: set Ready through it
  await pool(
    [...Array(NODES).keys()].filter((i) => i % 10 === 0),
    32,
    async (i) => {
      const r = await api.request(
        'PATCH',
        `/api/v1/nodes/node-${i}/status`,
        {
          status: {
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                lastHeartbeatTime: new Date().toISOString(),
                lastTransitionTime: new Date().toISOString(),
                reason: 'KubeletReady',
                message: 'bench',
              },
            ],
          },
        },
        'application/merge-patch+json',
      );
      if (r.status !== 200) throw new Error(`node status: ${r.status}`);
    },
  );
  console.log(`nodes: ${NODES} in ${Date.now() - t} ms`);
  t = Date.now();
  const expected = new Set<string>();
  await pool([...Array(DEPLOYMENTS).keys()], 32, (i) => {
    const ns = `bench-${i % NAMESPACES}`;
    const broken = i < BROKEN_DEPLOYMENTS;
    if (broken) expected.add(`Deployment ${ns}/dep-${i}`);
    return post(`/apis/apps/v1/namespaces/${ns}/deployments`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `dep-${i}`, namespace: ns },
      spec: {
        selector: { matchLabels: { app: `dep-${i}` } },
        template: {
          metadata: { labels: { app: `dep-${i}` }, annotations: { 'wasmgate.dev/runtime': 'wasmtime' } },
          spec: { runtimeClassName: broken ? 'wasm2' : 'wasm1', containers: [{ name: 'app', image: 'example/app:1' }] },
        },
      },
    });
  });
  console.log(`deployments: ${DEPLOYMENTS} in ${Date.now() - t} ms`);
  t = Date.now();
  await pool([...Array(PODS).keys()], 48, (i) => {
    const ns = `bench-${i % NAMESPACES}`;
    const broken = i < BROKEN_PODS;
    if (broken) expected.add(`Pod ${ns}/pod-${i}`);
    // a broken pod asks for a class that does not exist by annotation only (the API server's
    // RuntimeClass plugin would reject spec.runtimeClassName: wasm2)
    return post(`/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `pod-${i}`,
        namespace: ns,
        labels: { app: 'bench' },
        annotations: broken ? { 'wasmgate.dev/runtime': 'wasm2' } : { 'wasmgate.dev/runtime': 'wasmtime' },
      },
      spec: { ...(broken ? {} : { runtimeClassName: 'wasm1' }), containers: [{ name: 'app', image: 'example/app:1' }] },
    });
  });
  console.log(`pods: ${PODS} in ${Date.now() - t} ms; broken: ${expected.size}`);

  // wasmgate audit, the CLI
  const timed = await run(
    '/usr/bin/time',
    [
      '-v',
      process.execPath,
      ...V8_FLAGS,
      join(REPO, 'bin/wasmgate.js'),
      'audit',
      '--kubeconfig',
      cp.kubeconfig,
      '-o',
      'json',
      '--fail-on',
      'never',
    ],
    { maxBuffer: 256 << 20 },
  );
  const report = JSON.parse(timed.stdout) as { audited: number; findings: { kind: string; namespace?: string; name: string }[] };
  const found = new Set(report.findings.map((f) => `${f.kind} ${f.namespace}/${f.name}`));
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (.*)/.exec(timed.stderr)?.[1];
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(timed.stderr)?.[1]) / 1024;
  const missing = [...expected].filter((e) => !found.has(e));
  const extra = [...found].filter((e) => !expected.has(e));
  console.log(
    `wasmgate audit: wall ${wall}, peak RSS ${rss.toFixed(1)} MiB, audited ${report.audited}, findings ${report.findings.length}, missing ${missing.length}, extra ${extra.length}`,
  );

  // serve: peak RSS with and without one background pass
  const serve = async (interval: number): Promise<{ hwmMiB: number; passLine?: string }> => {
    const dir = await mkdtemp(join(tmpdir(), 'wasmgate-bench-'));
    await writeWebhookCerts(dir, await generateWebhookCerts('wasmgate', 'wasmgate'));
    await writeFile(
      join(dir, 'config.yaml'),
      `audit: { reportApi: none, pageSize: ${process.env['PAGE_SIZE'] ?? 100}, leaderElection: { namespace: default } }\n`,
    );
    const child = spawn(
      process.execPath,
      [
        ...V8_FLAGS,
        join(REPO, 'bin/wasmgate.js'),
        'serve',
        '--kubeconfig',
        cp.kubeconfig,
        '--cert-dir',
        dir,
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--config',
        join(dir, 'config.yaml'),
        '--log-level',
        'warn',
        '--audit-interval',
        String(interval),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 600_000;
    const want = interval > 0 ? /background audit: \d+ objects.*/ : /cluster state: live cache .*synced in/;
    while (!want.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 1000));
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) / 1024;
    child.kill('SIGKILL');
    return { hwmMiB: hwm, ...(interval > 0 ? { passLine: want.exec(out)?.[0] ?? out.slice(-500) } : {}) };
  };
  const base = await serve(0);
  const withPass = await serve(3600);
  console.log(`serve without background audit: peak RSS ${base.hwmMiB.toFixed(1)} MiB after sync`);
  console.log(
    `serve with one background pass: peak RSS ${withPass.hwmMiB.toFixed(1)} MiB (+${(withPass.hwmMiB - base.hwmMiB).toFixed(1)} MiB); ${withPass.passLine}`,
  );
} finally {
  await cp.stop();
}
