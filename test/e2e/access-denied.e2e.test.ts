/**
 * A missing permission is plain (issue 9), against the real kube-apiserver: `wasmgate serve` runs
 * as a ServiceAccount (a token from `kubectl create token`, in a kubeconfig) whose ClusterRole is
 * the chart's (files/rbac.json, from src/deploy/chart.ts) minus `watch` on nodes. Its log and
 * /readyz name the verb and the resource, in one log line however often the watch is retried;
 * once the verb is granted the problem clears and /readyz turns 200.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { generateWebhookCerts, writeWebhookCerts } from '../../src/certs/generate.js';
import { chartRbac } from '../../src/deploy/chart.js';
import type { PolicyRule } from '../../src/deploy/rbac.js';
import { applyObjects, createNode, freePort, kubectlOk, useControlPlane, waitFor, type ControlPlane } from '../harness/controlplane.js';
import { getUrl, metricValue } from '../harness/http.js';
import { ensureBuilt, REPO } from '../harness/wasmgate.js';

const NS = 'wasmgate';
const SA = `system:serviceaccount:${NS}:wasmgate`;
/** What wasmgate must say, verbatim (test/golden/access-problems.txt holds every shape). */
const PROBLEM =
  `cannot watch nodes (cluster scope): the ServiceAccount ${SA} lacks the "watch" verb on "nodes" — ` +
  "grant it in the ClusterRole (the chart's templates/rbac.yaml; wasmgate manifests --rbac prints what is needed)";
const DENIED_LINE = `access denied: ${PROBLEM}; retrying with backoff, /readyz answers 503 until it is granted`;
const RESTORED_LINE = 'access restored: can watch nodes (cluster scope) again';

/** The chart's ClusterRole rules, or the same without `verb` on `resource` (core group). */
function clusterRole(without?: { verb: string; resource: string }): object {
  const rules: PolicyRule[] = [];
  for (const rule of (chartRbac() as { cluster: PolicyRule[] }).cluster) {
    if (without === undefined || rule.apiGroups[0] !== '' || !rule.resources.includes(without.resource)) {
      rules.push(rule);
      continue;
    }
    const others = rule.resources.filter((r) => r !== without.resource);
    if (others.length > 0) rules.push({ ...rule, resources: others });
    rules.push({ apiGroups: [''], resources: [without.resource], verbs: rule.verbs.filter((v) => v !== without.verb) });
  }
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'wasmgate' }, rules };
}

let child: ChildProcess | undefined;
let exited: Promise<void> = Promise.resolve();
let out = '';
let dir = '';
let url = '';
let ca = '';

/**
 * kube-apiserver's audit log of this ServiceAccount's requests on nodes: the test counts the
 * watches it refused (forbidden requests appear in no apiserver_request_total series).
 */
const AUDIT_DIR = mkdtempSync(join(tmpdir(), 'wasmgate-audit-'));
const AUDIT_LOG = join(AUDIT_DIR, 'audit.log');
writeFileSync(
  join(AUDIT_DIR, 'policy.yaml'),
  stringify({
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    omitStages: ['RequestReceived'],
    rules: [{ level: 'Metadata', users: [SA], resources: [{ group: '', resources: ['nodes'] }] }, { level: 'None' }],
  }),
);

const cp = useControlPlane(
  { scheduler: false, apiServerArgs: [`--audit-policy-file=${join(AUDIT_DIR, 'policy.yaml')}`, `--audit-log-path=${AUDIT_LOG}`] },
  async (c) => {
    await createNode(c, { name: 'wasm-1', labels: { 'wasmtime-enabled': 'yes' } });
    await applyObjects(c, [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'wasmgate', namespace: NS } },
      clusterRole({ verb: 'watch', resource: 'nodes' }),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'wasmgate' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'wasmgate' },
        subjects: [{ kind: 'ServiceAccount', name: 'wasmgate', namespace: NS }],
      },
    ]);
    await start(c);
  },
);

/** `wasmgate serve` with a kubeconfig holding the ServiceAccount's token. */
async function start(c: ControlPlane): Promise<void> {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'wasmgate-access-'));
  const token = (await kubectlOk(c, ['create', 'token', 'wasmgate', '-n', NS, '--duration=1h'])).trim();
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'plane', cluster: { server: c.server, 'certificate-authority-data': Buffer.from(c.caCert).toString('base64') } }],
    users: [{ name: 'wasmgate', user: { token } }],
    contexts: [{ name: 'wasmgate', context: { cluster: 'plane', user: 'wasmgate' } }],
    'current-context': 'wasmgate',
  };
  await writeFile(join(dir, 'kubeconfig'), stringify(kubeconfig), { mode: 0o600 });
  await writeFile(join(dir, 'config.yaml'), '{}\n');
  const certs = await generateWebhookCerts('wasmgate', NS);
  await writeWebhookCerts(join(dir, 'certs'), certs);
  ca = certs.ca.cert;
  const port = await freePort();
  url = `https://127.0.0.1:${port}`;
  const args = [
    'serve',
    '--kubeconfig',
    join(dir, 'kubeconfig'),
    '--cert-dir',
    join(dir, 'certs'),
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    // only the live cache's permissions are under test: the background audit's Lease and lists are not granted here
    '--audit-interval',
    '0',
  ];
  child = spawn(
    process.execPath,
    [join(REPO, 'bin/wasmgate.js'), ...args, '--config', join(dir, 'config.yaml'), '--log-level', 'warn', '--drain-seconds', '0'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const proc = child;
  exited = new Promise((r) => proc.once('exit', () => r()));
}

afterAll(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const t = setTimeout(() => child?.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(t);
  }
  if (dir !== '') await rm(dir, { recursive: true, force: true });
  await rm(AUDIT_DIR, { recursive: true, force: true });
}, 60_000);

const readyz = async (): Promise<{ status: number; json: { status?: string; problems?: string[] } }> => {
  const r = await getUrl(`${url}/readyz`, ca);
  return { status: r.status, json: r.json as { status?: string; problems?: string[] } };
};

/** The watches of nodes kube-apiserver refused wasmgate's ServiceAccount, from its audit log. */
/** a gauge's value from wasmgate's /metrics */
async function gauge(name: string): Promise<number> {
  const text = (await getUrl(`${url}/metrics`, ca)).text;
  expect(text).toContain(`# TYPE ${name} gauge`); // metricValue() reads an absent series as 0
  return metricValue(text, name);
}

async function refusedNodeWatches(): Promise<number> {
  const events = (await readFile(AUDIT_LOG, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
  return events
    .map(
      (l) =>
        JSON.parse(l) as {
          verb?: string;
          user?: { username?: string };
          objectRef?: { resource?: string };
          responseStatus?: { code?: number };
        },
    )
    .filter((e) => e.verb === 'watch' && e.user?.username === SA && e.objectRef?.resource === 'nodes' && e.responseStatus?.code === 403)
    .length;
}

describe('a ClusterRole without watch on nodes', () => {
  it('the API server refuses it, and wasmgate says so: one log line and /readyz 503 naming verb and resource', async () => {
    const c = cp;
    expect((await c.kubectl(['auth', 'can-i', 'watch', 'nodes', `--as=${SA}`])).stdout.trim()).toBe('no');
    expect((await c.kubectl(['auth', 'can-i', 'list', 'nodes', `--as=${SA}`])).stdout.trim()).toBe('yes');
    const r = await waitFor(
      async () => {
        if (child?.exitCode !== null) throw new Error(`wasmgate exited:\n${out}`);
        const got = await readyz();
        return got.json.problems !== undefined && got.json.problems.length > 0 && got;
      },
      { timeoutMs: 120_000, what: `/readyz to list a problem\n${out}` },
    );
    expect(r.status).toBe(503);
    expect(r.json).toMatchObject({ status: 'access denied', problems: [PROBLEM] });
    expect(await gauge('wasmgate_cluster_access_problems')).toBe(1);
    // retried (the API server counted several refusals), yet logged once
    await waitFor(async () => (await refusedNodeWatches()) >= 3, {
      timeoutMs: 120_000,
      what: `three refused watches of nodes in ${AUDIT_LOG}`,
    });
    const lines = out.split('\n');
    expect(lines.filter((l) => l.startsWith('access denied:'))).toEqual([DENIED_LINE]);
    expect(lines.filter((l) => l.includes('HTTP 403'))).toEqual([]);
  }, 300_000);

  it('granting watch clears the problem: one log line, and /readyz turns 200', async () => {
    const c = cp;
    await applyObjects(c, clusterRole());
    expect((await c.kubectl(['auth', 'can-i', 'watch', 'nodes', `--as=${SA}`])).stdout.trim()).toBe('yes');
    const r = await waitFor(async () => ((await readyz()).status === 200 ? readyz() : undefined), {
      timeoutMs: 120_000,
      what: `/readyz 200 after the grant\n${out}`,
    });
    expect(r.json.status).toBe('ready');
    expect(r.json.problems).toBeUndefined();
    expect(await gauge('wasmgate_cluster_access_problems')).toBe(0);
    const lines = out.split('\n');
    expect(lines.filter((l) => l.startsWith('access restored:'))).toEqual([RESTORED_LINE]);
    expect(lines.filter((l) => l.startsWith('access denied:'))).toHaveLength(1);
  }, 300_000);

  it('wasmgate audit, refused a list, stops and says what to grant (no raw 403, no wait for ever)', async () => {
    const c = cp;
    await applyObjects(c, clusterRole({ verb: 'list', resource: 'pods' }));
    await waitFor(async () => (await c.kubectl(['auth', 'can-i', 'list', 'pods', `--as=${SA}`])).stdout.trim() === 'no', {
      timeoutMs: 60_000,
      what: 'the ServiceAccount to lose list on pods',
    });
    const r = spawnSync(process.execPath, [join(REPO, 'bin/wasmgate.js'), 'audit', '--kubeconfig', join(dir, 'kubeconfig')], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.signal).toBeNull(); // finished on its own
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      `cannot list pods (all namespaces): the ServiceAccount ${SA} lacks the "list" verb on "pods" — ` +
        "grant it in the ClusterRole (the chart's templates/rbac.yaml; wasmgate manifests --rbac prints what is needed)",
    );
    expect(r.stderr).not.toContain('HTTP 403');
  }, 300_000);
});
