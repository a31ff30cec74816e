/**
 * The lean shapes wasmgate decides from. Sources (snapshot, live watch) reduce Kubernetes
 * objects to these and keep nothing else: a Node with 30 labels and a long status.images list
 * becomes a few hundred bytes.
 */
import type { SchedulingIndex } from '../scheduling/node-index.js';

export type Labels = Readonly<Record<string, string>>;

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}

export interface Toleration {
  readonly key?: string;
  readonly operator?: string;
  readonly value?: string;
  readonly effect?: string;
  readonly tolerationSeconds?: number;
}

export interface NodeInfo {
  readonly name: string;
  readonly labels: Labels;
  readonly taints: readonly Taint[];
  /** the Ready condition is status "True" */
  readonly ready: boolean;
  /** spec.unschedulable: cordoned */
  readonly unschedulable: boolean;
  /**
   * status.runtimeHandlers[].name, as kubelet reports them (Kubernetes 1.31+ with containerd 2.x);
   * empty when it reports none (older kubelet, containerd 1.x): the labels alone are judged then.
   */
  readonly runtimeHandlers: readonly string[];
}

export interface RuntimeClassInfo {
  readonly name: string;
  readonly handler: string;
  readonly labels: Labels;
  /** scheduling.nodeSelector; undefined when the class has no scheduling block or no selector */
  readonly nodeSelector: Labels | undefined;
  readonly tolerations: readonly Toleration[];
}

export interface SyncStatus {
  /** the first full list of every watched kind has completed */
  readonly synced: boolean;
  /** epoch ms of the last event applied (list or watch), undefined before any */
  readonly lastEventAt: number | undefined;
  /** a short human description, e.g. "snapshot of 2 files" or "watching (resourceVersion 1234)" */
  readonly detail: string;
  /**
   * what keeps the source from being current, one per watched resource: a list or watch the API
   * server refuses (src/cluster/access.ts). Absent or empty: nothing. /readyz is 503 while any.
   */
  readonly problems?: readonly string[];
}

/**
 * Everything a decision may read about the cluster. Implementations answer from memory:
 * no call may do I/O, so the decision core stays a pure function of (request, state, config).
 */
export interface ClusterState {
  readonly kind: 'snapshot' | 'live';
  status(): SyncStatus;
  getRuntimeClass(name: string): RuntimeClassInfo | undefined;
  /** all RuntimeClasses, sorted by name */
  listRuntimeClasses(): readonly RuntimeClassInfo[];
  getNode(name: string): NodeInfo | undefined;
  nodeCount(): number;
  /**
   * Nodes whose labels contain every pair of `selector` (an empty selector matches every node).
   * Cost is proportional to the smallest posting list of the selector's pairs, not to the cluster.
   */
  nodesMatching(selector: Labels): Iterable<NodeInfo>;
  /**
   * The scheduling index over the same nodes (src/scheduling/node-index.ts): postings, key counts,
   * clean nodes by label-key group and handler. Placement searches read it; nothing writes through it.
   */
  schedulingIndex(): SchedulingIndex;
  /** how many nodes carry label key=value */
  countWithLabel(key: string, value: string): number;
  /** how many running (non-terminal) pods name this RuntimeClass; undefined when pods are not tracked */
  podsUsingRuntimeClass(name: string): number | undefined;
}
