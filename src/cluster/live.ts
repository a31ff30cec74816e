/**
 * The live source: list (paginated) and watch Nodes, RuntimeClasses and Pods, reducing every
 * object to its lean record on arrival (lean.ts) and keeping it in a MemoryState.
 *
 * Why not @kubernetes/client-node's informer: it keeps every full object in its cache and has no
 * transform hook and no indexers. A Node with status.images and 30 labels is tens of kilobytes; at
 * a few thousand nodes that is the memory blow-up Gatekeeper and Kyverno users reported. Here a list
 * page is reduced and dropped before the next one is fetched, and watch events are reduced as they
 * arrive. Credentials come from kubeconfig.ts (client-node only for exotic kubeconfigs). The
 * library's Watch is not used either: it hands out its abort controller only once response headers
 * arrive (a stalled API server makes shutdown hang) and its own request timeout is overwritten;
 * the watch stream here is aborted at any point and has an idle timeout.
 *
 * Each resource runs its own loop: list → watch from the list's resourceVersion (with bookmarks,
 * so reconnects resume without a relist) → on "410 Gone" relist → on errors reconnect with
 * exponential backoff.
 */
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createInterface } from 'node:readline';
import { loadKubeConfig, type ApiAccess } from './kubeconfig.js';
import { MemoryState } from './memory-state.js';
import { isRecord, leanNode, leanRuntimeClass, podRuntimeClass, str } from './lean.js';
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
}

export { loadKubeConfig };

class GoneError extends Error {}

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * GET a JSON document from the API server. The body is decoded to a string as it arrives: a list
 * page of nodes is megabytes, and collecting Buffers to concatenate and decode at the end kept
 * three copies alive and left tens of MiB in the malloc heap (bench/results.md).
 */
async function getJson(api: ApiAccess, path: string, signal: AbortSignal): Promise<unknown> {
  const url = new URL(api.server + path);
  const opts = await api.requestOptions();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ...opts, signal }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode === 410) return reject(new GoneError(`410 Gone: ${path}`));
        if (res.statusCode !== 200) return reject(new HttpError(res.statusCode ?? 0, `GET ${path}: HTTP ${res.statusCode}: ${body.slice(0, 300)}`));
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(new Error(`GET ${path}: invalid JSON: ${(err as Error).message}`));
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * List `path` page by page, handing each item to `onItem` before the next page is fetched (so full
 * objects never accumulate). Resolves with the list's resourceVersion.
 */
export async function listPages(
  api: ApiAccess,
  path: string,
  pageSize: number,
  signal: AbortSignal,
  onItem: (item: unknown) => void,
): Promise<string | undefined> {
  let cont: string | undefined;
  let rv: string | undefined;
  do {
    const q = new URLSearchParams({ limit: String(pageSize) });
    if (cont !== undefined) q.set('continue', cont);
    const page = await getJson(api, `${path}?${q}`, signal);
    if (!isRecord(page) || !Array.isArray(page['items'])) throw new Error(`${path}: list without items`);
    for (const item of page['items']) onItem(item);
    const meta = isRecord(page['metadata']) ? page['metadata'] : {};
    cont = str(meta['continue']) || undefined;
    rv = str(meta['resourceVersion']);
  } while (cont !== undefined);
  return rv;
}

/** Open a streaming GET (a watch); resolves with the response once headers arrive. */
async function openStream(api: ApiAccess, path: string, signal: AbortSignal): Promise<IncomingMessage> {
  const url = new URL(api.server + path);
  const opts = await api.requestOptions();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ...opts, signal }, resolve);
    req.on('error', reject);
    req.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
    req.end();
  });
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

interface Reducer<T = unknown> {
  /** a human name for logs: nodes, runtimeclasses, pods */
  readonly name: string;
  readonly path: string;
  /** the lean record of one listed object (undefined: skip it) */
  reduce(obj: unknown): T | undefined;
  /** replace everything with a fresh list of lean records (called once per completed list) */
  reset(items: T[]): void;
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: unknown): void;
}

/** One resource's list+watch loop. */
class ResourceLoop {
  private resourceVersion: string | undefined;
  private firstSync: Promise<void>;
  private resolveFirstSync!: () => void;
  synced = false;
  relists = 0;

  constructor(
    private readonly kc: ApiAccess,
    private readonly reducer: Reducer<unknown>,
    private readonly opts: Required<Pick<LiveOptions, 'pageSize' | 'watchTimeoutSeconds'>>,
    private readonly onEvent: () => void,
    private readonly log: (line: string) => void,
    private readonly signal: AbortSignal,
  ) {
    this.firstSync = new Promise((r) => (this.resolveFirstSync = r));
  }

  whenSynced(): Promise<void> {
    return this.firstSync;
  }

  async run(): Promise<void> {
    let backoff = 500;
    while (!this.signal.aborted) {
      try {
        if (this.resourceVersion === undefined) await this.list();
        const sawEvents = await this.watch();
        if (sawEvents) backoff = 500;
      } catch (err) {
        if (this.signal.aborted) return;
        if (err instanceof GoneError) {
          this.log(`${this.reducer.name}: resourceVersion ${this.resourceVersion ?? ''} is too old (410 Gone); relisting`);
          this.resourceVersion = undefined;
          continue;
        }
        this.log(`${this.reducer.name}: ${(err as Error).message}; retrying in ${(backoff / 1000).toFixed(1)}s`);
        await sleep(backoff * (0.8 + Math.random() * 0.4), this.signal);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  private async list(): Promise<void> {
    const started = Date.now();
    const objects: unknown[] = [];
    const rv = await listPages(this.kc, this.reducer.path, this.opts.pageSize, this.signal, (item) => {
      const lean = this.reducer.reduce(item);
      if (lean !== undefined) objects.push(lean);
    });
    this.reducer.reset(objects);
    this.resourceVersion = rv;
    this.relists++;
    this.onEvent();
    this.log(`${this.reducer.name}: listed ${objects.length} in ${Date.now() - started} ms (resourceVersion ${rv ?? '?'})`);
    if (!this.synced) {
      this.synced = true;
      this.resolveFirstSync();
    }
  }

  /** Watch from the current resourceVersion until the stream ends. Returns whether any event came. */
  private watch(): Promise<boolean> {
    return new Promise((resolve, reject) => {
      let saw = false;
      let gone = false;
      let settled = false;
      const ac = new AbortController();
      let response: IncomingMessage | undefined;
      // before the response: abort the request; after: destroy the response quietly (aborting then
      // would raise an AbortError on a stream whose end was already handled)
      const close = (): void => {
        if (response === undefined) ac.abort();
        else response.destroy();
      };
      const onStop = (): void => close();
      this.signal.addEventListener('abort', onStop, { once: true });
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        this.signal.removeEventListener('abort', onStop);
        close();
        if (gone) reject(new GoneError('410 Gone in watch'));
        else if (err !== undefined && !this.signal.aborted) reject(err);
        else resolve(saw);
      };
      // the server ends the watch after timeoutSeconds and sends bookmarks meanwhile: silence well
      // past that means a dead connection, so give up on it and reconnect
      const timeout = this.opts.watchTimeoutSeconds + Math.floor(Math.random() * 60);
      let idle = setTimeout(() => finish(new Error(`watch ${this.reducer.path}: no data for ${timeout + 30}s`)), (timeout + 30) * 1000);
      const q = new URLSearchParams({ watch: 'true', allowWatchBookmarks: 'true', timeoutSeconds: String(timeout) });
      if (this.resourceVersion !== undefined) q.set('resourceVersion', this.resourceVersion);
      openStream(this.kc, `${this.reducer.path}?${q}`, ac.signal).then(
        (res) => {
          response = res;
          if (settled) return void res.destroy();
          if (res.statusCode !== 200) {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => {
              if (res.statusCode === 410) gone = true;
              finish(new HttpError(res.statusCode ?? 0, `watch ${this.reducer.path}: HTTP ${res.statusCode}: ${body.slice(0, 300)}`));
            });
            res.on('error', (e) => finish(e));
            return;
          }
          const lines = createInterface({ input: res, crlfDelay: Infinity });
          lines.on('line', (line) => {
            clearTimeout(idle);
            idle = setTimeout(() => finish(new Error(`watch ${this.reducer.path}: no data for ${timeout + 30}s`)), (timeout + 30) * 1000);
            let ev: unknown;
            try {
              ev = JSON.parse(line);
            } catch {
              return finish(new Error(`watch ${this.reducer.path}: a line that is not JSON`));
            }
            if (!isRecord(ev)) return;
            saw = true;
            this.event(str(ev['type']) ?? '', ev['object'], () => {
              gone = true;
              finish();
            });
          });
          // readline re-emits the response's errors (ECONNRESET on abort or restart): handle both
          lines.on('error', (e) => finish(e));
          res.on('end', () => finish());
          res.on('close', () => finish());
          res.on('error', (e) => finish(e));
        },
        (err: Error) => finish(err),
      );
    });
  }

  private event(type: string, obj: unknown, onGone: () => void): void {
    const rv = isRecord(obj) && isRecord(obj['metadata']) ? str(obj['metadata']['resourceVersion']) : undefined;
    if (type === 'BOOKMARK') {
      if (rv !== undefined) this.resourceVersion = rv;
      this.onEvent();
      return;
    }
    if (type === 'ERROR') {
      // a Status object; 410 means our resourceVersion was compacted away: relist
      if (isRecord(obj) && obj['code'] === 410) onGone();
      else this.log(`${this.reducer.name}: watch error ${JSON.stringify(obj).slice(0, 200)}`);
      return;
    }
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
    this.reducer.apply(type, obj);
    if (rv !== undefined) this.resourceVersion = rv;
    this.onEvent();
  }
}

export interface LiveState {
  state: MemoryState;
  /** resolves after the first full list of every resource */
  synced: Promise<void>;
  stop(): Promise<void>;
  relists(): number;
}

function metadataName(obj: unknown): string | undefined {
  return isRecord(obj) && isRecord(obj['metadata']) ? str(obj['metadata']['name']) : undefined;
}

/** A cluster-scoped kind kept by name: lean records replaced on list, upserted or deleted on events. */
function namedReducer<T>(
  name: string,
  path: string,
  reduce: (obj: unknown) => T | undefined,
  store: { replace(items: T[]): void; upsert(item: T): void; remove(name: string): void },
): Reducer<T> {
  return {
    name,
    path,
    reduce,
    reset: (items) => store.replace(items),
    apply(type, obj) {
      if (type === 'DELETED') {
        const key = metadataName(obj);
        if (key !== undefined) store.remove(key);
        return;
      }
      const item = reduce(obj);
      if (item !== undefined) store.upsert(item);
    },
  };
}

function nodeReducer(state: MemoryState): Reducer<NodeInfo> {
  return namedReducer('nodes', '/api/v1/nodes', leanNode, {
    replace: (nodes) => state.replaceNodes(nodes),
    upsert: (node) => state.upsertNode(node),
    remove: (name) => state.deleteNode(name),
  });
}

function runtimeClassReducer(state: MemoryState): Reducer<RuntimeClassInfo> {
  return namedReducer('runtimeclasses', '/apis/node.k8s.io/v1/runtimeclasses', leanRuntimeClass, {
    replace: (classes) => state.replaceRuntimeClasses(classes),
    upsert: (rc) => state.upsertRuntimeClass(rc),
    remove: (name) => state.deleteRuntimeClass(name),
  });
}

function podKey(obj: unknown): string | undefined {
  if (!isRecord(obj) || !isRecord(obj['metadata'])) return undefined;
  const name = str(obj['metadata']['name']);
  return name === undefined ? undefined : `${str(obj['metadata']['namespace']) ?? ''}/${name}`;
}

function podReducer(state: MemoryState): Reducer<[string, string | undefined]> {
  return {
    name: 'pods',
    path: '/api/v1/pods',
    reduce(obj) {
      const key = podKey(obj);
      return key === undefined ? undefined : [key, podRuntimeClass(obj)];
    },
    reset(pods) {
      state.trackPods();
      for (const [key, rc] of pods) state.setPod(key, rc);
    },
    apply(type, obj) {
      const key = podKey(obj);
      if (key === undefined) return;
      state.setPod(key, type === 'DELETED' ? undefined : podRuntimeClass(obj));
    },
  };
}

/**
 * Start watching. Returns at once; `synced` resolves after the first full list of each resource,
 * and the state reports synced from then on.
 */
export function startLiveState(opts: LiveOptions = {}): LiveState {
  const kc = opts.kubeconfig ?? loadKubeConfig();
  const log = opts.log ?? (() => {});
  const state = new MemoryState('live', 'live cache: waiting for the first list');
  const abort = new AbortController();
  const loopOpts = { pageSize: opts.pageSize ?? 100, watchTimeoutSeconds: opts.watchTimeoutSeconds ?? 240 };
  const reducers: Reducer<unknown>[] = [nodeReducer(state), runtimeClassReducer(state)];
  if (opts.trackPods ?? true) reducers.push(podReducer(state));
  const loops = reducers.map((r) => new ResourceLoop(kc, r, loopOpts, () => state.touch(), log, abort.signal));
  const running = loops.map((l) => l.run());
  const server = kc.server;
  const synced = Promise.all(loops.map((l) => l.whenSynced())).then(() => {
    state.markSynced(true, `live cache of ${server}: ${state.nodeCount()} nodes, ${state.listRuntimeClasses().length} RuntimeClasses`);
  });
  return {
    state,
    synced,
    relists: () => loops.reduce((n, l) => n + l.relists, 0),
    async stop() {
      abort.abort();
      await Promise.allSettled(running);
    },
  };
}
