/**
 * Hardening through the real control plane:
 *
 * 1. Client certificates: kube-apiserver is started with --admission-control-config-file whose
 *    WebhookAdmissionConfiguration kubeConfigFile gives it a client certificate for wasmgate's
 *    host:port; wasmgate runs with --client-ca-file. The API server's calls succeed (the pod is
 *    mutated); a plain client without a certificate is refused.
 * 2. Faults under a steady `kubectl apply` load of Wasm pods: kube-apiserver is stopped and
 *    started again, etcd is frozen (SIGSTOP) and resumed (SIGCONT). wasmgate's decisions stay
 *    right, /readyz agrees with its sync state, and it answers no request with a 5xx.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { caBundle, generateCa, generateWebhookCerts, signLeaf, writeWebhookCerts, type CertPair } from '../../src/certs/generate.js';
import { parseConfig } from '../../src/config/config.js';
import { webhookYaml } from '../../src/deploy/webhooks.js';
import { applyObjects, createNode, freePort, kubectlJson, useControlPlane, waitFor, type ControlPlane } from '../harness/controlplane.js';
import { ensureBuilt, REPO } from '../harness/wasmgate.js';

const WASM_TAINT = { key: 'wasm', value: 'true', effect: 'NoSchedule' as const };

// Files the API server needs at start: made before useControlPlane's beforeAll runs.
const dir = await mkdtemp(join(tmpdir(), 'wasmgate-hardening-e2e-'));
const port = await freePort();
const clientCa = await generateCa('apiserver-webhook-client-ca');
const apiserverClient = await signLeaf(clientCa, { commonName: 'kube-apiserver-webhook-client', sans: [], usage: 'client' });
await writeFile(join(dir, 'client-ca.crt'), clientCa.cert);
await writeFile(join(dir, 'client.crt'), apiserverClient.cert);
await writeFile(join(dir, 'client.key'), apiserverClient.key, { mode: 0o600 });
// the user's name is the host:port of the webhook URL (k8s.io/apiserver/pkg/util/webhook/authentication.go)
await writeFile(
  join(dir, 'webhook-kubeconfig.yaml'),
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    users: [{ name: `127.0.0.1:${port}`, user: { 'client-certificate': join(dir, 'client.crt'), 'client-key': join(dir, 'client.key') } }],
  }),
);
const pluginConfig = {
  apiVersion: 'apiserver.config.k8s.io/v1',
  kind: 'WebhookAdmissionConfiguration',
  kubeConfigFile: join(dir, 'webhook-kubeconfig.yaml'),
};
await writeFile(
  join(dir, 'admission.yaml'),
  stringify({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'AdmissionConfiguration',
    plugins: [
      { name: 'ValidatingAdmissionWebhook', configuration: pluginConfig },
      { name: 'MutatingAdmissionWebhook', configuration: pluginConfig },
    ],
  }),
);

const controlPlane = useControlPlane({
  scheduler: false,
  apiServerArgs: [`--admission-control-config-file=${join(dir, 'admission.yaml')}`],
});

let cp: ControlPlane;
let child: ChildProcess;
let output = '';
let servingCa: string;
const url = `https://127.0.0.1:${port}`;

function call(path: string, opts: { body?: object; cert?: CertPair } = {}): Promise<{ status: number; text: string }> {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${url}${path}`,
      {
        method: body === undefined ? 'GET' : 'POST',
        ca: servingCa,
        agent: false,
        timeout: 10_000,
        headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        ...(opts.cert === undefined ? {} : { cert: opts.cert.cert, key: opts.cert.key }),
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

function wasmPod(name: string, extra: Record<string, unknown> = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', annotations: { 'wasmgate.dev/runtime': 'wasmtime' } },
    spec: { containers: [{ name: 'app', image: 'ghcr.io/containerd/runwasi/wasi-demo-app:latest' }], ...extra },
  };
}

async function metric(name: string, labelPart = ''): Promise<number> {
  const { text } = await call('/metrics');
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#') || !line.includes(labelPart)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

beforeAll(async () => {
  cp = controlPlane;
  ensureBuilt();
  await createNode(cp, { name: 'plain-1' });
  await createNode(cp, { name: 'wasm-1', labels: { 'wasmtime-enabled': 'yes' }, taints: [WASM_TAINT] });
  await applyObjects(cp, {
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name: 'wasm1' },
    handler: 'wasmtime',
    scheduling: { nodeSelector: { 'wasmtime-enabled': 'yes' }, tolerations: [{ ...WASM_TAINT, operator: 'Equal' }] },
  });
  const certs = await generateWebhookCerts('wasmgate', 'wasmgate');
  servingCa = certs.ca.cert;
  await writeWebhookCerts(join(dir, 'certs'), certs);
  child = spawn(
    process.execPath,
    [
      join(REPO, 'bin/wasmgate.js'),
      'serve',
      '--kubeconfig',
      cp.kubeconfig,
      '--cert-dir',
      join(dir, 'certs'),
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--client-ca-file',
      join(dir, 'client-ca.crt'),
      '--drain-seconds',
      '0',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await waitFor(async () => (await call('/readyz')).status === 200, { timeoutMs: 60_000, what: `wasmgate ready (${output})` });
  const yaml = webhookYaml(parseConfig({}), { client: { url, caBundle: caBundle(servingCa) }, timeoutSeconds: 5 });
  const applied = await cp.kubectl(['apply', '-f', '-'], { input: yaml });
  expect(applied.code, applied.stderr).toBe(0);
  // the API server picks the configurations up asynchronously: wait until it mutates a dry run
  await waitFor(
    async () => {
      const r = await cp.kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], { input: JSON.stringify(wasmPod('probe')) });
      return r.code === 0 && (JSON.parse(r.stdout) as { spec: { runtimeClassName?: string } }).spec.runtimeClassName === 'wasm1';
    },
    { timeoutMs: 60_000, what: 'the API server to call wasmgate' },
  );
}, 600_000);

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('client certificate verification', () => {
  it('serves the API server, which presents the client certificate from its admission config', async () => {
    const res = await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(wasmPod('cert-ok')) });
    expect(res.code, res.stderr).toBe(0);
    const stored = await kubectlJson(cp, ['get', 'pod', 'cert-ok', '-n', 'default']);
    expect(stored.spec.runtimeClassName).toBe('wasm1');
    // and the validating webhook denies through the same authenticated path
    const bad = await cp.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify(wasmPod('cert-deny', { nodeSelector: { zone: 'nowhere' } })),
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('[nodes-available] Pod default/cert-deny (RuntimeClass wasm1) has no node to run on');
  });

  it('refuses a plain client without a certificate, and one with a certificate of another CA', async () => {
    const body = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: { uid: 'u-1', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', object: wasmPod('x') },
    };
    const none = await call('/validate', { body });
    expect(none.status).toBe(403);
    expect(JSON.parse(none.text).message).toBe(
      '/validate requires a client certificate signed by the configured client CA (server.tls.clientCAFile); this connection was refused because it presented no certificate',
    );
    const stranger = await signLeaf(await generateCa('attacker'), { commonName: 'pod', sans: [], usage: 'client' });
    expect((await call('/mutate', { body, cert: stranger })).status).toBe(403);
    expect((await call('/validate', { body, cert: apiserverClient })).status).toBe(200);
    expect((await call('/readyz')).status).toBe(200);
  });
});

describe('faults under steady kubectl apply load', () => {
  it('keeps decisions right through an API server restart and a frozen etcd; no 5xx', { timeout: 600_000 }, async () => {
    const errorsBefore = await metric('wasmgate_admission_requests_total{', 'result="error"');
    const results: { name: string; expectAllowed: boolean; code: number; stderr: string }[] = [];
    const readyz: { status: number; synced: number }[] = [];
    let running = true;
    let n = 0;
    const load = async (): Promise<void> => {
      while (running) {
        const i = n++;
        const deny = i % 4 === 3;
        const name = `${deny ? 'fault-deny' : 'fault-ok'}-${i}`;
        const pod = deny ? wasmPod(name, { nodeSelector: { zone: 'nowhere' } }) : wasmPod(name);
        const r = await cp
          .kubectl(['apply', '--request-timeout=30s', '-f', '-'], { input: JSON.stringify(pod), timeoutMs: 60_000 })
          .catch((err: Error) => ({ code: -1, stdout: '', stderr: err.message }));
        results.push({ name, expectAllowed: !deny, code: r.code, stderr: r.stderr });
        if (r.code !== 0) await new Promise((res) => setTimeout(res, 200));
      }
    };
    const probe = async (): Promise<void> => {
      while (running) {
        try {
          const a = await call('/readyz');
          const synced = await metric('wasmgate_cluster_state_synced');
          const b = await call('/readyz');
          if (a.status === b.status) readyz.push({ status: a.status, synced });
        } catch {
          readyz.push({ status: 0, synced: -1 });
        }
        await new Promise((res) => setTimeout(res, 250));
      }
    };
    const loops = [load(), load(), probe()];
    const phase = async (what: string, fn: () => Promise<void>): Promise<void> => {
      const before = results.length;
      const t0 = Date.now();
      await fn();
      console.log(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${results.length - before} applies finished meanwhile`);
    };
    await phase('steady', () => waitFor(() => results.length >= 10, { timeoutMs: 120_000, what: '10 applies' }).then(() => undefined));
    await phase('kube-apiserver restart', () => cp.restartApiServer());
    await phase('after restart', () => new Promise((r) => setTimeout(r, 3000)));
    const etcd = cp.processes().find((p) => p.name === 'etcd');
    expect(etcd).toBeDefined();
    await phase('etcd frozen (SIGSTOP) 8 s', async () => {
      process.kill(etcd!.pid, 'SIGSTOP');
      try {
        await new Promise((r) => setTimeout(r, 8000));
      } finally {
        process.kill(etcd!.pid, 'SIGCONT');
      }
    });
    await phase('recovery', async () => {
      const at = results.length;
      await waitFor(() => results.slice(at).filter((r) => r.code === 0).length >= 4, {
        timeoutMs: 120_000,
        what: 'applies to succeed again',
      });
    });
    running = false;
    await Promise.all(loops);

    // every apply that got through admission was decided right
    const wrong: string[] = [];
    let admitted = 0;
    let denied = 0;
    let unavailable = 0;
    for (const r of results) {
      if (r.code === 0) {
        admitted++;
        if (!r.expectAllowed) wrong.push(`${r.name} was admitted`);
        const stored = await kubectlJson(cp, ['get', 'pod', r.name, '-n', 'default']);
        if (stored.spec.runtimeClassName !== 'wasm1') wrong.push(`${r.name} stored without runtimeClassName wasm1`);
      } else if (r.stderr.includes('[nodes-available]')) {
        denied++;
        if (r.expectAllowed) wrong.push(`${r.name} was denied: ${r.stderr}`);
      } else {
        // the API server or etcd was away: not a decision; but never wasmgate failing
        unavailable++;
        if (/failed calling webhook|wasmgate/i.test(r.stderr)) wrong.push(`${r.name}: webhook failure: ${r.stderr}`);
      }
    }
    const errorsAfter = await metric('wasmgate_admission_requests_total{', 'result="error"');
    const mismatched = readyz.filter((s) => s.status !== 0 && (s.status === 200) !== (s.synced === 1));
    console.log(
      `faults: ${results.length} applies: ${admitted} admitted, ${denied} denied by wasmgate, ${unavailable} failed while the control plane was away; ` +
        `${readyz.length} /readyz samples (${readyz.filter((s) => s.status === 200).length} ready, ${readyz.filter((s) => s.status === 503).length} not ready, ${mismatched.length} disagreeing with the sync gauge)`,
    );
    expect(wrong).toEqual([]);
    expect(admitted).toBeGreaterThan(0);
    expect(denied).toBeGreaterThan(0);
    expect(errorsAfter - errorsBefore, 'wasmgate answered with errors').toBe(0);
    expect(output).not.toMatch(/unhandled error|"statusCode":5\d\d/);
    expect(mismatched).toEqual([]);
    expect(readyz.filter((s) => s.status === 0)).toEqual([]);
    expect((await call('/readyz')).status).toBe(200);
  });
});
