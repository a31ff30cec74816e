/**
 * How each watched kind is kept: its lean record, its key, and how it goes into a MemoryState.
 * The one definition both sources use — the snapshot (snapshot.ts) and the live cache (live.ts) —
 * so the two cannot see a cluster differently. The kinds registry says which kinds are watched;
 * the type below makes a store for each of them required.
 */
import type { WatchedKind } from '../kinds/registry.js';
import { nameOf, podKey } from '../objects/metadata.js';
import { leanNode, leanRuntimeClass, podRuntimeClass } from './lean.js';
import type { MemoryState } from './memory-state.js';
import type { NodeInfo, RuntimeClassInfo } from './types.js';

export interface KindStore<T> {
  /** the lean record of one object; undefined: not usable */
  reduce(obj: unknown): T | undefined;
  /** the key a deletion is applied by; undefined: not usable */
  key(obj: unknown): string | undefined;
  /** a snapshot file may not hold an unusable object of this kind: the error it gets (else it is skipped) */
  readonly invalid?: string;
  /** replace everything with a fresh list (a live relist) */
  replace(state: MemoryState, items: T[]): void;
  upsert(state: MemoryState, item: T): void;
  remove(state: MemoryState, key: string): void;
}

/** A pod counts only for the RuntimeClass it uses (none when terminal): [podKey, RuntimeClass]. */
type PodRecord = readonly [string, string | undefined];

const pods: KindStore<PodRecord> = {
  reduce(obj) {
    const key = podKey(obj);
    return key === undefined ? undefined : [key, podRuntimeClass(obj)];
  },
  key: podKey,
  replace(state, items) {
    state.trackPods();
    for (const [key, rc] of items) state.setPod(key, rc);
  },
  upsert: (state, [key, rc]) => state.setPod(key, rc),
  remove: (state, key) => state.setPod(key, undefined),
};

const runtimeClasses: KindStore<RuntimeClassInfo> = {
  reduce: leanRuntimeClass,
  key: nameOf,
  invalid: 'a RuntimeClass has no metadata.name or no handler',
  replace: (state, items) => state.replaceRuntimeClasses(items),
  upsert: (state, rc) => state.upsertRuntimeClass(rc),
  remove: (state, name) => state.deleteRuntimeClass(name),
};

const nodes: KindStore<NodeInfo> = {
  reduce: leanNode,
  key: nameOf,
  invalid: 'a Node has no metadata.name',
  replace: (state, items) => state.replaceNodes(items),
  upsert: (state, node) => state.upsertNode(node),
  remove: (state, name) => state.deleteNode(name),
};

export const STORES: { readonly [K in WatchedKind]: KindStore<unknown> } = { Pod: pods, RuntimeClass: runtimeClasses, Node: nodes };
