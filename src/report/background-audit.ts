/**
 * The background audit of `serve`, wired: a Lease elects the one replica that writes; its
 * scheduler runs a streamed pass (Nodes and RuntimeClasses from the live cache, Pods and workloads
 * listed page by page) every interval and soon after a verdict-changing Node or RuntimeClass
 * change; each pass updates the audit metrics, writes the reports and records Warning Events.
 * Standby replicas keep the Lease under watch and do nothing else.
 */
import type { Registry } from 'prom-client';
import { auditObjects } from '../audit/audit.js';
import { accessProblem, isAccessDenied } from '../cluster/access.js';
import { HttpError, listPages } from '../cluster/api.js';
import type { ApiAccess } from '../cluster/kubeconfig.js';
import type { NodeChange, RuntimeClassChange } from '../cluster/live.js';
import type { ClusterState } from '../cluster/types.js';
import type { Config } from '../config/config.js';
import { KINDS, apiVersionOf, listPath } from '../kinds/registry.js';
import { isRecord } from '../objects/json.js';
import { AuditScheduler, verdictSignature } from './background.js';
import { StrandTracker, recordStranding, type Stranding } from './events.js';
import { httpClient, type KubeClient } from './http.js';
import { LeaderElector, defaultIdentity } from './leader.js';
import { createAuditMetrics } from './metrics.js';
import { streamAudit, type StreamAuditResult } from './stream-audit.js';
import { chooseReportApi, writeReports, type WriteOutcome } from './writer.js';

export interface BackgroundAuditOptions {
  api: ApiAccess;
  state: ClusterState;
  config: Config;
  registry: Registry;
  log: (line: string) => void;
  /** default: defaultIdentity() */
  identity?: string;
  client?: KubeClient;
}

export interface BackgroundAudit {
  readonly identity: string;
  isLeader(): boolean;
  /** the live cache's Node/RuntimeClass changes */
  onChange(change: NodeChange | RuntimeClassChange): void;
  /** the last pass's outcome, for logs and tests */
  last(): { audit: StreamAuditResult; write?: WriteOutcome } | undefined;
  stop(): Promise<void>;
}

/** Streamed pass over a live cluster: every audited kind, owners first, one page in memory. */
export function livePass(
  api: ApiAccess,
  state: ClusterState,
  config: Config,
  pageSize: number,
  signal?: AbortSignal,
  progress?: Parameters<typeof streamAudit>[0]['progress'],
) {
  const audited = KINDS.filter((k) => k.audited);
  const byPath = new Map(audited.map((k) => [listPath(k), k]));
  return streamAudit({
    lists: audited.map((k) => [listPath(k), k.kind] as const),
    listPages: async (path, onPage) => {
      let page: unknown[] = [];
      const k = byPath.get(path)!;
      const apiVersion = apiVersionOf(k);
      try {
        await listPages(api, path, pageSize, signal ?? new AbortController().signal, (item) => {
          if (isRecord(item)) page.push({ ...item, apiVersion });
          if (page.length >= pageSize) {
            onPage(page);
            page = [];
          }
        });
      } catch (err) {
        // a refused list names the verb, the resource and the fix, not the API server's raw answer
        if (err instanceof HttpError && isAccessDenied(err.statusCode))
          throw new Error(accessProblem(k, 'list', err.statusCode, err.body), { cause: err });
        throw err;
      }
      if (page.length > 0) onPage(page);
    },
    auditPage: (objects, owners) => auditObjects(objects, state, config, owners),
    ...(progress === undefined ? {} : { progress }),
    ...(signal === undefined ? {} : { signal }),
  });
}

export function startBackgroundAudit(opts: BackgroundAuditOptions): BackgroundAudit {
  const { api, state, config, log } = opts;
  const a = config.audit;
  const client = opts.client ?? httpClient(api);
  const identity = opts.identity ?? defaultIdentity();
  const metrics = createAuditMetrics(opts.registry);
  const tracker = new StrandTracker();
  const stop = new AbortController();
  let last: { audit: StreamAuditResult; write?: WriteOutcome } | undefined;
  const le = a.leaderElection;
  const elector = new LeaderElector({
    client,
    namespace: le.namespace !== '' ? le.namespace : (process.env['POD_NAMESPACE'] ?? 'wasmgate'),
    name: le.name,
    identity,
    leaseDurationMs: le.leaseDurationSeconds * 1000,
    renewDeadlineMs: le.renewDeadlineSeconds * 1000,
    retryPeriodMs: le.retryPeriodSeconds * 1000,
    log,
    onStartedLeading: () => {
      tracker.reset();
      scheduler.trigger(); // a new leader audits at once: nothing is lost in a failover
    },
    onStoppedLeading: () => tracker.reset(),
  });

  const record = async (strandings: Stranding[]): Promise<void> => {
    if (!a.events) return;
    for (const s of strandings) {
      if (!elector.isLeader()) return;
      try {
        await recordStranding(client, s, identity);
        log(`background audit: Warning Event on RuntimeClass ${s.runtimeClass}: ${s.message}`);
      } catch (err) {
        log(`background audit: ${(err as Error).message}`);
      }
    }
  };

  const pass = async (): Promise<void> => {
    if (!elector.isLeader()) return;
    // a leader elected before the live cache's first sync audits as soon as it has synced
    while (!state.status().synced && !stop.signal.aborted) await new Promise((r) => setTimeout(r, 500));
    if (!elector.isLeader() || stop.signal.aborted) return;
    const started = Date.now();
    const audit = await livePass(api, state, config, a.pageSize, stop.signal);
    if (stop.signal.aborted) return;
    metrics.record({ findings: audit.findings, audited: audit.audited, durationMs: Date.now() - started, finishedAt: Date.now() });
    let write: WriteOutcome | undefined;
    if (a.reportApi !== 'none' && elector.isLeader()) {
      const reportApi = await chooseReportApi(client, a.reportApi);
      write = await writeReports(client, audit.findings, {
        api: reportApi,
        now: Date.now(),
        mayWrite: () => elector.isLeader() && !stop.signal.aborted,
      });
      for (const s of write.skipped) log(`background audit: ${s}`);
    }
    await record(tracker.reconcile(state, config));
    last = { audit, ...(write === undefined ? {} : { write }) };
    log(
      `background audit: ${audit.audited} objects, ${audit.findings.length} findings in ${Date.now() - started} ms` +
        (write === undefined
          ? ''
          : ` (${write.api}: ${write.created.length} created, ${write.updated.length} updated, ${write.deleted.length} deleted, ${write.unchanged} unchanged)`),
    );
  };

  const scheduler = new AuditScheduler({
    intervalMs: a.intervalSeconds * 1000,
    pass,
    signature: () => verdictSignature(state, config),
    log,
  });
  const electing = elector.run(stop.signal);
  scheduler.start();

  return {
    identity,
    isLeader: () => elector.isLeader(),
    onChange(change) {
      if (
        change.kind === 'Node' &&
        change.before !== undefined &&
        change.after !== undefined &&
        elector.isLeader() &&
        state.status().synced
      ) {
        void record(tracker.nodeChanged(change.before, change.after, state, config));
      }
      scheduler.nudge();
    },
    last: () => last,
    async stop() {
      stop.abort();
      await scheduler.stop();
      await electing;
    },
  };
}
