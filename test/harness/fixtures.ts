/** Builders for unit and integration tests: lean cluster objects, raw manifests, AdmissionReviews. */
import { KINDS } from '../../src/kinds/registry.js';
import { MemoryState } from '../../src/cluster/memory-state.js';
import { leanNode, leanRuntimeClass } from '../../src/cluster/lean.js';
import type { NodeInfo, RuntimeClassInfo, Taint, Toleration } from '../../src/cluster/types.js';
import { parseConfig, type Config } from '../../src/config/config.js';
import type { AdmissionRequest } from '../../src/review/envelope.js';

export interface NodeOpts {
  ready?: boolean;
  unschedulable?: boolean;
  taints?: Taint[];
  /** status.runtimeHandlers names as kubelet reports them */
  runtimeHandlers?: string[];
}

/** A raw Node manifest as the API server would send it. */
export function nodeObject(name: string, labels: Record<string, string> = {}, o: NodeOpts = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec: { ...(o.unschedulable ? { unschedulable: true } : {}), ...(o.taints ? { taints: o.taints } : {}) },
    status: {
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
      ...(o.runtimeHandlers === undefined ? {} : { runtimeHandlers: o.runtimeHandlers.map((name) => ({ name })) }),
    },
  };
}

export function node(name: string, labels: Record<string, string> = {}, o: NodeOpts = {}): NodeInfo {
  return leanNode(nodeObject(name, labels, o))!;
}

export function runtimeClassObject(
  name: string,
  handler: string,
  nodeSelector?: Record<string, string>,
  tolerations?: Toleration[],
): Record<string, unknown> {
  const scheduling: Record<string, unknown> = {};
  if (nodeSelector !== undefined) scheduling['nodeSelector'] = nodeSelector;
  if (tolerations !== undefined) scheduling['tolerations'] = tolerations;
  return {
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name },
    handler,
    ...(Object.keys(scheduling).length > 0 ? { scheduling } : {}),
  };
}

export function runtimeClass(
  name: string,
  handler: string,
  nodeSelector?: Record<string, string>,
  tolerations?: Toleration[],
): RuntimeClassInfo {
  return leanRuntimeClass(runtimeClassObject(name, handler, nodeSelector, tolerations))!;
}

export function stateOf(nodes: NodeInfo[], classes: RuntimeClassInfo[], pods?: Record<string, string>): MemoryState {
  const s = new MemoryState('snapshot', 'test fixture');
  for (const n of nodes) s.upsertNode(n);
  for (const rc of classes) s.upsertRuntimeClass(rc);
  if (pods !== undefined) {
    s.trackPods();
    for (const [key, rc] of Object.entries(pods)) s.setPod(key, rc);
  }
  s.markSynced(true);
  return s;
}

/** The seed's cluster: plain nodes, wasmtime nodes (tainted wasm=true:NoSchedule), spin nodes. */
export function seedCluster(): MemoryState {
  return stateOf(
    [
      node('plain-1'),
      node('plain-2'),
      node('wasm-1', { 'wasmtime-enabled': 'yes' }, { taints: [{ key: 'wasm', value: 'true', effect: 'NoSchedule' }] }),
      node('wasm-2', { 'wasmtime-enabled': 'yes' }, { taints: [{ key: 'wasm', value: 'true', effect: 'NoSchedule' }] }),
      node('spin-1', { 'spin-enabled': 'yes' }),
    ],
    [
      runtimeClass('wasm1', 'wasmtime', { 'wasmtime-enabled': 'yes' }, [
        { key: 'wasm', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
      ]),
      runtimeClass('wasmtime-spin-v2', 'spin', { 'spin-enabled': 'yes' }),
    ],
  );
}

export function config(overrides: Record<string, unknown> = {}): Config {
  return parseConfig(overrides);
}

export interface PodOpts {
  name?: string;
  namespace?: string;
  annotations?: Record<string, string>;
  spec?: Record<string, unknown>;
}

export function podObject(o: PodOpts = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: o.name ?? 'app', namespace: o.namespace ?? 'default', ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: { containers: [{ name: 'app', image: 'ghcr.io/example/app:1' }], ...o.spec },
  };
}

export function deploymentObject(o: PodOpts = {}): Record<string, unknown> {
  const pod = podObject(o);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: o.name ?? 'app', namespace: o.namespace ?? 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: o.name ?? 'app' } },
      template: {
        metadata: { labels: { app: o.name ?? 'app' }, ...(o.annotations ? { annotations: o.annotations } : {}) },
        spec: pod['spec'],
      },
    },
  };
}

let uidCounter = 0;

export function request(
  object: Record<string, unknown> | null,
  operation: AdmissionRequest['operation'] = 'CREATE',
  oldObject: Record<string, unknown> | null = null,
): AdmissionRequest {
  const source = object ?? oldObject ?? {};
  const kind = String(source['kind']);
  // wasmgate's own kinds get their group from the table of kinds; anything else is core/v1
  const record = KINDS.find((k) => k.kind === kind);
  const [group, version] = record === undefined ? ['', 'v1'] : [record.group, record.version];
  const meta = (source['metadata'] ?? {}) as Record<string, unknown>;
  const req: AdmissionRequest = {
    uid: `00000000-0000-0000-0000-${String(++uidCounter).padStart(12, '0')}`,
    kind: { group, version, kind },
    operation,
    name: String(meta['name'] ?? ''),
    ...(object !== null ? { object } : {}),
    ...(oldObject !== null ? { oldObject } : {}),
  };
  if (typeof meta['namespace'] === 'string') req.namespace = meta['namespace'];
  return req;
}

/** A full admission.k8s.io/v1 AdmissionReview body around request(). */
export function review(
  object: Record<string, unknown> | null,
  operation: AdmissionRequest['operation'] = 'CREATE',
  oldObject: Record<string, unknown> | null = null,
): { apiVersion: string; kind: string; request: AdmissionRequest } {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: request(object, operation, oldObject) };
}
