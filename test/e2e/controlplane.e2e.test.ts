/**
 * The real control plane used by the e2e suite: etcd + kube-apiserver + kube-scheduler built from
 * source by hack/controlplane/build.sh. Never skipped: if the binaries cannot be built or a
 * component does not start, beforeAll fails with the reason.
 */
import { existsSync } from 'node:fs';
import { describe, it, expect, afterAll } from 'vitest';
import {
  applyObjects,
  CONTROLLER_TEST_TIMEOUT_MS,
  CONTROLLER_WAIT_MS,
  createNode,
  kubectlJson,
  kubectlOk,
  RESTART_TEST_TIMEOUT_MS,
  useControlPlane,
  waitFor,
  type ComponentProcess,
} from '../harness/controlplane.js';
import { pinnedVersion } from '../../src/controlplane/index.js';

interface NodeJson {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { taints?: { key: string; effect: string }[]; unschedulable?: boolean };
  status: { conditions?: { type: string; status: string }[]; allocatable?: Record<string, string> };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('control plane (etcd + kube-apiserver + kube-scheduler)', () => {
  // A startup failure is rethrown by every use of `cp` (a throwing beforeAll would make vitest
  // report the tests as skipped): the suite fails with the reason, it never skips.
  const cp = useControlPlane({ scheduler: true });
  const retired: ComponentProcess[] = [];

  afterAll(async () => {
    if (!cp.started) return;
    const procs: ComponentProcess[] = [...cp.processes(), ...retired];
    const dir = cp.dir;
    await cp.stop();
    await cp.stop(); // idempotent
    expect(existsSync(dir)).toBe(false);
    expect(new Set(procs.map((p) => p.name))).toEqual(new Set(['etcd', 'kube-apiserver', 'kube-scheduler']));
    for (const p of procs) {
      expect(p.pid).toBeGreaterThan(0);
      expect(() => process.kill(p.pid, 0), `${p.name} (pid ${p.pid}) still alive`).toThrow();
    }
    expect(cp.processes().every((p) => !p.running)).toBe(true);
  }, 60_000);

  it('runs all components and serves the pinned Kubernetes version', async () => {
    expect(cp.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(cp.caCert).toContain('BEGIN CERTIFICATE');
    for (const p of cp.processes()) expect(isAlive(p.pid), `${p.name} alive`).toBe(true);

    const v = await kubectlJson<{ serverVersion: { gitVersion: string }; clientVersion: { gitVersion: string } }>(cp, ['version']);
    expect(v.serverVersion.gitVersion).toBe(pinnedVersion('K8S_VERSION'));
    expect(v.clientVersion.gitVersion).toBe(pinnedVersion('K8S_VERSION'));

    // The admin client certificate is in system:masters.
    expect((await kubectlOk(cp, ['auth', 'can-i', '*', '*'])).trim()).toBe('yes');
  });

  it('creates fake Nodes with the requested labels and Ready conditions', async () => {
    await createNode(cp, { name: 'node-ready', labels: { 'wasmgate.test/pool': 'ready' }, ready: true });
    await createNode(cp, { name: 'node-notready', labels: { 'wasmgate.test/pool': 'notready' }, ready: false });

    const list = await kubectlJson<{ items: NodeJson[] }>(cp, ['get', 'nodes']);
    const byName = new Map(list.items.map((n) => [n.metadata.name, n]));
    expect([...byName.keys()].sort()).toEqual(['node-notready', 'node-ready']);

    const ready = byName.get('node-ready')!;
    const notReady = byName.get('node-notready')!;
    const readyStatus = (n: NodeJson): string | undefined => n.status.conditions?.find((x) => x.type === 'Ready')?.status;

    expect(ready.metadata.labels?.['wasmgate.test/pool']).toBe('ready');
    expect(ready.metadata.labels?.['kubernetes.io/hostname']).toBe('node-ready');
    expect(readyStatus(ready)).toBe('True');
    expect(ready.spec.taints ?? []).toEqual([]);
    expect(ready.status.allocatable).toMatchObject({ cpu: '4', memory: '8Gi', pods: '110' });

    expect(notReady.metadata.labels?.['wasmgate.test/pool']).toBe('notready');
    expect(readyStatus(notReady)).toBe('False');
    expect(notReady.spec.taints).toEqual([{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }]);
  });

  it(
    'schedules a plain Pod onto the node selected by its nodeSelector',
    async () => {
      await kubectlOk(cp, ['create', 'namespace', 'cp-e2e']);
      await applyObjects(cp, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'plain', namespace: 'cp-e2e' },
        spec: {
          nodeSelector: { 'wasmgate.test/pool': 'ready' },
          containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }],
        },
      });
      const nodeName = await waitFor(
        async () => {
          const pod = await kubectlJson<{ spec: { nodeName?: string } }>(cp, ['get', 'pod', 'plain', '-n', 'cp-e2e']);
          return pod.spec.nodeName;
        },
        { timeoutMs: CONTROLLER_WAIT_MS, what: 'pod cp-e2e/plain to be bound' },
      );
      expect(nodeName).toBe('node-ready');

      const events = await kubectlJson<{ items: { reason: string; involvedObject: { name: string } }[] }>(cp, [
        'get',
        'events',
        '-n',
        'cp-e2e',
      ]);
      expect(events.items.some((e) => e.reason === 'Scheduled' && e.involvedObject.name === 'plain')).toBe(true);
    },
    CONTROLLER_TEST_TIMEOUT_MS,
  );

  it(
    'restarts kube-apiserver on the same port, keeping the data in etcd',
    async () => {
      const apiserver = (): ComponentProcess => cp.processes().find((p) => p.name === 'kube-apiserver')!;
      const etcdPid = cp.processes().find((p) => p.name === 'etcd')!.pid;
      const before = apiserver();
      retired.push(before);
      await cp.restartApiServer();
      const after = apiserver();
      expect(after.pid).not.toBe(before.pid);
      expect(after.running).toBe(true);
      expect(isAlive(before.pid)).toBe(false);
      expect(cp.processes().find((p) => p.name === 'etcd')!.pid).toBe(etcdPid);

      // Same server URL (same port) in the kubeconfig, and the objects are still there.
      const pod = await kubectlJson<{ spec: { nodeName?: string } }>(cp, ['get', 'pod', 'plain', '-n', 'cp-e2e']);
      expect(pod.spec.nodeName).toBe('node-ready');
      const nodes = await kubectlJson<{ items: NodeJson[] }>(cp, ['get', 'nodes']);
      expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual(['node-notready', 'node-ready']);
    },
    RESTART_TEST_TIMEOUT_MS,
  );
});
