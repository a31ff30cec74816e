import { SchedulingIndex } from '../scheduling/node-index.js';
import type { ClusterState, Labels, NodeInfo, RuntimeClassInfo, SyncStatus } from './types.js';

/**
 * The in-memory store behind both sources: lean nodes in a label index, RuntimeClasses by name,
 * and optionally a count of pods per RuntimeClass. The snapshot source fills it once; the live
 * source keeps it current from watch events.
 */
export class MemoryState implements ClusterState {
  readonly index = new SchedulingIndex();
  private readonly classes = new Map<string, RuntimeClassInfo>();
  private sortedClasses: RuntimeClassInfo[] | undefined;
  /** pod key (namespace/name) → RuntimeClass name; undefined when pods are not tracked */
  private podClasses: Map<string, string> | undefined;
  private podCounts = new Map<string, number>();
  private synced = false;
  private lastEventAt: number | undefined;
  /** access problems by resource (the live source's refused lists and watches) */
  private readonly problems = new Map<string, string>();

  constructor(
    readonly kind: 'snapshot' | 'live',
    private detail: string,
  ) {}

  status(): SyncStatus {
    const status = { synced: this.synced, lastEventAt: this.lastEventAt, detail: this.detail };
    if (this.problems.size === 0) return status;
    return { ...status, problems: [...this.problems].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, p]) => p) };
  }

  /** Record what keeps `resource` from being current (undefined: nothing any more). */
  setProblem(resource: string, problem: string | undefined): void {
    if (problem === undefined) this.problems.delete(resource);
    else this.problems.set(resource, problem);
  }

  markSynced(synced: boolean, detail?: string): void {
    this.synced = synced;
    if (detail !== undefined) this.detail = detail;
  }

  touch(now = Date.now()): void {
    this.lastEventAt = now;
  }

  getRuntimeClass(name: string): RuntimeClassInfo | undefined {
    return this.classes.get(name);
  }

  listRuntimeClasses(): readonly RuntimeClassInfo[] {
    this.sortedClasses ??= [...this.classes.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return this.sortedClasses;
  }

  getNode(name: string): NodeInfo | undefined {
    return this.index.get(name);
  }

  nodeCount(): number {
    return this.index.size;
  }

  nodesMatching(selector: Labels): Iterable<NodeInfo> {
    return this.index.matching(selector);
  }

  schedulingIndex(): SchedulingIndex {
    return this.index;
  }

  countWithLabel(key: string, value: string): number {
    return this.index.count(key, value);
  }

  podsUsingRuntimeClass(name: string): number | undefined {
    if (this.podClasses === undefined) return undefined;
    return this.podCounts.get(name) ?? 0;
  }

  upsertNode(node: NodeInfo): void {
    this.index.upsert(node);
  }

  deleteNode(name: string): void {
    this.index.delete(name);
  }

  upsertRuntimeClass(rc: RuntimeClassInfo): void {
    this.classes.set(rc.name, rc);
    this.sortedClasses = undefined;
  }

  deleteRuntimeClass(name: string): void {
    if (this.classes.delete(name)) this.sortedClasses = undefined;
  }

  /** Start counting pods per RuntimeClass (clears any previous count). */
  trackPods(): void {
    this.podClasses = new Map();
    this.podCounts = new Map();
  }

  /** Record the RuntimeClass a pod uses now (undefined: none, or terminal). */
  setPod(key: string, runtimeClass: string | undefined): void {
    if (this.podClasses === undefined) this.trackPods();
    const classes = this.podClasses!;
    const previous = classes.get(key);
    if (previous === runtimeClass) return;
    if (previous !== undefined) {
      const n = (this.podCounts.get(previous) ?? 1) - 1;
      if (n <= 0) this.podCounts.delete(previous);
      else this.podCounts.set(previous, n);
      classes.delete(key);
    }
    if (runtimeClass !== undefined) {
      classes.set(key, runtimeClass);
      this.podCounts.set(runtimeClass, (this.podCounts.get(runtimeClass) ?? 0) + 1);
    }
  }

  /** Replace all nodes/classes at once (a relist). */
  replaceNodes(nodes: Iterable<NodeInfo>): void {
    this.index.clear();
    for (const n of nodes) this.index.upsert(n);
  }

  replaceRuntimeClasses(classes: Iterable<RuntimeClassInfo>): void {
    this.classes.clear();
    for (const rc of classes) this.classes.set(rc.name, rc);
    this.sortedClasses = undefined;
  }
}
