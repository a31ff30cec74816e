/**
 * The live source: list (paginated) and watch every kind the kinds registry marks as watched
 * (Nodes, RuntimeClasses, Pods), reducing each object to its lean record on arrival (stores.ts)
 * and keeping it in a MemoryState. The transport is api.ts; the list+watch loop is reflector.ts.
 *
 * Why not @kubernetes/client-node's informer: it keeps every full object in its cache and has no
 * transform hook and no indexers. A Node with status.images and 30 labels is tens of kilobytes; at
 * a few thousand nodes that is the memory blow-up Gatekeeper and Kyverno users reported. Here a list
 * page is reduced and dropped before the next one is fetched, and watch events are reduced as they
 * arrive.
 */
import { KINDS, kindNamed, listPath, type WatchedKind } from '../kinds/registry.js';
import { createCompactor, type Compactor } from './compact.js';
import { loadKubeConfig, type ApiAccess } from './kubeconfig.js';
import { MemoryState } from './memory-state.js';
import { ResourceLoop, type Reducer } from './reflector.js';
import { STORES, type KindStore } from './stores.js';
import type { NodeInfo, RuntimeClassInfo } from './types.js';

export interface LiveOptions {
  /** API access (loadKubeConfig); default: in-cluster, then $KUBECONFIG */
  kubeconfig?: ApiAccess;
  /** count pods per RuntimeClass (for the node-change and delete rules); default true */
  trackPods?: boolean;
  /** list page size; default 100 (a page of Nodes is ~1.7 MB of JSON: small pages keep the transient peak, and the memory the process keeps after it, low) */
  pageSize?: number;
  log?: (line: string) => void;
  /** server-side watch timeout in seconds (the API server ends the watch; we resume); default 240-300 */
  watchTimeoutSeconds?: number;
  /**
   * A Node or RuntimeClass was listed (no records) or changed by a watch event (its lean records
   * before and after; undefined when absent). For the background audit (src/report/).
   */
  onChange?: (change: NodeChange | RuntimeClassChange) => void;
}

export interface NodeChange {
  kind: 'Node';
  before?: NodeInfo;
  after?: NodeInfo;
}

export interface RuntimeClassChange {
  kind: 'RuntimeClass';
  before?: RuntimeClassInfo;
  after?: RuntimeClassInfo;
}

export { loadKubeConfig };

export interface LiveState {
  state: MemoryState;
  /**
   * resolves after the first full list of Nodes and RuntimeClasses: every decision about pods and
   * workloads can be made from then on. The Pod list does not hold it up (at 150,000 pods it takes
   * minutes, bench/results.md); until it completes, podsUsingRuntimeClass() answers undefined, as
   * with trackPods: false.
   */
  synced: Promise<void>;
  /** resolves after the first full list of Pods (at once when pods are not tracked) */
  podsCounted: Promise<void>;
  stop(): Promise<void>;
  relists(): number;
}

/** A watched kind's reflector reducer: its store's lean records, replaced on list, upserted or removed on events. */
function reducerOf(
  kind: WatchedKind,
  store: KindStore<unknown>,
  state: MemoryState,
  compactor: Compactor,
  onChange?: LiveOptions['onChange'],
): Reducer<unknown> {
  const k = kindNamed(kind);
  const lookup = (key: string | undefined): unknown =>
    key === undefined ? undefined : kind === 'Node' ? state.getNode(key) : kind === 'RuntimeClass' ? state.getRuntimeClass(key) : undefined;
  const notify =
    kind === 'Pod' || onChange === undefined
      ? undefined
      : (before?: unknown, after?: unknown): void => onChange({ kind, before, after } as NodeChange | RuntimeClassChange);
  return {
    name: k.resource,
    path: listPath(k),
    kind: k,
    reduce: (obj) => store.reduce(obj),
    reset: (items) => {
      store.replace(state, items);
      notify?.();
      compactor.listed();
    },
    apply(type, obj) {
      const key = store.key(obj);
      const before = notify === undefined ? undefined : lookup(key);
      if (type === 'DELETED') {
        if (key !== undefined) store.remove(state, key);
      } else {
        const item = store.reduce(obj);
        if (item !== undefined) store.upsert(state, item);
      }
      notify?.(before, lookup(key));
    },
  };
}

/**
 * Start watching. Returns at once; `synced` resolves after the first full list of each resource,
 * and the state reports synced from then on. A list or watch the API server refuses (401/403) is
 * reported in the state's status().problems, one per resource, until it is allowed again.
 */
export function startLiveState(opts: LiveOptions = {}): LiveState {
  const kc = opts.kubeconfig ?? loadKubeConfig();
  const log = opts.log ?? (() => {});
  const state = new MemoryState('live', 'live cache: waiting for the first list');
  const abort = new AbortController();
  const loopOpts = { pageSize: opts.pageSize ?? 100, watchTimeoutSeconds: opts.watchTimeoutSeconds ?? 240 };
  const watched = KINDS.filter((k) => k.watched).map((k) => k.kind as WatchedKind);
  const compactor = createCompactor();
  const reducers = watched
    .filter((kind) => kind !== 'Pod' || (opts.trackPods ?? true))
    .map((kind) => reducerOf(kind, STORES[kind], state, compactor, opts.onChange));
  const loops = reducers.map(
    (r) =>
      new ResourceLoop(
        kc,
        r,
        loopOpts,
        () => state.touch(),
        log,
        abort.signal,
        (problem) => state.setProblem(r.name, problem),
      ),
  );
  const running = loops.map((l) => l.run());
  const server = kc.server;
  const isPods = (i: number): boolean => reducers[i]!.name === 'pods';
  const synced = Promise.all(loops.filter((_, i) => !isPods(i)).map((l) => l.whenSynced())).then(() => {
    state.markSynced(true, `live cache of ${server}: ${state.nodeCount()} nodes, ${state.listRuntimeClasses().length} RuntimeClasses`);
  });
  const podsCounted = Promise.all(loops.filter((_, i) => isPods(i)).map((l) => l.whenSynced())).then(() => undefined);
  return {
    state,
    synced,
    podsCounted,
    relists: () => loops.reduce((n, l) => n + l.relists, 0),
    async stop() {
      compactor.stop();
      abort.abort();
      await Promise.allSettled(running);
    },
  };
}
