import type { Labels, NodeInfo } from './types.js';

/**
 * Inverted index "label key=value → node names" over lean NodeInfo records.
 *
 * Selector matching intersects posting lists starting from the smallest one, so asking
 * "which nodes carry wasmtime-enabled=yes" costs the size of that list, whatever the cluster size.
 */
export class LabelIndex {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly postings = new Map<string, Map<string, Set<string>>>();

  get size(): number {
    return this.nodes.size;
  }

  get(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  all(): IterableIterator<NodeInfo> {
    return this.nodes.values();
  }

  /** Insert or replace a node; only label changes touch the postings. */
  upsert(node: NodeInfo): void {
    const previous = this.nodes.get(node.name);
    if (previous !== undefined && previous.labels !== node.labels) {
      for (const [key, value] of Object.entries(previous.labels)) {
        if (node.labels[key] !== value) this.unpost(key, value, node.name);
      }
    }
    this.nodes.set(node.name, node);
    for (const [key, value] of Object.entries(node.labels)) {
      if (previous === undefined || previous.labels[key] !== value) this.post(key, value, node.name);
    }
  }

  delete(name: string): boolean {
    const previous = this.nodes.get(name);
    if (previous === undefined) return false;
    for (const [key, value] of Object.entries(previous.labels)) this.unpost(key, value, name);
    this.nodes.delete(name);
    return true;
  }

  clear(): void {
    this.nodes.clear();
    this.postings.clear();
  }

  count(key: string, value: string): number {
    return this.postings.get(key)?.get(value)?.size ?? 0;
  }

  *matching(selector: Labels): Iterable<NodeInfo> {
    const pairs = Object.entries(selector);
    if (pairs.length === 0) {
      yield* this.nodes.values();
      return;
    }
    let smallest: Set<string> | undefined;
    for (const [key, value] of pairs) {
      const list = this.postings.get(key)?.get(value);
      if (list === undefined) return;
      if (smallest === undefined || list.size < smallest.size) smallest = list;
    }
    if (smallest === undefined) return;
    for (const name of smallest) {
      const node = this.nodes.get(name);
      if (node !== undefined && pairs.every(([key, value]) => node.labels[key] === value)) yield node;
    }
  }

  private post(key: string, value: string, name: string): void {
    let byValue = this.postings.get(key);
    if (byValue === undefined) {
      byValue = new Map();
      this.postings.set(key, byValue);
    }
    let names = byValue.get(value);
    if (names === undefined) {
      names = new Set();
      byValue.set(value, names);
    }
    names.add(name);
  }

  private unpost(key: string, value: string, name: string): void {
    const byValue = this.postings.get(key);
    const names = byValue?.get(value);
    if (byValue === undefined || names === undefined) return;
    names.delete(name);
    if (names.size === 0) byValue.delete(value);
    if (byValue.size === 0) this.postings.delete(key);
  }
}
