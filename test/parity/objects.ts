/**
 * A parity case as Kubernetes objects, and the pods the scheduler is asked about:
 *
 * - "sched": the pod itself; when it names a node (spec.nodeName bypasses the scheduler, and no
 *   kubelet runs here), the scheduler is asked the same question kubelet's admission answers: the
 *   pod without nodeName, pinned with matchFields metadata.name In [node] (as DaemonSet pods are),
 *   and tolerating every NoSchedule taint, because kubelet checks only NoExecute taints and not
 *   the cordon (pkg/kubelet/lifecycle/predicate.go);
 * - "handler": the same, also kept off the nodes whose reported runtime handlers lack the class's
 *   handler (matchFields metadata.name NotIn, one per node): kubelet's rule that such a pod fails
 *   at sandbox creation, stated so the scheduler can judge the rest.
 */
import type { GenClass, GenNode, GenPod, ParityCase } from './cases.js';

export const CASE_LABEL = 'parity.wasmgate.dev/case';
export const BATCH_LABEL = 'parity.wasmgate.dev/batch';
export const NAMESPACE = 'parity';

function rfc3339(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

export function nodeObject(n: GenNode, caseId: string, batch: string): object {
  const now = rfc3339();
  const capacity = { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: { ...n.labels, 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', [CASE_LABEL]: caseId, [BATCH_LABEL]: batch },
    },
    spec: {
      unschedulable: n.unschedulable,
      taints: n.taints.map((t) => ({ ...t, ...(t.effect === 'NoExecute' ? { timeAdded: now } : {}) })),
    },
    status: {
      conditions: [
        {
          type: 'Ready',
          status: n.ready ? 'True' : 'False',
          reason: n.ready ? 'KubeletReady' : 'KubeletNotReady',
          message: 'parity fake node',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
      capacity,
      allocatable: capacity,
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      nodeInfo: {
        kubeletVersion: 'v1.35.4',
        containerRuntimeVersion: 'containerd://2.1.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      ...(n.runtimeHandlers.length === 0
        ? {}
        : {
            runtimeHandlers: n.runtimeHandlers.map((name) => ({
              name,
              features: { recursiveReadOnlyMounts: false, userNamespaces: false },
            })),
          }),
    },
  };
}

export function runtimeClassObject(c: GenClass, batch: string): object {
  return {
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name: c.name, labels: { [BATCH_LABEL]: batch } },
    handler: c.handler,
    ...(c.scheduling === undefined ? {} : { scheduling: c.scheduling }),
  };
}

/** The pod spec as a user would write it (what wasmgate judges). */
export function podSpec(p: GenPod, caseId: string): Record<string, unknown> {
  return {
    runtimeClassName: p.runtimeClassName,
    nodeSelector: { ...p.nodeSelector, [CASE_LABEL]: caseId },
    ...(p.tolerations.length === 0 ? {} : { tolerations: p.tolerations }),
    ...(p.terms === undefined
      ? {}
      : { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: p.terms } } } }),
    ...(p.nodeName === undefined ? {} : { nodeName: p.nodeName }),
    containers: [{ name: 'app', image: 'registry.invalid/wasm:1' }],
    terminationGracePeriodSeconds: 0,
  };
}

/** Adds matchFields requirements to every non-empty term (an empty term must stay empty: it matches nothing). */
function withFields(spec: Record<string, unknown>, fields: object[]): Record<string, unknown> {
  if (fields.length === 0) return spec;
  const affinity = spec['affinity'] as
    { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: Record<string, unknown[]>[] } } } | undefined;
  const terms = affinity?.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms ?? [{}];
  const pinned = terms.map((t) => {
    const empty = (t['matchExpressions']?.length ?? 0) === 0 && (t['matchFields']?.length ?? 0) === 0;
    return empty && affinity !== undefined ? t : { ...t, matchFields: [...(t['matchFields'] ?? []), ...fields] };
  });
  return { ...spec, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: pinned } } } };
}

/** The spec the scheduler is asked about (see the file comment). */
export function schedulerSpec(spec: Record<string, unknown>, lackingHandler: readonly string[] = []): Record<string, unknown> {
  const { nodeName, ...rest } = spec;
  const fields: object[] = lackingHandler.map((n) => ({ key: 'metadata.name', operator: 'NotIn', values: [n] }));
  if (typeof nodeName !== 'string') return withFields(rest, fields);
  const tolerations = [...((rest['tolerations'] as object[] | undefined) ?? []), { operator: 'Exists', effect: 'NoSchedule' }];
  return withFields({ ...rest, tolerations }, [{ key: 'metadata.name', operator: 'In', values: [nodeName] }, ...fields]);
}

export function podObject(name: string, spec: Record<string, unknown>, caseId: string, batch: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE, labels: { [CASE_LABEL]: caseId, [BATCH_LABEL]: batch } },
    spec,
  };
}

export function classOf(c: ParityCase, name: string): GenClass {
  const rc = c.classes.find((x) => x.name === name);
  if (rc === undefined) throw new Error(`case ${c.id}: no class ${name}`);
  return rc;
}
