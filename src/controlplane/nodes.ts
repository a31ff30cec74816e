/**
 * Fake Nodes: no kubelets run here, so createNode writes a Node and its status (Ready condition,
 * capacity, runtime handlers) the way a registered kubelet would, and kube-scheduler binds pods
 * to it. Used by the e2e tests and the playground.
 */
import type { Taint } from '../cluster/types.js';
import { applyObjects, kubectlJson, kubectlOk } from './kubectl.js';
import type { ControlPlane } from './types.js';

export type { Taint };

export interface FakeNode {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: readonly Taint[];
  /** Ready condition True (default) or False. */
  ready?: boolean;
  /**
   * When not ready, add the `node.kubernetes.io/not-ready:NoSchedule` taint as the node lifecycle
   * controller (which does not run here) would. Default true. Ready nodes never get it: the
   * TaintNodesByCondition admission plugin adds it on creation and createNode removes it.
   */
  notReadyTaint?: boolean;
  unschedulable?: boolean;
  /** Merged over the defaults cpu "4", memory "8Gi", pods "110", ephemeral-storage "100Gi". */
  capacity?: Record<string, string>;
  /** Defaults to the capacity. */
  allocatable?: Record<string, string>;
  /** InternalIP address (default 127.0.0.1). */
  address?: string;
  /** Merged over kubelet-like defaults (linux/amd64, containerd, kubelet v1.35.4). */
  nodeInfo?: Record<string, string>;
  /** status.runtimeHandlers as a kubelet would report them (e.g. wasm shims). */
  runtimeHandlers?: { name: string; features?: Record<string, boolean> }[];
}

export const NOT_READY_TAINT_KEY = 'node.kubernetes.io/not-ready';

const DEFAULT_CAPACITY: Record<string, string> = {
  cpu: '4',
  memory: '8Gi',
  pods: '110',
  'ephemeral-storage': '100Gi',
};

function rfc3339(d = new Date()): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

function desiredTaints(node: FakeNode): Taint[] {
  const taints = (node.taints ?? []).filter((t) => node.ready !== false || t.key !== NOT_READY_TAINT_KEY);
  if (node.ready === false && node.notReadyTaint !== false && !taints.some((t) => t.key === NOT_READY_TAINT_KEY)) {
    taints.push({ key: NOT_READY_TAINT_KEY, effect: 'NoSchedule' });
  }
  return taints.map((t) => ({ ...t, ...(t.effect === 'NoExecute' ? { timeAdded: rfc3339() } : {}) }));
}

function readyCondition(ready: boolean): object {
  const now = rfc3339();
  return ready
    ? {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status (fake node)',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      }
    : {
        type: 'Ready',
        status: 'False',
        reason: 'KubeletNotReady',
        message: 'container runtime network not ready (fake node)',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      };
}

function nodeStatus(node: FakeNode): object {
  const now = rfc3339();
  const capacity = { ...DEFAULT_CAPACITY, ...node.capacity };
  const pressure = (type: string, reason: string): object => ({
    type,
    status: 'False',
    reason,
    message: 'fake node',
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return {
    conditions: [
      pressure('MemoryPressure', 'KubeletHasSufficientMemory'),
      pressure('DiskPressure', 'KubeletHasNoDiskPressure'),
      pressure('PIDPressure', 'KubeletHasSufficientPID'),
      readyCondition(node.ready !== false),
    ],
    capacity,
    allocatable: { ...capacity, ...node.allocatable },
    addresses: [
      { type: 'InternalIP', address: node.address ?? '127.0.0.1' },
      { type: 'Hostname', address: node.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: 'fake',
      systemUUID: 'fake',
      bootID: 'fake',
      kernelVersion: '6.8.0',
      osImage: 'wasmgate fake node',
      containerRuntimeVersion: 'containerd://2.1.0',
      kubeletVersion: 'v1.35.4',
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
      ...node.nodeInfo,
    },
    ...(node.runtimeHandlers === undefined ? {} : { runtimeHandlers: node.runtimeHandlers }),
  };
}

/**
 * Creates (or updates) a Node object and writes its status through the status subresource so the
 * scheduler treats it like a registered kubelet's node. Returns the resulting Node.
 */
export async function createNode(cp: ControlPlane, node: FakeNode): Promise<any> {
  const labels = { 'kubernetes.io/hostname': node.name, 'kubernetes.io/os': 'linux', ...node.labels };
  await applyObjects(cp, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: node.name, labels, ...(node.annotations === undefined ? {} : { annotations: node.annotations }) },
    spec: { unschedulable: node.unschedulable === true },
  });
  // Replace the taints wholesale: drops the not-ready taint TaintNodesByCondition added on create.
  await kubectlOk(cp, ['patch', 'node', node.name, '--type=merge', '-p', JSON.stringify({ spec: { taints: desiredTaints(node) } })]);
  await kubectlOk(cp, [
    'patch',
    'node',
    node.name,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status: nodeStatus(node) }),
  ]);
  return await kubectlJson(cp, ['get', 'node', node.name]);
}

/** Flips a fake Node's Ready condition (and the not-ready taint, unless notReadyTaint is false). */
export async function setNodeReady(cp: ControlPlane, name: string, ready: boolean, opts: { notReadyTaint?: boolean } = {}): Promise<void> {
  const current = await kubectlJson<{ spec?: { taints?: Taint[] }; status?: { conditions?: { type: string }[] } }>(cp, [
    'get',
    'node',
    name,
  ]);
  const others = (current.spec?.taints ?? []).filter((t) => t.key !== NOT_READY_TAINT_KEY);
  const taints = desiredTaints({
    name,
    ready,
    taints: others,
    ...(opts.notReadyTaint === undefined ? {} : { notReadyTaint: opts.notReadyTaint }),
  });
  await kubectlOk(cp, ['patch', 'node', name, '--type=merge', '-p', JSON.stringify({ spec: { taints } })]);
  const conditions = (current.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
  conditions.push(readyCondition(ready) as { type: string });
  await kubectlOk(cp, ['patch', 'node', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { conditions } })]);
}
