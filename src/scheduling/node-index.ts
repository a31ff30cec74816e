/**
 * The scheduling index over lean nodes: what the request path asks without scanning the cluster.
 *
 * - label postings key → value → node names (as src/cluster/label-index.ts), and per key the number
 *   of nodes carrying it, so In / Exists / Gt / Lt / nodeSelector pairs generate candidates from
 *   their own posting lists, and NotIn / DoesNotExist are answered from counts;
 * - "clean" nodes (Ready, not cordoned, no NoSchedule/NoExecute taint), grouped by their set of
 *   label KEYS (node pools share one: a cluster has few groups, whatever its size) and split by
 *   the runtime handlers they report. Any pod whose labels fit may use a clean node, so a search
 *   with no positive label constraint walks only these: a group holding a DoesNotExist key is
 *   skipped whole, and every other miss is a node whose value a NotIn names;
 * - the other ("dirty") nodes, walked only for pods whose tolerations, or a relaxed readiness rule,
 *   could make one usable.
 *
 * Updates cost the node's labels and handlers; a node whose labels did not change keeps its postings.
 */
import type { Labels } from '../cluster/types.js';
import { DEFAULT_TOLERATIONS, hasUntoleratedTaint, isClean } from './taints.js';
import type { SchedNode } from './types.js';

const EMPTY: ReadonlySet<string> = new Set();

function add<K>(map: Map<K, Set<string>>, key: K, name: string): void {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set()));
  set.add(name);
}

function remove<K>(map: Map<K, Set<string>>, key: K, name: string): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(name);
  if (set.size === 0) map.delete(key);
}

export class SchedulingIndex {
  private readonly nodes = new Map<string, SchedNode>();
  private readonly postings = new Map<string, Map<string, Set<string>>>();
  private readonly keyCounts = new Map<string, number>();
  private readonly dirty = new Set<string>();
  /** dirty nodes that only the API server's default tolerations make usable (Ready, uncordoned) */
  private readonly defaultTolerable = new Set<string>();
  private readonly groups = new Map<string, KeyGroup>();
  private readonly groupOf = new Map<string, KeyGroup>();

  get size(): number {
    return this.nodes.size;
  }

  get(name: string): SchedNode | undefined {
    return this.nodes.get(name);
  }

  all(): IterableIterator<SchedNode> {
    return this.nodes.values();
  }

  upsert(node: SchedNode): void {
    const previous = this.nodes.get(node.name);
    if (previous !== undefined) {
      this.unclassify(previous);
      if (previous.labels !== node.labels) {
        for (const [key, value] of Object.entries(previous.labels)) if (node.labels[key] !== value) this.unpost(key, value, node.name);
      }
    }
    this.nodes.set(node.name, node);
    for (const [key, value] of Object.entries(node.labels)) {
      if (previous === undefined || previous.labels[key] !== value) this.post(key, value, node.name);
    }
    this.classify(node);
  }

  delete(name: string): boolean {
    const previous = this.nodes.get(name);
    if (previous === undefined) return false;
    for (const [key, value] of Object.entries(previous.labels)) this.unpost(key, value, name);
    this.unclassify(previous);
    this.nodes.delete(name);
    return true;
  }

  clear(): void {
    for (const c of [this.nodes, this.postings, this.keyCounts, this.groups, this.groupOf]) c.clear();
    this.dirty.clear();
    this.defaultTolerable.clear();
  }

  /** nodes carrying key=value */
  count(key: string, value: string): number {
    return this.postings.get(key)?.get(value)?.size ?? 0;
  }

  /** nodes carrying the key, whatever its value */
  keyCount(key: string): number {
    return this.keyCounts.get(key) ?? 0;
  }

  posting(key: string, value: string): ReadonlySet<string> {
    return this.postings.get(key)?.get(value) ?? EMPTY;
  }

  /** value → nodes for one key (the distinct values of that key) */
  valuesOf(key: string): ReadonlyMap<string, ReadonlySet<string>> | undefined {
    return this.postings.get(key);
  }

  /** clean nodes whose reported handlers allow `handler` (all clean nodes when undefined) */
  *cleanFor(handler: string | undefined): Iterable<string> {
    for (const g of this.groups.values()) yield* g.cleanFor(handler);
  }

  /** the clean nodes, grouped by their set of label keys */
  keyGroups(): Iterable<KeyGroup> {
    return this.groups.values();
  }

  /** dirty nodes usable by a pod whose only tolerations are the API server's defaults */
  defaultTolerableNodes(): ReadonlySet<string> {
    return this.defaultTolerable;
  }

  /** nodes that are NotReady, cordoned or carry a NoSchedule/NoExecute taint */
  dirtyNodes(): ReadonlySet<string> {
    return this.dirty;
  }

  /** Nodes whose labels contain every pair of the selector, from the smallest posting list. */
  *matching(selector: Labels): Iterable<SchedNode> {
    const pairs = Object.entries(selector);
    if (pairs.length === 0) {
      yield* this.nodes.values();
      return;
    }
    let smallest: ReadonlySet<string> | undefined;
    for (const [key, value] of pairs) {
      const list = this.posting(key, value);
      if (smallest === undefined || list.size < smallest.size) smallest = list;
    }
    for (const name of smallest ?? EMPTY) {
      const node = this.nodes.get(name);
      if (node !== undefined && pairs.every(([key, value]) => node.labels[key] === value)) yield node;
    }
  }

  private classify(node: SchedNode): void {
    if (!node.ready || !isClean(node)) {
      this.dirty.add(node.name);
      if (node.ready && !node.unschedulable && !hasUntoleratedTaint(node.taints, DEFAULT_TOLERATIONS)) this.defaultTolerable.add(node.name);
      return;
    }
    const keys = Object.keys(node.labels).sort();
    const signature = keys.join('\n');
    let group = this.groups.get(signature);
    if (group === undefined) this.groups.set(signature, (group = new KeyGroup(new Set(keys))));
    group.add(node);
    this.groupOf.set(node.name, group);
  }

  private unclassify(node: SchedNode): void {
    this.dirty.delete(node.name);
    this.defaultTolerable.delete(node.name);
    const group = this.groupOf.get(node.name);
    if (group !== undefined) {
      this.groupOf.delete(node.name);
      group.remove(node);
      if (group.size === 0) this.groups.delete([...group.keys].join('\n'));
    }
  }

  private post(key: string, value: string, name: string): void {
    let byValue = this.postings.get(key);
    if (byValue === undefined) this.postings.set(key, (byValue = new Map()));
    const before = byValue.get(value)?.size ?? 0;
    add(byValue, value, name);
    if ((byValue.get(value)?.size ?? 0) > before) this.keyCounts.set(key, (this.keyCounts.get(key) ?? 0) + 1);
  }

  private unpost(key: string, value: string, name: string): void {
    const byValue = this.postings.get(key);
    if (byValue === undefined || byValue.get(value)?.has(name) !== true) return;
    remove(byValue, value, name);
    const n = (this.keyCounts.get(key) ?? 1) - 1;
    if (n <= 0) this.keyCounts.delete(key);
    else this.keyCounts.set(key, n);
    if (byValue.size === 0) this.postings.delete(key);
  }
}

/** Clean nodes that carry exactly the same label keys (values may differ). */
export class KeyGroup {
  private readonly unknown = new Set<string>();
  private readonly byHandler = new Map<string, Set<string>>();
  private readonly members = new Set<string>();

  constructor(readonly keys: ReadonlySet<string>) {}

  get size(): number {
    return this.members.size;
  }

  add(node: SchedNode): void {
    this.members.add(node.name);
    if (node.runtimeHandlers.length === 0) this.unknown.add(node.name);
    for (const h of node.runtimeHandlers) add(this.byHandler, h, node.name);
  }

  remove(node: SchedNode): void {
    this.members.delete(node.name);
    this.unknown.delete(node.name);
    for (const h of node.runtimeHandlers) remove(this.byHandler, h, node.name);
  }

  /** members whose reported handlers allow `handler` (all members when undefined) */
  cleanFor(handler: string | undefined): Iterable<string> {
    if (handler === undefined) return this.members;
    const reporting = this.byHandler.get(handler);
    return reporting === undefined ? this.unknown : concat(this.unknown, reporting);
  }
}

function* concat(a: Iterable<string>, b: Iterable<string>): Iterable<string> {
  yield* a;
  yield* b;
}
