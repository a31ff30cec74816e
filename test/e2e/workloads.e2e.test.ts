/**
 * Issue: catch it at kubectl apply. Workload templates through a real kube-apiserver with a real
 * kube-controller-manager (so workloads really create their Pods), node label changes and cordons,
 * and RuntimeClass deletion while pods use it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  applyObjects,
  CONTROLLER_TEST_TIMEOUT_MS,
  CONTROLLER_WAIT_MS,
  createNode,
  kubectlJson,
  kubectlOk,
  useControlPlane,
  waitFor,
} from '../harness/controlplane.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { registerWebhooks, REPO, startWasmgate, type Wasmgate } from '../harness/wasmgate.js';

const NS = 'apps';
const IMAGE = 'ghcr.io/containerd/runwasi/wasi-demo-app:latest';

let wg: Wasmgate;

async function apply(obj: object) {
  return cp.kubectl(['apply', '-f', '-'], { input: stringify(obj, { version: '1.1' }) });
}

function template(name: string, annotations: Record<string, string>, spec: Record<string, unknown> = {}) {
  return {
    metadata: { labels: { app: name }, annotations },
    spec: { containers: [{ name: 'app', image: IMAGE }], ...spec },
  };
}

type Maker = (name: string, t: ReturnType<typeof template>) => Record<string, unknown>;

const selector = (name: string) => ({ matchLabels: { app: name } });

/** kind → [manifest maker, field path of runtimeClassName in messages, resource for kubectl] */
const WORKLOADS: Record<string, { make: Maker; field: string; resource: string; createsPods: boolean }> = {
  Deployment: {
    make: (n, t) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: n, namespace: NS },
      spec: { replicas: 2, selector: selector(n), template: t },
    }),
    field: 'spec.template.spec.runtimeClassName',
    resource: 'deployment',
    createsPods: true,
  },
  StatefulSet: {
    make: (n, t) => ({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: n, namespace: NS },
      spec: { replicas: 1, serviceName: n, selector: selector(n), template: t },
    }),
    field: 'spec.template.spec.runtimeClassName',
    resource: 'statefulset',
    createsPods: true,
  },
  DaemonSet: {
    make: (n, t) => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: n, namespace: NS },
      spec: { selector: selector(n), template: { ...t, spec: { ...t.spec, nodeSelector: { 'wasmtime-enabled': 'yes' } } } },
    }),
    field: 'spec.template.spec.runtimeClassName',
    resource: 'daemonset',
    createsPods: true,
  },
  ReplicaSet: {
    make: (n, t) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: n, namespace: NS },
      spec: { replicas: 1, selector: selector(n), template: t },
    }),
    field: 'spec.template.spec.runtimeClassName',
    resource: 'replicaset',
    createsPods: true,
  },
  ReplicationController: {
    make: (n, t) => ({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: n, namespace: NS },
      spec: { replicas: 1, selector: { app: n }, template: t },
    }),
    field: 'spec.template.spec.runtimeClassName',
    resource: 'replicationcontroller',
    createsPods: true,
  },
  Job: {
    make: (n, t) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: n, namespace: NS },
      spec: { template: { ...t, spec: { ...t.spec, restartPolicy: 'Never' } } },
    }),
    field: 'spec.template.spec.runtimeClassName',
    resource: 'job',
    createsPods: true,
  },
  CronJob: {
    make: (n, t) => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: n, namespace: NS },
      spec: { schedule: '0 0 1 1 *', jobTemplate: { spec: { template: { ...t, spec: { ...t.spec, restartPolicy: 'Never' } } } } },
    }),
    field: 'spec.jobTemplate.spec.template.spec.runtimeClassName',
    resource: 'cronjob',
    createsPods: false,
  },
  PodTemplate: {
    make: (n, t) => ({ apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: n, namespace: NS }, template: t }),
    field: 'template.spec.runtimeClassName',
    resource: 'podtemplate',
    createsPods: false,
  },
};

const cp = useControlPlane({ scheduler: true, controllerManager: true }, async (cp) => {
  await createNode(cp, { name: 'plain-1' });
  await createNode(cp, { name: 'wasm-1', labels: { 'wasmtime-enabled': 'yes' } });
  await createNode(cp, { name: 'wasm-2', labels: { 'wasmtime-enabled': 'yes' } });
  await applyObjects(cp, [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'wasm1' },
      handler: 'wasmtime',
      scheduling: { nodeSelector: { 'wasmtime-enabled': 'yes' } },
    },
  ]);
  wg = await startWasmgate(cp);
  await registerWebhooks(cp, wg);
});

afterAll(async () => {
  await wg?.stop();
}, 60_000);

describe.each(Object.entries(WORKLOADS))('%s', (kind, w) => {
  const base = `${kind.toLowerCase()}`;

  it('a bad template is rejected at kubectl apply, naming the workload and the field', async () => {
    const res = await apply(w.make(`${base}-bad`, template(`${base}-bad`, {}, { runtimeClassName: 'wasm2' })));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('admission webhook "workloads.validate.wasmgate.dev" denied the request');
    expect(res.stderr).toContain(
      `[runtimeclass-exists] ${kind} ${NS}/${base}-bad names RuntimeClass wasm2 in ${w.field}, which does not exist. ` +
        `Wasm RuntimeClasses that exist: wasm1 (handler wasmtime). Fix: set ${w.field} to one of them, or create RuntimeClass wasm2.`,
    );
  });

  it(
    'a good template gets runtimeClassName, and so do the Pods it creates',
    async () => {
      const name = `${base}-good`;
      const res = await apply(w.make(name, template(name, { 'wasmgate.dev/runtime': 'wasmtime' })));
      expect(res.code, res.stderr).toBe(0);
      const stored = await kubectlJson(cp, ['get', w.resource, name, '-n', NS]);
      const path = w.field.split('.').slice(0, -1);
      let spec: Record<string, unknown> = stored;
      for (const p of path) spec = spec[p] as Record<string, unknown>;
      expect(spec['runtimeClassName']).toBe('wasm1');
      if (!w.createsPods) return;
      const pods = await waitFor(
        async () => {
          const list = await kubectlJson(cp, ['get', 'pods', '-n', NS, '-l', `app=${name}`]);
          return list.items.length > 0 ? list.items : undefined;
        },
        { timeoutMs: CONTROLLER_WAIT_MS, what: `pods of ${kind} ${name}` },
      );
      for (const p of pods) {
        expect(p.spec.runtimeClassName).toBe('wasm1');
        expect(p.spec.nodeSelector).toMatchObject({ 'wasmtime-enabled': 'yes' });
      }
    },
    CONTROLLER_TEST_TIMEOUT_MS,
  );
});

describe('a DaemonSet that does not select its RuntimeClass’s nodes', () => {
  it('is admitted with a warning that names the nodes that would get a Pending pod', async () => {
    const name = 'agent-everywhere';
    const res = await apply({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name, namespace: NS },
      spec: { selector: selector(name), template: template(name, { 'wasmgate.dev/runtime': 'wasmtime' }) },
    });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(
      `Warning: [daemonset-selects-runtime-nodes] DaemonSet ${NS}/${name} uses RuntimeClass wasm1, whose pods can run only on nodes with ` +
        'wasmtime-enabled=yes, but spec.template.spec.nodeSelector does not select them: the DaemonSet controller creates a pod for every ' +
        'node the template allows, so the one node without the label would get a pod that stays Pending. ' +
        'Fix: add wasmtime-enabled=yes to spec.template.spec.nodeSelector.',
    );
  });
});

describe('a CronJob’s Jobs and Pods', () => {
  it(
    'a Job created from the CronJob runs Pods with the runtime class',
    async () => {
      await kubectlOk(cp, ['create', 'job', '--from=cronjob/cronjob-good', 'cron-run', '-n', NS]);
      const pods = await waitFor(
        async () => {
          const list = await kubectlJson(cp, ['get', 'pods', '-n', NS, '-l', 'job-name=cron-run']);
          return list.items.length > 0 ? list.items : undefined;
        },
        { timeoutMs: CONTROLLER_WAIT_MS, what: 'pods of the job created from the CronJob' },
      );
      expect(pods[0].spec.runtimeClassName).toBe('wasm1');
    },
    CONTROLLER_TEST_TIMEOUT_MS,
  );
});

describe('node changes that strand Wasm pods', () => {
  it('unlabelling one of two Wasm nodes is quiet; unlabelling the last one warns with the pod count', async () => {
    const first = await cp.kubectl(['label', 'node', 'wasm-1', 'wasmtime-enabled-']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).not.toContain('Warning');
    // wasmgate's cache must see wasm-1's change before the next decision
    await waitFor(async () => (await kubectlJson(cp, ['get', 'node', 'wasm-1'])).metadata.labels['wasmtime-enabled'] === undefined);
    await new Promise((r) => setTimeout(r, 300));
    const pods = (await kubectlJson(cp, ['get', 'pods', '-A'])).items.filter(
      (p: { spec: { runtimeClassName?: string } }) => p.spec.runtimeClassName === 'wasm1',
    );
    expect(pods.length).toBeGreaterThan(0);
    const last = await cp.kubectl(['label', 'node', 'wasm-2', 'wasmtime-enabled-']);
    expect(last.code, last.stderr).toBe(0);
    expect(last.stderr).toContain(
      `Warning: [node-change-strands-runtimeclass] This change to Node wasm-2 removes label wasmtime-enabled=yes, which leaves RuntimeClass wasm1 ` +
        `(handler wasmtime) with no Ready, schedulable node: it is used by ${pods.length} pods that have not finished, and new pods of this class will stay Pending. ` +
        'Fix: revert the change, or first prepare another node with the wasmtime shim and label it: kubectl label nodes <node> wasmtime-enabled=yes.',
    );
    await kubectlOk(cp, ['label', 'node', 'wasm-1', 'wasmtime-enabled=yes']);
    await kubectlOk(cp, ['label', 'node', 'wasm-2', 'wasmtime-enabled=yes']);
  });

  it('cordoning the last usable Wasm node warns', async () => {
    await kubectlOk(cp, ['cordon', 'wasm-1']);
    await waitFor(async () => (await kubectlJson(cp, ['get', 'node', 'wasm-1'])).spec.unschedulable === true);
    await new Promise((r) => setTimeout(r, 300));
    const res = await cp.kubectl(['cordon', 'wasm-2']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(
      'Warning: [node-change-strands-runtimeclass] This change to Node wasm-2 cordons it, which leaves RuntimeClass wasm1',
    );
    await kubectlOk(cp, ['uncordon', 'wasm-1']);
    await kubectlOk(cp, ['uncordon', 'wasm-2']);
  });

  it('node status updates and annotation changes never reach the webhook', async () => {
    const before = await wg.requestsServed('validate');
    await kubectlOk(cp, ['annotate', 'node', 'wasm-1', 'example.com/note=hello']);
    await kubectlOk(cp, [
      'patch',
      'node',
      'wasm-1',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { capacity: { pods: '111' } } }),
    ]);
    expect(await wg.requestsServed('validate')).toBe(before);
  });

  it('deleting a RuntimeClass that pods use warns', async () => {
    const res = await cp.kubectl(['delete', 'runtimeclass', 'wasm1']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(
      /Warning: \[runtimeclass-delete-in-use\] RuntimeClass wasm1 \(handler wasmtime\) is used by \d+ pods that have not finished/,
    );
  });
});

describe('audit of what already runs', () => {
  it('reports a broken workload once, on its owner, not on its ReplicaSets and Pods', async () => {
    // wasm1 was deleted above: everything that uses it is now broken
    const run = promisify(execFile);
    const res = await run(process.execPath, [
      join(REPO, 'bin/wasmgate.js'),
      'audit',
      '--kubeconfig',
      cp.kubeconfig,
      '-o',
      'json',
      '--fail-on',
      'never',
    ]);
    const report = JSON.parse(res.stdout) as {
      audited: number;
      deduplicated: number;
      findings: { kind: string; namespace?: string; name: string; rule: string }[];
    };
    const missing = report.findings.filter((f) => f.rule === 'runtimeclass-exists');
    const names = missing.map((f) => `${f.kind} ${f.namespace}/${f.name}`);
    expect(names).toContain(`Deployment ${NS}/deployment-good`);
    expect(names).toContain(`CronJob ${NS}/cronjob-good`);
    expect(names).toContain(`StatefulSet ${NS}/statefulset-good`);
    expect(names).toContain(`DaemonSet ${NS}/agent-everywhere`);
    // nothing owned by an audited controller is reported again
    expect(names.filter((n) => n.includes('deployment-good-'))).toEqual([]);
    expect(missing.filter((f) => f.kind === 'Pod')).toEqual([]);
    expect(missing.filter((f) => f.kind === 'ReplicaSet' && f.name.startsWith('deployment-good'))).toEqual([]);
    expect(report.deduplicated).toBeGreaterThan(0);
    // and the exit code follows --fail-on
    const strict = await run(process.execPath, [join(REPO, 'bin/wasmgate.js'), 'audit', '--kubeconfig', cp.kubeconfig]).then(
      () => 0,
      (err: { code: number }) => err.code,
    );
    expect(strict).toBe(1);
  });
});
