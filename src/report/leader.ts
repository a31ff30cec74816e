/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's tools/leaderelection does it,
 * so that one `serve` replica writes reports and Events:
 *
 * - a candidate reads the Lease; if it is absent it creates it; if another holder's record has not
 *   changed for leaseDuration (measured on the local clock from when this process last saw it
 *   change — never comparing clocks across machines) it takes it over, with leaseTransitions + 1;
 * - every write of the Lease is an update guarded by resourceVersion: of two candidates, one wins
 *   and the other gets 409 Conflict;
 * - the leader renews every retryPeriod; when renewal has not succeeded for renewDeadline it stops
 *   leading (and stops writing) before its lease can expire for the others;
 * - on shutdown it releases: holder '' and leaseDurationSeconds 1, so a standby takes over at its
 *   next retry instead of waiting out the lease.
 *
 * Unlike client-go's RunOrDie, losing the lease does not end the process: the webhook keeps
 * answering admission requests and the replica becomes a candidate again.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { isRecord, str } from '../objects/json.js';
import type { KubeClient } from './http.js';

export interface LeaderOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  /** default: $POD_NAME or the host name, plus a random suffix (two processes on one host differ) */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  log?: (line: string) => void;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
}

export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** metav1.MicroTime: RFC 3339 with six fractional digits */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function defaultIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return `${env['POD_NAME'] ?? hostname()}_${randomUUID().slice(0, 8)}`;
}

const realSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export class LeaderElector {
  readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly clock: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly log: (line: string) => void;
  private readonly path: string;
  private observed: LeaseRecord = {};
  private observedRaw = '';
  private observedTime = 0;
  private resourceVersion: string | undefined;
  private leading = false;
  private lastRenew = 0;

  constructor(private readonly opts: LeaderOptions) {
    this.identity = opts.identity ?? defaultIdentity();
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    if (!(this.leaseDurationMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryPeriodMs && this.retryPeriodMs > 0)) {
      throw new Error('leader election needs leaseDuration > renewDeadline > retryPeriod > 0');
    }
    this.clock = opts.clock ?? Date.now;
    this.sleep = opts.sleep ?? realSleep;
    // the same failure every retryPeriod is logged once, until something else happens
    let lastLine = '';
    const log = opts.log ?? (() => {});
    this.log = (line) => {
      if (line !== lastLine) log(line);
      lastLine = line;
    };
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(opts.namespace)}/leases/${encodeURIComponent(opts.name)}`;
  }

  /** leading, and the last successful renewal is recent enough that no one else can hold the lease */
  isLeader(): boolean {
    return this.leading && this.clock() - this.lastRenew < this.renewDeadlineMs;
  }

  /** the holder this process last saw ('' when none) */
  leader(): string {
    return this.observed.holderIdentity ?? '';
  }

  private setObserved(record: LeaseRecord, rv: string | undefined): void {
    this.observed = record;
    this.observedRaw = JSON.stringify(record);
    this.observedTime = this.clock();
    this.resourceVersion = rv;
  }

  private leaseValid(now: number): boolean {
    return this.observedTime + (this.observed.leaseDurationSeconds ?? 0) * 1000 > now;
  }

  private body(record: LeaseRecord, rv?: string): unknown {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.opts.name, namespace: this.opts.namespace, ...(rv === undefined ? {} : { resourceVersion: rv }) },
      spec: record,
    };
  }

  private async update(record: LeaseRecord, rv: string | undefined): Promise<boolean> {
    const r = await this.opts.client.request('PUT', this.path, this.body(record, rv));
    if (r.status !== 200) {
      this.log(`lease ${this.opts.namespace}/${this.opts.name}: update: HTTP ${r.status}`);
      return false;
    }
    this.setObserved(record, isRecord(r.body) && isRecord(r.body['metadata']) ? str(r.body['metadata']['resourceVersion']) : undefined);
    return true;
  }

  /** One attempt to acquire or renew (client-go's tryAcquireOrRenew). */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock();
    const record: LeaseRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    const mine = this.observed.holderIdentity === this.identity;
    // fast path: the leader updates optimistically from the record it last wrote
    if (mine && this.leaseValid(now)) {
      if (
        await this.update(
          { ...record, acquireTime: this.observed.acquireTime, leaseTransitions: this.observed.leaseTransitions ?? 0 },
          this.resourceVersion,
        )
      )
        return true;
    }
    const got = await this.opts.client.request('GET', this.path);
    if (got.status === 404) {
      const r = await this.opts.client.request(
        'POST',
        `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.opts.namespace)}/leases`,
        this.body(record),
      );
      if (r.status !== 201 && r.status !== 200) return false;
      this.setObserved(record, isRecord(r.body) && isRecord(r.body['metadata']) ? str(r.body['metadata']['resourceVersion']) : undefined);
      return true;
    }
    if (got.status !== 200 || !isRecord(got.body)) {
      this.log(`lease ${this.opts.namespace}/${this.opts.name}: get: HTTP ${got.status}`);
      return false;
    }
    const spec = (isRecord(got.body['spec']) ? got.body['spec'] : {}) as LeaseRecord;
    const rv = isRecord(got.body['metadata']) ? str(got.body['metadata']['resourceVersion']) : undefined;
    const current: LeaseRecord = {
      holderIdentity: spec.holderIdentity ?? '',
      leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
      ...(spec.acquireTime === undefined ? {} : { acquireTime: spec.acquireTime }),
      ...(spec.renewTime === undefined ? {} : { renewTime: spec.renewTime }),
      leaseTransitions: spec.leaseTransitions ?? 0,
    };
    if (JSON.stringify(current) !== this.observedRaw) this.setObserved(current, rv);
    else this.resourceVersion = rv;
    if (current.holderIdentity !== '' && current.holderIdentity !== this.identity && this.leaseValid(now)) return false;
    const next =
      current.holderIdentity === this.identity
        ? { ...record, acquireTime: current.acquireTime, leaseTransitions: current.leaseTransitions ?? 0 }
        : { ...record, leaseTransitions: (current.leaseTransitions ?? 0) + 1 };
    return this.update(next, rv);
  }

  /** Give the lease up (holder '', 1 s), when this process holds it. */
  async release(): Promise<void> {
    if (this.observed.holderIdentity !== this.identity) return;
    this.leading = false;
    const now = microTime(this.clock());
    await this.update(
      {
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: this.observed.leaseTransitions ?? 0,
      },
      this.resourceVersion,
    ).catch(() => false);
  }

  private async attempt(): Promise<boolean> {
    try {
      return await this.tryAcquireOrRenew();
    } catch (err) {
      this.log(`lease ${this.opts.namespace}/${this.opts.name}: ${(err as Error).message}`);
      return false;
    }
  }

  /** Campaign, lead, renew; after losing the lease, campaign again. Releases the lease when `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      // acquire: retry every retryPeriod with up to 20% jitter, like wait.JitterUntil
      while (!signal.aborted && !(await this.attempt())) await this.sleep(this.retryPeriodMs * (1 + Math.random() * 0.2), signal);
      if (signal.aborted) break;
      this.leading = true;
      this.lastRenew = this.clock();
      this.log(
        `lease ${this.opts.namespace}/${this.opts.name}: ${this.identity} is the leader (transitions: ${this.observed.leaseTransitions ?? 0})`,
      );
      this.opts.onStartedLeading?.();
      // renew: every retryPeriod; give up when no renewal succeeded within renewDeadline
      while (!signal.aborted) {
        await this.sleep(this.retryPeriodMs, signal);
        if (signal.aborted) break;
        let renewed = false;
        const deadline = this.clock() + this.renewDeadlineMs;
        while (!signal.aborted && this.clock() < deadline) {
          if ((renewed = await this.attempt())) break;
          await this.sleep(this.retryPeriodMs, signal);
        }
        if (!renewed) break;
        this.lastRenew = this.clock();
      }
      const wasLeading = this.leading;
      if (signal.aborted) await this.release();
      this.leading = false;
      if (wasLeading) {
        this.log(`lease ${this.opts.namespace}/${this.opts.name}: ${this.identity} stopped leading`);
        this.opts.onStoppedLeading?.();
      }
    }
  }
}
