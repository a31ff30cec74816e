/**
 * The audit's findings as policy reports: `wgpolicyk8s.io/v1alpha2` PolicyReport and
 * ClusterPolicyReport (what Policy Reporter and most producers read today) or their successor
 * `openreports.io/v1alpha1` Report and ClusterReport. Both CRDs are in deploy/crds/, copied from the
 * projects' Go modules; test/unit/report/crd-schema.test.ts validates what this file builds
 * against their schemas, with unknown fields forbidden.
 *
 * Mapping (documented in the README):
 * - one report per namespace that has findings, plus one cluster-scoped report for cluster-scoped
 *   objects (RuntimeClasses); every one is named `wasmgate` and labelled
 *   app.kubernetes.io/managed-by=wasmgate, and the writer only replaces or deletes reports that
 *   carry that label;
 * - policy `wasmgate`, rule = the rule id (the key that sets its mode in the config);
 * - result: enforce → fail (scored), warn → warn, audit → warn as well (the admin asked to record
 *   the finding without acting on it; `skip` would say the rule did not run, which is false);
 * - severity: enforce → high, warn → medium, audit → low; properties.mode keeps the mode;
 * - message: wasmgate's own message, which ends with its fix; source: wasmgate;
 * - timestamp: when the finding was first seen (kept across passes, so an unchanged report is not
 *   rewritten).
 */
import type { AuditFinding } from '../audit/audit.js';
import type { Mode } from '../config/config.js';

export type ReportApi = 'wgpolicyk8s.io/v1alpha2' | 'openreports.io/v1alpha1';
export const REPORT_APIS: readonly ReportApi[] = ['wgpolicyk8s.io/v1alpha2', 'openreports.io/v1alpha1'];

export const REPORT_NAME = 'wasmgate';
export const SOURCE = 'wasmgate';
export const POLICY = 'wasmgate';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'wasmgate';
/** results kept per report: a report is one etcd object (1.5 MiB at most); the strictest come first */
export const MAX_RESULTS = 1000;

export interface ReportKinds {
  group: string;
  version: string;
  namespaced: { kind: string; plural: string };
  cluster: { kind: string; plural: string };
}

export function reportKinds(api: ReportApi): ReportKinds {
  return api === 'wgpolicyk8s.io/v1alpha2'
    ? {
        group: 'wgpolicyk8s.io',
        version: 'v1alpha2',
        namespaced: { kind: 'PolicyReport', plural: 'policyreports' },
        cluster: { kind: 'ClusterPolicyReport', plural: 'clusterpolicyreports' },
      }
    : {
        group: 'openreports.io',
        version: 'v1alpha1',
        namespaced: { kind: 'Report', plural: 'reports' },
        cluster: { kind: 'ClusterReport', plural: 'clusterreports' },
      };
}

/** A finding as the report needs it: the audit's, plus the object's apiVersion and uid when known. */
export interface ReportableFinding extends AuditFinding {
  apiVersion?: string;
  uid?: string;
}

export interface Timestamp {
  seconds: number;
  nanos: number;
}

export interface ObjectReference {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

export interface ReportResult {
  source: string;
  policy: string;
  rule: string;
  category: string;
  result: 'fail' | 'warn';
  scored?: boolean;
  severity: 'high' | 'medium' | 'low';
  message: string;
  properties: Record<string, string>;
  resources: ObjectReference[];
  timestamp: Timestamp;
}

export interface ReportSummary {
  pass: number;
  fail: number;
  warn: number;
  error: number;
  skip: number;
}

export interface PolicyReportObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels: Record<string, string>; resourceVersion?: string };
  source?: string;
  summary: ReportSummary;
  results: ReportResult[];
}

/** apiVersion of the kinds the audit reports on (findings from a kinds registry may carry their own). */
const API_VERSIONS: Readonly<Record<string, string>> = {
  Pod: 'v1',
  PodTemplate: 'v1',
  ReplicationController: 'v1',
  Node: 'v1',
  Deployment: 'apps/v1',
  ReplicaSet: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  RuntimeClass: 'node.k8s.io/v1',
};
const CLUSTER_SCOPED = new Set(['RuntimeClass', 'Node']);

export const CATEGORY = 'WebAssembly workloads';
const RESULT: Record<Mode, ReportResult['result']> = { enforce: 'fail', warn: 'warn', audit: 'warn' };
const SEVERITY: Record<Mode, ReportResult['severity']> = { enforce: 'high', warn: 'medium', audit: 'low' };
const ORDER: Record<Mode, number> = { enforce: 0, warn: 1, audit: 2 };

export function timestampOf(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** The namespace a finding is reported in; undefined: the cluster-scoped report. */
export function reportNamespace(f: AuditFinding): string | undefined {
  return CLUSTER_SCOPED.has(f.kind) ? undefined : (f.namespace ?? 'default');
}

/** Identity of one result across passes: same rule, object and message → same result. */
export function resultKey(r: Pick<ReportResult, 'rule' | 'message' | 'resources'>): string {
  const o = r.resources[0];
  return JSON.stringify([r.rule, o?.kind, o?.namespace, o?.name, r.message]);
}

export function toResult(f: ReportableFinding, timestamp: Timestamp): ReportResult {
  const ns = reportNamespace(f);
  const ref: ObjectReference = {
    apiVersion: f.apiVersion ?? API_VERSIONS[f.kind] ?? 'v1',
    kind: f.kind,
    name: f.name,
    ...(ns === undefined ? {} : { namespace: ns }),
    ...(f.uid === undefined ? {} : { uid: f.uid }),
  };
  return {
    source: SOURCE,
    policy: POLICY,
    rule: f.rule,
    category: CATEGORY,
    result: RESULT[f.mode],
    ...(f.mode === 'enforce' ? { scored: true } : {}),
    severity: SEVERITY[f.mode],
    message: f.message,
    properties: { mode: f.mode },
    resources: [ref],
    timestamp,
  };
}

export function summarize(results: readonly ReportResult[]): ReportSummary {
  const s: ReportSummary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of results) s[r.result]++;
  return s;
}

export interface BuildOptions {
  api: ReportApi;
  /** epoch ms for results seen for the first time */
  now: number;
  /** first-seen timestamps of results already reported, by resultKey */
  firstSeen?: ReadonlyMap<string, Timestamp>;
  maxResults?: number;
}

export interface BuiltReports {
  reports: PolicyReportObject[];
  /** results left out because a report reached maxResults, by namespace ('' = cluster) */
  truncated: Map<string, number>;
}

function compareFindings(a: AuditFinding, b: AuditFinding): number {
  return (
    ORDER[a.mode] - ORDER[b.mode] ||
    a.kind.localeCompare(b.kind) ||
    a.name.localeCompare(b.name) ||
    a.rule.localeCompare(b.rule) ||
    a.message.localeCompare(b.message)
  );
}

/** One report per namespace with findings, plus the cluster report when a cluster-scoped object has some; sorted by namespace. */
export function buildReports(findings: readonly ReportableFinding[], opts: BuildOptions): BuiltReports {
  const kinds = reportKinds(opts.api);
  const max = opts.maxResults ?? MAX_RESULTS;
  const byNs = new Map<string, ReportableFinding[]>();
  for (const f of findings) {
    const ns = reportNamespace(f) ?? '';
    let list = byNs.get(ns);
    if (list === undefined) byNs.set(ns, (list = []));
    list.push(f);
  }
  const now = timestampOf(opts.now);
  const truncated = new Map<string, number>();
  const reports: PolicyReportObject[] = [];
  for (const ns of [...byNs.keys()].sort()) {
    const sorted = byNs.get(ns)!.sort(compareFindings);
    const seen = new Set<string>();
    const results: ReportResult[] = [];
    for (const f of sorted) {
      const draft = toResult(f, now);
      const key = resultKey(draft);
      if (seen.has(key)) continue;
      seen.add(key);
      if (results.length === max) {
        truncated.set(ns, (truncated.get(ns) ?? 0) + 1);
        continue;
      }
      const first = opts.firstSeen?.get(key);
      results.push(first === undefined ? draft : { ...draft, timestamp: first });
    }
    const kind = ns === '' ? kinds.cluster.kind : kinds.namespaced.kind;
    reports.push({
      apiVersion: opts.api,
      kind,
      metadata: { name: REPORT_NAME, ...(ns === '' ? {} : { namespace: ns }), labels: { [MANAGED_BY_LABEL]: MANAGED_BY } },
      ...(opts.api === 'openreports.io/v1alpha1' ? { source: SOURCE } : {}),
      summary: summarize(results),
      results,
    });
  }
  return { reports, truncated };
}

/** First-seen timestamps of the results in reports read back from the cluster. */
export function firstSeenOf(existing: Iterable<{ results?: unknown }>): Map<string, Timestamp> {
  const out = new Map<string, Timestamp>();
  for (const report of existing) {
    if (!Array.isArray(report.results)) continue;
    for (const r of report.results as ReportResult[]) {
      if (r === null || typeof r !== 'object' || !Array.isArray(r.resources) || typeof r.timestamp?.seconds !== 'number') continue;
      out.set(resultKey(r), { seconds: r.timestamp.seconds, nanos: typeof r.timestamp.nanos === 'number' ? r.timestamp.nanos : 0 });
    }
  }
  return out;
}
