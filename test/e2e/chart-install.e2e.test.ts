/**
 * `helm install` of charts/wasmgate into a real control plane, then wasmgate run exactly as the
 * chart's Deployment runs it (its args, its ConfigMap, its ServiceAccount's token and only the
 * chart's RBAC, in-cluster files): two replicas behind a round-robin TCP proxy that the webhook
 * configurations reach through `webhook.url`. Self-managed certificates are created once, shared,
 * injected and rotated under a stream of `kubectl apply`; the chart's policy-report CRDs
 * (crds.install) are served and the background audit writes its report through them; upgrade keeps
 * the CA; uninstall leaves no webhook configuration behind, and keeps the CRDs.
 */
import { createServer, connect, type Server } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { leanNode } from '../../src/cluster/lean.js';
import { isRecord } from '../../src/objects/json.js';
import { parseObjects } from '../../src/cluster/snapshot.js';
import { createNode, freePort, kubectlJson, useControlPlane, waitFor, waitForCrds, type ControlPlane } from '../harness/controlplane.js';
import { CHART, helmBinary, runAsChart, useHelm, type Helm, type InClusterWasmgate } from '../harness/helm.js';
import { REPO } from '../harness/wasmgate.js';

const cp = useControlPlane();
const NS = 'wasmgate';
const NAME = 'wg-wasmgate';
const SA = `system:serviceaccount:${NS}:${NAME}`;
const CRDS = [
  'policyreports.wgpolicyk8s.io',
  'clusterpolicyreports.wgpolicyk8s.io',
  'reports.openreports.io',
  'clusterreports.openreports.io',
];
let helm: Helm;
let proxy: Server;
let proxyPort = 0;
const targets: number[] = [];
let replicas: InClusterWasmgate[] = [];
const sockets = new Set<import('node:net').Socket>();

async function secret(c: ControlPlane): Promise<{ ca: string; cert: string }> {
  const s = await kubectlJson(c, ['get', 'secret', `${NAME}-certs`, '-n', NS]);
  return { ca: Buffer.from(s.data['ca.crt'], 'base64').toString(), cert: Buffer.from(s.data['tls.crt'], 'base64').toString() };
}

async function caBundles(c: ControlPlane): Promise<string[]> {
  const out: string[] = [];
  for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
    const o = await kubectlJson(c, ['get', kind, NAME]);
    for (const w of o.webhooks) out.push(w.clientConfig.caBundle ?? '');
  }
  return out;
}

const served = async (ca: string): Promise<number> =>
  (await Promise.all(replicas.map((r) => r.requestsServed(ca)))).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  const c = cp;
  helm = await useHelm(c, await helmBinary());
  // the example cluster, as the playground makes it
  const file = join(REPO, 'examples/cluster/nodes.yaml');
  for (const obj of parseObjects(await readFile(file, 'utf8'), file)) {
    const lean = isRecord(obj) && obj['kind'] === 'Node' ? leanNode(obj) : undefined;
    if (lean === undefined) continue;
    await createNode(c, {
      name: lean.name,
      labels: { ...lean.labels },
      taints: lean.taints.map((t) => ({
        key: t.key,
        ...(t.value === undefined ? {} : { value: t.value }),
        effect: t.effect as 'NoSchedule',
      })),
      ready: lean.ready,
      unschedulable: lean.unschedulable,
    });
  }
  const rc = await c.kubectl(['apply', '-f', join(REPO, 'examples/cluster/runtimeclasses.yaml')]);
  expect(rc.code, rc.stderr).toBe(0);

  proxyPort = await freePort();
  let next = 0;
  proxy = createServer((down) => {
    const up = connect(targets[next++ % targets.length]!, '127.0.0.1');
    sockets.add(down).add(up);
    down.on('close', () => sockets.delete(down));
    up.on('close', () => sockets.delete(up));
    down.pipe(up).pipe(down);
    up.on('error', () => down.destroy());
    down.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', r));

  const values = {
    config: parse(await readFile(join(REPO, 'examples/config.yaml'), 'utf8')),
    webhook: { url: `https://127.0.0.1:${proxyPort}` },
    // short validity chosen by the test: renewed 15 s after issue, each replica checks every 2 s
    certificates: { self: { validity: '45s', renewBefore: '30s', checkInterval: '2s' } },
    crds: { install: true },
  };
  const res = await helm(['install', 'wg', CHART, '--namespace', NS, '--create-namespace', '-f', '-'], stringify(values));
  expect(res.code, res.stderr).toBe(0);
  // the audit chooses its report API from what the cluster serves: start the replicas once it serves them
  await waitForCrds(c, CRDS);
  const deployment = await kubectlJson(c, ['get', 'deployment', NAME, '-n', NS]);
  const config = (await kubectlJson(c, ['get', 'configmap', NAME, '-n', NS])).data['config.yaml'] as string;
  // two replicas that start together: they race to create the Secret
  replicas = await Promise.all([0, 1].map(() => runAsChart(c, deployment, config, { name: NAME, namespace: NS })));
  targets.push(...replicas.map((r) => r.port));
}, 600_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  // the API server keeps its connections open: close them, or close() waits for ever
  proxy?.close();
  for (const s of sockets) s.destroy();
});

describe('helm install, then wasmgate as the chart runs it', () => {
  it('both replicas sync the live cache with only the chart RBAC, which allows nothing else', async () => {
    const c = cp;
    const { ca } = await waitFor(() => secret(c), { what: 'the certificate Secret', timeoutMs: 60_000 }).catch((err: Error) => {
      throw new Error(`${err.message}\nreplica logs:\n${replicas.map((r) => r.output()).join('\n---\n')}`);
    });
    for (const r of replicas) {
      await waitFor(async () => (await r.get('/readyz', ca)).status === 200, {
        what: `replica ${r.port} ready\n${r.output()}`,
        timeoutMs: 60_000,
      });
    }
    const can = async (...args: string[]): Promise<string> => (await c.kubectl(['auth', 'can-i', ...args, `--as=${SA}`])).stdout.trim();
    expect(await can('watch', 'nodes')).toBe('yes');
    expect(await can('list', 'runtimeclasses.node.k8s.io')).toBe('yes');
    expect(await can('patch', `mutatingwebhookconfigurations/${NAME}`)).toBe('yes');
    expect(await can('patch', 'mutatingwebhookconfigurations/someone-else')).toBe('no');
    expect(await can('delete', `validatingwebhookconfigurations/${NAME}`)).toBe('no');
    expect(await can('update', `secrets/${NAME}-certs`, '-n', NS)).toBe('yes');
    expect(await can('get', 'secrets/other', '-n', NS)).toBe('no');
    expect(await can('list', 'secrets', '-n', NS)).toBe('no');
    expect(await can('get', 'secrets', '-n', 'default')).toBe('no');
    expect(await can('create', 'pods', '-n', NS)).toBe('no');
  });

  it('self certificates: one Secret made once, one CA served by both replicas, injected into every webhook', async () => {
    const c = cp;
    const s = await secret(c);
    const logs = replicas.map((r) => r.output()).join('\n');
    expect(logs.match(/certificates: created Secret wasmgate\/wg-wasmgate-certs/g)).toHaveLength(1);
    for (const r of replicas) {
      // TLS verified against the Secret's CA; the leaf served is the Secret's
      const { cert } = await waitFor(
        async () => {
          const got = await r.get('/healthz', s.ca);
          return got.cert.includes((await secret(c)).cert.split('\n')[1]!.slice(0, 40)) ? got : undefined;
        },
        { what: 'the replica to serve the Secret’s certificate' },
      );
      expect(cert).toContain('BEGIN CERTIFICATE');
    }
    const expected = Buffer.from(s.ca).toString('base64');
    await waitFor(async () => (await caBundles(c)).every((b) => b === expected), { what: 'the caBundle in every webhook' });
  });

  it('examples/manifests behave as in the other end-to-end tests', async () => {
    const c = cp;
    const { ca } = await secret(c);
    const probe = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probe', namespace: 'default', annotations: { 'wasmgate.dev/runtime': 'auto' } },
      spec: { containers: [{ name: 'c', image: 'x/y:1' }] },
    };
    const before = await served(ca);
    await waitFor(
      async () => {
        await c.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: JSON.stringify(probe) });
        return (await served(ca)) > before;
      },
      { what: 'the API server to call wasmgate through webhook.url' },
    );
    const ex = (f: string): string => join(REPO, 'examples/manifests', f);
    const good = await c.kubectl(['apply', '-f', ex('good-pod.yaml')]);
    expect(good.code, good.stderr).toBe(0);
    expect((await kubectlJson(c, ['get', 'pod', 'hello-wasm', '-n', 'default'])).spec.runtimeClassName).toBe('wasm1');
    const bad = await c.kubectl(['apply', '-f', ex('bad-pods.yaml')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.match(/denied the request/g)?.length).toBe(3);
    const deployment = await c.kubectl(['apply', '-f', ex('bad-deployment.yaml')]);
    expect(deployment.stderr).toContain(
      '[runtimeclass-exists] Deployment default/web names RuntimeClass wasm2 in spec.template.spec.runtimeClassName',
    );
    const strand = await c.kubectl(['label', 'node', 'spin-1', 'spin-enabled-']);
    expect(strand.stderr).toContain(
      'Warning: [node-change-strands-runtimeclass] This change to Node spin-1 removes label spin-enabled=yes',
    );
  });

  it("the chart's CRDs are served, and the background audit writes the stranded RuntimeClass into its ClusterPolicyReport", async () => {
    const c = cp;
    const resources = await c.kubectl(['api-resources', '--api-group=wgpolicyk8s.io', '-o', 'name']);
    expect(resources.stdout.trim().split('\n').sort()).toEqual(['clusterpolicyreports.wgpolicyk8s.io', 'policyreports.wgpolicyk8s.io']);
    const openreports = await c.kubectl(['api-resources', '--api-group=openreports.io', '-o', 'name']);
    expect(openreports.stdout.trim().split('\n').sort()).toEqual(['clusterreports.openreports.io', 'reports.openreports.io']);
    // the previous test removed spin-1's label: wasmtime-spin-v2 selects no node; with both APIs
    // served, wasmgate writes wgpolicyk8s.io (config.audit.reportApi auto)
    const results = await waitFor(
      async () => {
        const r = await c.kubectl(['get', 'clusterpolicyreports.wgpolicyk8s.io', 'wasmgate', '-o', 'json']);
        if (r.code !== 0) return undefined;
        const report = JSON.parse(r.stdout) as {
          results?: { rule: string; result: string; source: string; resources: { kind: string; name: string }[] }[];
        };
        const lines = (report.results ?? []).map(
          (x) => `${x.resources[0]!.kind} ${x.resources[0]!.name} ${x.rule} ${x.result} ${x.source}`,
        );
        return lines.includes('RuntimeClass wasmtime-spin-v2 runtimeclass-selector-matches warn wasmgate') ? lines : undefined;
      },
      {
        what: `the ClusterPolicyReport with the stranded RuntimeClass\n${replicas.map((r) => r.output()).join('\n---\n')}`,
        timeoutMs: 120_000,
      },
    );
    expect(results.length).toBeGreaterThan(0);
  });

  it('rotation: two renewals under a steady stream of kubectl apply, and no request fails', async () => {
    const c = cp;
    const first = await secret(c);
    const certs = new Set([first.cert]);
    const failures: string[] = [];
    let applied = 0;
    const deadline = Date.now() + 240_000;
    for (let i = 0; ; i++) {
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `stream-${i}`, namespace: 'default', annotations: { 'wasmgate.dev/runtime': 'auto' } },
        spec: { containers: [{ name: 'c', image: 'x/y:1' }] },
      };
      const res = await c.kubectl(['apply', '-o', 'jsonpath={.spec.runtimeClassName}', '-f', '-'], { input: JSON.stringify(pod) });
      applied++;
      // mutation fails open: a runtimeClassName set proves wasmgate answered over TLS
      if (res.code !== 0 || res.stdout.trim() !== 'wasm1') failures.push(`stream-${i}: exit ${res.code} ${res.stdout} ${res.stderr}`);
      certs.add((await secret(c)).cert);
      if (certs.size >= 3) {
        const now = await secret(c);
        const marker = now.cert.split('\n')[1]!.slice(0, 40);
        const both = await Promise.all(replicas.map(async (r) => (await r.get('/healthz', now.ca)).cert.includes(marker)));
        if (both.every(Boolean)) break;
      }
      if (Date.now() > deadline)
        throw new Error(`only ${certs.size - 1} renewals in 240 s; logs:\n${replicas.map((r) => r.output()).join('\n')}`);
    }
    expect(failures).toEqual([]);
    expect(applied).toBeGreaterThan(5);
    expect((await secret(c)).ca).toBe(first.ca);
    expect(replicas.map((r) => r.output()).join('\n')).toContain('certificates: serving the renewed certificate');
  }, 300_000);

  it('helm upgrade rolls the pods on a config change and keeps the CA (no caBundle churn)', async () => {
    const c = cp;
    const before = await caBundles(c);
    const sumBefore = (await kubectlJson(c, ['get', 'deployment', NAME, '-n', NS])).spec.template.metadata.annotations['checksum/config'];
    const res = await helm(['upgrade', 'wg', CHART, '--namespace', NS, '--reuse-values', '--set', 'config.unsynced=allow']);
    expect(res.code, res.stderr).toBe(0);
    const sumAfter = (await kubectlJson(c, ['get', 'deployment', NAME, '-n', NS])).spec.template.metadata.annotations['checksum/config'];
    expect(sumAfter).not.toBe(sumBefore);
    expect(await caBundles(c)).toEqual(before);
    expect(before.every((b) => b !== '')).toBe(true);
  });

  it('helm uninstall leaves no webhook configuration behind, and running replicas do not bring one back', async () => {
    const c = cp;
    const res = await helm(['uninstall', 'wg', '--namespace', NS, '--wait']);
    expect(res.code, res.stderr).toBe(0);
    const names = async (): Promise<string> =>
      (await c.kubectl(['get', 'mutatingwebhookconfigurations,validatingwebhookconfigurations', '-o', 'name'])).stdout;
    expect(await names()).not.toContain(NAME);
    // the replicas keep running (as pods would while terminating) and keep checking: wait for
    // a later round in each (their RBAC is gone with the release, so it fails), then look again
    const marks = replicas.map((r) => r.output().length);
    await waitFor(() => replicas.every((r, i) => r.output().slice(marks[i]).includes('certificates:')), {
      what: 'a later certificate round in each replica',
      timeoutMs: 60_000,
    });
    expect(await names()).not.toContain(NAME);
    // crds.keep: the CRDs, and every report in them, outlive the release
    const crds = await c.kubectl(['get', ...CRDS.map((n) => `crd/${n}`), '-o', 'name']);
    expect(crds.code, crds.stderr).toBe(0);
    expect(crds.stdout.trim().split('\n')).toHaveLength(4);
    const report = await c.kubectl(['get', 'clusterpolicyreports.wgpolicyk8s.io', 'wasmgate', '-o', 'name']);
    expect(report.code, report.stderr).toBe(0);
  });

  it('kept CRDs: another release installing them is refused (why crds.install is off by default); a reinstall adopts them', async () => {
    const values = stringify({ webhook: { url: `https://127.0.0.1:${proxyPort}` }, crds: { install: true } });
    const other = await helm(['install', 'other', CHART, '--namespace', 'other', '--create-namespace', '-f', '-'], values);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('invalid ownership metadata');
    const again = await helm(['install', 'wg', CHART, '--namespace', NS, '-f', '-'], values);
    expect(again.code, again.stderr).toBe(0);
    const crd = await kubectlJson(cp, ['get', `crd/${CRDS[0]}`]);
    expect(crd.metadata.annotations).toMatchObject({ 'meta.helm.sh/release-name': 'wg', 'helm.sh/resource-policy': 'keep' });
  });
});
