/**
 * Issue 12 through the real control plane: policy reports from the background audit of two
 * `wasmgate serve` replicas (one elected by a Lease writes), the CRDs from deploy/crds/ installed
 * with kubectl, reports that appear for broken workloads and clear when they are fixed or their
 * namespace is deleted, leader failover after SIGKILL, Warning Events on a stranded RuntimeClass,
 * and `audit -o policyreport` / `--apply` for both report APIs (server-side dry run, strict fields).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  applyObjects,
  createNode,
  kubectlJson,
  kubectlOk,
  useControlPlane,
  waitFor,
  waitForCrds,
  CONTROLLER_TEST_TIMEOUT_MS,
} from '../harness/controlplane.js';
import { REPO, ensureBuilt, startWasmgate, type Wasmgate } from '../harness/wasmgate.js';
import { metricValue, scrapeMetrics } from '../harness/http.js';

const run = promisify(execFile);
const LEASE_SECONDS = 6;
const AUDIT_CONFIG = {
  audit: {
    intervalSeconds: 4,
    reportApi: 'wgpolicyk8s.io/v1alpha2',
    leaderElection: { namespace: 'default', leaseDurationSeconds: LEASE_SECONDS, renewDeadlineSeconds: 4, retryPeriodSeconds: 1 },
  },
};
const W = { 'wasmtime-enabled': 'yes' };
const WAIT = { timeoutMs: 120_000, intervalMs: 500 };

interface Result {
  rule: string;
  result: string;
  severity: string;
  message: string;
  source: string;
  resources: { kind: string; name: string; namespace?: string; uid?: string }[];
}
interface Report {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  summary: Record<string, number>;
  results?: Result[];
}

const deployment = (name: string, ns: string, runtimeClassName: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name }, annotations: { 'wasmgate.dev/runtime': 'wasmtime' } },
      spec: { runtimeClassName, containers: [{ name: 'app', image: 'example/app:1' }] },
    },
  },
});

let replicas: Wasmgate[] = [];

const cp = useControlPlane({ scheduler: false, controllerManager: true }, async (cp) => {
  ensureBuilt();
  await createNode(cp, { name: 'wasm-1', labels: W });
  await createNode(cp, { name: 'plain-1' });
  await applyObjects(cp, [
    {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'wasm1' },
      handler: 'wasmtime',
      scheduling: { nodeSelector: W },
    },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } },
  ]);
  await kubectlOk(cp, ['apply', '-f', join(REPO, 'deploy/crds')]);
  await waitForCrds(cp, [
    'policyreports.wgpolicyk8s.io',
    'clusterpolicyreports.wgpolicyk8s.io',
    'reports.openreports.io',
    'clusterreports.openreports.io',
  ]);
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
}, 120_000);

async function reports(ns: string): Promise<Report[]> {
  return (await kubectlJson<{ items: Report[] }>(cp, ['get', 'policyreports.wgpolicyk8s.io', '-n', ns, '-o', 'json'])).items;
}

/** The results of wasmgate's report in `ns`, as "Kind name rule result" lines; [] when there is no report. */
async function resultsIn(ns: string): Promise<string[]> {
  const mine = (await reports(ns)).filter((r) => r.metadata.labels?.['app.kubernetes.io/managed-by'] === 'wasmgate');
  return mine.flatMap((r) => (r.results ?? []).map((x) => `${x.resources[0]!.kind} ${x.resources[0]!.name} ${x.rule} ${x.result}`)).sort();
}

async function lease(): Promise<{ holderIdentity?: string; leaseTransitions?: number; renewTime?: string; acquireTime?: string }> {
  return (await kubectlJson<{ spec: Record<string, never> }>(cp, ['get', 'lease', 'wasmgate-audit', '-n', 'default', '-o', 'json'])).spec;
}

async function wasmgate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [join(REPO, 'bin/wasmgate.js'), ...args, '--kubeconfig', cp.kubeconfig], {
      cwd: REPO,
      maxBuffer: 16 << 20,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('audit -o policyreport and --apply, both report APIs', () => {
  it.each(['wgpolicyk8s.io/v1alpha2', 'openreports.io/v1alpha1'])(
    '%s: the printed reports pass a server-side dry run with strict field validation; --apply writes, a fix clears',
    async (api) => {
      await applyObjects(cp, deployment('cli-broken', 'apps', 'wasm2'));
      const plural = api.startsWith('wgpolicyk8s.io') ? 'policyreports.wgpolicyk8s.io' : 'reports.openreports.io';
      try {
        const printed = await wasmgate(['audit', '-o', 'policyreport', '--report-api', api]);
        expect(printed.code, printed.stderr).toBe(1);
        expect(printed.stdout).toContain(`apiVersion: ${api}`);
        expect(printed.stdout).toContain('name: cli-broken');
        const dry = await cp.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: printed.stdout });
        expect(dry.code, dry.stderr).toBe(0);
        const applied = await wasmgate(['audit', '--apply', '--report-api', api, '--fail-on', 'never']);
        expect(applied.code, applied.stderr).toBe(0);
        const got = await kubectlJson<Report>(cp, ['get', plural, 'wasmgate', '-n', 'apps', '-o', 'json']);
        expect(got.results?.map((r) => `${r.resources[0]!.name} ${r.rule} ${r.result} ${r.source}`)).toContain(
          'cli-broken runtimeclass-exists fail wasmgate',
        );
      } finally {
        await kubectlOk(cp, ['delete', 'deployment', 'cli-broken', '-n', 'apps', '--wait=true']);
      }
      await waitFor(
        async () => (await kubectlJson<{ items: unknown[] }>(cp, ['get', 'replicasets', '-n', 'apps', '-o', 'json'])).items.length === 0,
        WAIT,
      );
      await wasmgate(['audit', '--apply', '--report-api', api, '--fail-on', 'never']);
      const left = await kubectlJson<{ items: Report[] }>(cp, ['get', plural, '-n', 'apps', '-o', 'json']);
      expect(left.items).toEqual([]);
    },
    CONTROLLER_TEST_TIMEOUT_MS,
  );
});

describe('audit progress on a TTY (issue 12, item 6)', () => {
  it(
    'with stderr on a terminal (script(1) gives it a pseudo-terminal), audit redraws one progress line; with stderr on a pipe it is silent',
    async () => {
      const piped = await wasmgate(['audit', '--fail-on', 'never']);
      expect(piped.code, piped.stderr).toBe(0);
      expect(piped.stderr).not.toContain('auditing:');
      const command = [process.execPath, join(REPO, 'bin/wasmgate.js'), 'audit', '--fail-on', 'never', '--kubeconfig', cp.kubeconfig].join(
        ' ',
      );
      const tty = await run('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd: REPO, maxBuffer: 16 << 20 });
      // the line is drawn in place (carriage return, erase line) and cleared before the result
      const ERASE_LINE = '\r\u001b[2K';
      expect(tty.stdout).toContain(`${ERASE_LINE}auditing: `);
      expect(tty.stdout.split(ERASE_LINE).find((l) => l.startsWith('auditing: '))).toMatch(/^auditing: [A-Za-z]+ \d+[^;]*; \d+ findings?/);
      expect(tty.stdout).toContain(piped.stdout.split('\n')[0]!);
    },
    CONTROLLER_TEST_TIMEOUT_MS,
  );
});

describe('background audit in serve: two replicas, one writer', () => {
  it(
    'reports appear with the right results, once per workload (not per Pod), and clear when fixed',
    async () => {
      replicas = [await startWasmgate(cp, AUDIT_CONFIG), await startWasmgate(cp, AUDIT_CONFIG)];
      await applyObjects(cp, [
        deployment('web', 'apps', 'wasm2'),
        deployment('ok', 'apps', 'wasm1'),
        deployment('gone-with-ns', 'doomed', 'wasm2'),
      ]);
      await waitFor(async () => (await resultsIn('apps')).length === 1 && (await resultsIn('doomed')).length === 1, {
        ...WAIT,
        what: 'reports in apps and doomed',
      });
      expect(await resultsIn('apps')).toEqual(['Deployment web runtimeclass-exists fail']);
      const [report] = (await reports('apps')).filter((r) => r.metadata.name === 'wasmgate');
      expect(report!.summary).toEqual({ pass: 0, fail: 1, warn: 0, error: 0, skip: 0 });
      expect(report!.results![0]!.message).toMatch(
        /^Deployment apps\/web names RuntimeClass wasm2 in spec.template.spec.runtimeClassName, which does not exist\..* Fix: /,
      );
      expect(report!.results![0]!.resources[0]!.uid).toMatch(/^[0-9a-f-]{36}$/);
      // metrics of the leader
      const leaderId = (await lease()).holderIdentity!;
      const leader = replicas.find((r) => r.output().includes(leaderId))!;
      const metrics = await scrapeMetrics(leader.url, leader.ca);
      expect(metricValue(metrics, 'wasmgate_audit_findings', { rule: 'runtimeclass-exists', mode: 'enforce' })).toBe(2);
      expect(metricValue(metrics, 'wasmgate_audit_last_run_timestamp_seconds', {})).toBeGreaterThan(0);
      // fix one, delete the other's namespace: both reports go
      await kubectlOk(cp, [
        'patch',
        'deployment',
        'web',
        '-n',
        'apps',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/spec/template/spec/runtimeClassName","value":"wasm1"}]',
      ]);
      await kubectlOk(cp, ['delete', 'namespace', 'doomed', '--wait=false']);
      await waitFor(async () => (await resultsIn('apps')).length === 0 && (await reports('apps')).length === 0, {
        ...WAIT,
        what: 'the report in apps to clear',
      });
      await waitFor(async () => (await cp.kubectl(['get', 'namespace', 'doomed'])).code !== 0, {
        ...WAIT,
        what: 'namespace doomed to be gone',
      });
      expect((await kubectlJson<{ items: Report[] }>(cp, ['get', 'policyreports.wgpolicyk8s.io', '-A', '-o', 'json'])).items).toEqual([]);
    },
    CONTROLLER_TEST_TIMEOUT_MS,
  );

  it(
    'a cordon that strands a RuntimeClass: one Warning Event with the node-change message, shown by kubectl describe',
    async () => {
      await kubectlOk(cp, ['cordon', 'wasm-1']);
      onTestFinished(async () => {
        await kubectlOk(cp, ['uncordon', 'wasm-1']);
      });
      const describe = await waitFor(
        async () => {
          const out = await kubectlOk(cp, ['describe', 'runtimeclass', 'wasm1']);
          return out.includes('NoUsableNode') && out;
        },
        { ...WAIT, what: 'the Warning Event on RuntimeClass wasm1' },
      );
      expect(describe).toContain('Warning  NoUsableNode');
      const events = async () =>
        (
          await kubectlJson<{ items: { reason: string; note?: string; message?: string; regarding?: { name: string } }[] }>(cp, [
            'get',
            'events.events.k8s.io',
            '-n',
            'default',
            '-o',
            'json',
          ])
        ).items.filter((e) => e.reason === 'NoUsableNode' && e.regarding?.name === 'wasm1');
      const first = await events();
      expect(first).toHaveLength(1);
      // the node-change warning verbatim (the pod count depends on what the controllers created)
      expect(first[0]!.note).toMatch(
        /^This change to Node wasm-1 cordons it, which leaves RuntimeClass wasm1 \(handler wasmtime\) with no Ready, schedulable node: (it is used by \d+ pods? that ha(s|ve) not finished, and )?new pods of this class will stay Pending\. Fix: revert the change, or first prepare another node with the wasmtime shim and label it: kubectl label nodes <node> wasmtime-enabled=yes\.$/,
      );
      expect(describe).toContain(first[0]!.note!.slice(0, 60));
      // more passes (interval 4 s): still one Event for this transition
      const leaderId = (await lease()).holderIdentity!;
      const leader = replicas.find((r) => r.output().includes(leaderId))!;
      const passes = () => (leader.output().match(/background audit: \d+ objects/g) ?? []).length;
      const seen = passes();
      await waitFor(() => passes() >= seen + 2, { ...WAIT, what: 'two more audit passes' });
      expect(await events()).toHaveLength(1);
    },
    CONTROLLER_TEST_TIMEOUT_MS,
  );

  it(
    'kill -9 the leader: the other replica takes over within the lease duration; findings are neither lost nor duplicated',
    async () => {
      const before = await lease();
      const leaderIndex = replicas.findIndex((r) => r.output().includes(before.holderIdentity!));
      expect(leaderIndex).toBeGreaterThanOrEqual(0);
      const [leader, standby] = [replicas[leaderIndex]!, replicas[1 - leaderIndex]!];
      await applyObjects(cp, deployment('before-failover', 'apps', 'wasm2'));
      await waitFor(async () => (await resultsIn('apps')).includes('Deployment before-failover runtimeclass-exists fail'), WAIT);
      const lastRenew = Date.parse((await lease()).renewTime!);
      await leader.kill('SIGKILL');
      await applyObjects(cp, deployment('after-failover', 'apps', 'wasm2'));
      const after = await waitFor(
        async () => {
          const l = await lease();
          return l.holderIdentity !== before.holderIdentity && l.holderIdentity !== '' && l;
        },
        { ...WAIT, what: 'the standby to take the lease' },
      );
      expect(standby.output()).toContain(after.holderIdentity!);
      expect(after.leaseTransitions).toBe((before.leaseTransitions ?? 0) + 1);
      // the standby may take over once it has seen the record unchanged for the lease duration,
      // and it looks every retry period (1 s, +20% jitter): allow for one retry and the API round trips
      const takeover = (Date.parse(after.acquireTime!) - lastRenew) / 1000;
      process.stderr.write(
        `leader failover: lease taken ${takeover.toFixed(2)} s after the killed leader's last renewal (lease ${LEASE_SECONDS} s)\n`,
      );
      expect(takeover).toBeLessThanOrEqual(LEASE_SECONDS + 1.2 + 2);
      await waitFor(async () => (await resultsIn('apps')).includes('Deployment after-failover runtimeclass-exists fail'), {
        ...WAIT,
        what: 'the new leader to report after-failover',
      });
      const results = await resultsIn('apps');
      expect(results.filter((r) => r.includes('failover'))).toEqual([
        'Deployment after-failover runtimeclass-exists fail',
        'Deployment before-failover runtimeclass-exists fail',
      ]);
      expect(new Set(results).size).toBe(results.length);
      expect((await reports('apps')).map((r) => r.metadata.name)).toEqual(['wasmgate']);
    },
    CONTROLLER_TEST_TIMEOUT_MS,
  );
});
