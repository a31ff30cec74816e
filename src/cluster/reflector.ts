/**
 * The reflector loop of one resource: list (paginated) → watch from the list's resourceVersion
 * (with bookmarks, so reconnects resume without a relist) → on "410 Gone" relist → on errors
 * reconnect with exponential backoff. What to keep of each object is the Reducer's business.
 *
 * A 401 or 403 is not one more error to retry in silence: it becomes the loop's access problem
 * (access.ts names the verb, the resource and the user), reported through `onProblem` and logged
 * once when it appears or changes and once when the verb is allowed again, not on every retry.
 */
import type { IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { isRecord, str } from '../objects/json.js';
import { resourceVersionOf } from '../objects/metadata.js';
import type { KindRecord, Verb } from '../kinds/registry.js';
import { accessDeniedLine, accessProblem, accessRestoredLine, isAccessDenied } from './access.js';
import { ERROR_BODY_LIMIT, GoneError, HttpError, listPages, openStream } from './api.js';
import type { ApiAccess } from './kubeconfig.js';

export interface LoopOptions {
  /** list page size */
  readonly pageSize: number;
  /** server-side watch timeout in seconds (the API server ends the watch; the loop resumes) */
  readonly watchTimeoutSeconds: number;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

export interface Reducer<T = unknown> {
  /** a human name for logs: nodes, runtimeclasses, pods */
  readonly name: string;
  readonly path: string;
  /** the registry's record of the kind: the resource and scope an access problem names */
  readonly kind: KindRecord;
  /** the lean record of one listed object (undefined: skip it) */
  reduce(obj: unknown): T | undefined;
  /** replace everything with a fresh list of lean records (called once per completed list) */
  reset(items: T[]): void;
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: unknown): void;
}

/** One resource's list+watch loop. */
export class ResourceLoop {
  private resourceVersion: string | undefined;
  private firstSync: Promise<void>;
  private resolveFirstSync!: () => void;
  synced = false;
  relists = 0;
  /** the refusal (401/403) the last attempt of `verb` met, until that verb succeeds again */
  private problem: { verb: Verb; text: string } | undefined;

  constructor(
    private readonly kc: ApiAccess,
    private readonly reducer: Reducer<unknown>,
    private readonly opts: LoopOptions,
    private readonly onEvent: () => void,
    private readonly log: (line: string) => void,
    private readonly signal: AbortSignal,
    /** the current access problem of this kind (undefined: none), called on every change */
    private readonly onProblem: (problem: string | undefined) => void = () => {},
  ) {
    this.firstSync = new Promise((r) => (this.resolveFirstSync = r));
  }

  whenSynced(): Promise<void> {
    return this.firstSync;
  }

  async run(): Promise<void> {
    let backoff = 500;
    while (!this.signal.aborted) {
      let verb: Verb = 'list';
      try {
        if (this.resourceVersion === undefined) await this.list();
        verb = 'watch';
        const sawEvents = await this.watch();
        if (sawEvents) backoff = 500;
      } catch (err) {
        if (this.signal.aborted) return;
        if (err instanceof GoneError) {
          this.log(`${this.reducer.name}: resourceVersion ${this.resourceVersion ?? ''} is too old (410 Gone); relisting`);
          this.resourceVersion = undefined;
          continue;
        }
        if (err instanceof HttpError && isAccessDenied(err.statusCode)) {
          this.setProblem({ verb, text: accessProblem(this.reducer.kind, verb, err.statusCode, err.body) });
        } else {
          this.log(`${this.reducer.name}: ${(err as Error).message}; retrying in ${(backoff / 1000).toFixed(1)}s`);
        }
        await sleep(backoff * (0.8 + Math.random() * 0.4), this.signal);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  /** Record a new access problem (or none), logging the change; the same problem again is not news. */
  private setProblem(next: { verb: Verb; text: string } | undefined): void {
    const before = this.problem;
    if (next?.text === before?.text) return;
    this.problem = next;
    this.log(next === undefined ? accessRestoredLine(this.reducer.kind, before!.verb) : accessDeniedLine(next.text));
    this.onProblem(next?.text);
  }

  /** `verb` succeeded: a problem with it is over. */
  private allowed(verb: Verb): void {
    if (this.problem?.verb === verb) this.setProblem(undefined);
  }

  private async list(): Promise<void> {
    const started = Date.now();
    const objects: unknown[] = [];
    const rv = await listPages(this.kc, this.reducer.path, this.opts.pageSize, this.signal, (item) => {
      const lean = this.reducer.reduce(item);
      if (lean !== undefined) objects.push(lean);
    });
    this.allowed('list');
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
            res.on('data', (c: Buffer) => {
              if (body.length < ERROR_BODY_LIMIT) body += c.toString();
            });
            res.on('end', () => {
              if (res.statusCode === 410) gone = true;
              finish(
                new HttpError(
                  res.statusCode ?? 0,
                  `watch ${this.reducer.path}: HTTP ${res.statusCode}: ${body.slice(0, 300)}`,
                  body.slice(0, ERROR_BODY_LIMIT),
                ),
              );
            });
            res.on('error', (e) => finish(e));
            return;
          }
          this.allowed('watch');
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
    const rv = resourceVersionOf(obj);
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
