/**
 * The kinds wasmgate admits or watches: one record per Kubernetes kind, and the one place to add
 * one. Everything else is derived from it: the pod-spec lookup (src/decide/targets.ts), the
 * engine's dispatch and the operations it checks (src/decide/engine.ts), the webhook rules and
 * their CEL matchConditions (src/deploy/webhooks.ts), the ClusterRole (src/deploy/rbac.ts), the
 * audit's lists (src/audit/sources.ts), the live cache's watches and the snapshot's reducers
 * (src/cluster/stores.ts: a watched kind must have a store there, the type checker says so), and
 * the README's table of kinds (test/unit/kinds/readme.test.ts keeps it equal).
 *
 * Records are keyed by group and kind together (as the API server does): a custom resource named
 * Deployment in another API group is not apps/v1 Deployment, and is never treated as one.
 *
 * The order is the order of the webhook rules, the audit's listing and the README's table.
 */
import { isRecord, str } from '../objects/json.js';
import { groupVersionOf } from '../objects/metadata.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
export type Endpoint = 'mutate' | 'validate';
/** wasmgate's webhooks, by the first label of their names: pods.mutate.wasmgate.dev, ... */
export type WebhookName = 'pods' | 'workloads' | 'runtimeclasses' | 'nodes';
export type Verb = 'list' | 'watch';

export interface Admission {
  readonly webhook: WebhookName;
  readonly endpoints: readonly Endpoint[];
  /** the operations the webhook is sent and the engine checks */
  readonly operations: readonly Operation[];
}

export interface KindRecord {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** the plural resource name, as in URLs and RBAC */
  readonly resource: string;
  readonly scope: 'Namespaced' | 'Cluster';
  /** JSON pointer from the object's root to its pod spec, for kinds that have one */
  readonly podSpec?: string;
  /** which webhook receives it, on which endpoints, for which operations */
  readonly admission?: Admission;
  /** listed and watched by the live cache (src/cluster/live.ts) */
  readonly watched: boolean;
  /** listed by `wasmgate audit` on a live cluster */
  readonly audited: boolean;
}

const TEMPLATE_WRITES = { webhook: 'workloads', endpoints: ['mutate', 'validate'], operations: ['CREATE', 'UPDATE'] } as const;

function workload(group: string, kind: string, resource: string, podSpec = '/spec/template/spec'): KindRecord {
  return { group, version: 'v1', kind, resource, scope: 'Namespaced', podSpec, admission: TEMPLATE_WRITES, watched: false, audited: true };
}

export const KINDS = [
  // a Pod's spec is immutable after creation: CREATE only
  {
    group: '',
    version: 'v1',
    kind: 'Pod',
    resource: 'pods',
    scope: 'Namespaced',
    podSpec: '/spec',
    admission: { webhook: 'pods', endpoints: ['mutate', 'validate'], operations: ['CREATE'] },
    watched: true,
    audited: true,
  },
  workload('apps', 'Deployment', 'deployments'),
  workload('apps', 'ReplicaSet', 'replicasets'),
  workload('apps', 'StatefulSet', 'statefulsets'),
  workload('apps', 'DaemonSet', 'daemonsets'),
  workload('batch', 'Job', 'jobs'),
  workload('batch', 'CronJob', 'cronjobs', '/spec/jobTemplate/spec/template/spec'),
  workload('', 'ReplicationController', 'replicationcontrollers'),
  workload('', 'PodTemplate', 'podtemplates', '/template/spec'),
  {
    group: 'node.k8s.io',
    version: 'v1',
    kind: 'RuntimeClass',
    resource: 'runtimeclasses',
    scope: 'Cluster',
    admission: { webhook: 'runtimeclasses', endpoints: ['validate'], operations: ['CREATE', 'UPDATE', 'DELETE'] },
    watched: true,
    audited: true,
  },
  // only label, taint and cordon changes matter (the webhook's matchConditions filter the rest)
  {
    group: '',
    version: 'v1',
    kind: 'Node',
    resource: 'nodes',
    scope: 'Cluster',
    admission: { webhook: 'nodes', endpoints: ['validate'], operations: ['UPDATE'] },
    watched: true,
    audited: false,
  },
] as const satisfies readonly KindRecord[];

/** The names of the kinds the live cache watches: Pod | RuntimeClass | Node. */
export type WatchedKind = Extract<(typeof KINDS)[number], { watched: true }>['kind'];

const BY_GROUP_KIND = new Map<string, KindRecord>(KINDS.map((k) => [`${k.group}/${k.kind}`, k]));
const BY_KIND = new Map<string, KindRecord>(KINDS.map((k) => [k.kind, k]));

/** The record for an API group and kind, e.g. kindOf('apps', 'Deployment'); undefined for anything else. */
export function kindOf(group: string, kind: string): KindRecord | undefined {
  return BY_GROUP_KIND.get(`${group}/${kind}`);
}

/** The record of one of wasmgate's own kinds by name (kind names are unique in the registry); throws for any other name. */
export function kindNamed(kind: string): KindRecord {
  const k = BY_KIND.get(kind);
  if (k === undefined) throw new Error(`${kind} is not a kind of wasmgate's registry`);
  return k;
}

/**
 * The record of a manifest or listed object: by its apiVersion's group and its kind. An object
 * without apiVersion (a hand-written snapshot file) is matched by kind alone.
 */
export function kindOfObject(obj: unknown): KindRecord | undefined {
  if (!isRecord(obj)) return undefined;
  const kind = str(obj['kind']);
  if (kind === undefined) return undefined;
  const apiVersion = str(obj['apiVersion']);
  return apiVersion === undefined ? BY_KIND.get(kind) : kindOf(groupVersionOf(apiVersion).group, kind);
}

export function apiVersionOf(k: KindRecord): string {
  return k.group === '' ? k.version : `${k.group}/${k.version}`;
}

/** The collection's path on the API server, across all namespaces: /api/v1/pods, /apis/apps/v1/deployments. */
export function listPath(k: KindRecord): string {
  return k.group === '' ? `/api/${k.version}/${k.resource}` : `/apis/${k.group}/${k.version}/${k.resource}`;
}

/** The RBAC verbs wasmgate needs on a kind: list and watch for what it watches, list for what it audits. */
export function verbsOf(k: KindRecord): Verb[] {
  return k.watched ? ['list', 'watch'] : k.audited ? ['list'] : [];
}

/** Pointer to the pod template, the parent of the pod spec: '' for a Pod (its own root), /spec/template, ... */
export function templatePointer(k: KindRecord): string | undefined {
  return k.podSpec?.replace(/\/spec$/, '');
}

/** Does `endpoint` of wasmgate decide on this kind? Anything else is a misconfigured webhook. */
export function handles(k: KindRecord | undefined, endpoint: Endpoint): k is KindRecord & { admission: Admission } {
  return k?.admission?.endpoints.includes(endpoint) ?? false;
}
