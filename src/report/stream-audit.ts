/**
 * One audit pass over a live cluster with memory bounded by the list page size, not the cluster:
 * each kind is listed page by page, each page is audited and dropped before the next is fetched.
 *
 * The audit reports a controller-owned object on its owner only when the owner exists (a Pod on
 * its ReplicaSet, that on its Deployment). Streaming keeps that without holding objects: kinds are
 * listed owners first (CronJob before Job, Deployment before ReplicaSet, every controller before
 * Pod), and only the uids of objects that can own pods are kept (~100 bytes each: 10,000
 * workloads ≈ 1 MiB). An owner created between the two lists is not known yet and its child is
 * reported itself, as a listing at another moment would.
 */
import { isRecord, str } from '../objects/json.js';
import type { AuditFinding } from '../audit/audit.js';
import type { Progress } from './progress.js';

/** List order: every kind after the kinds that can own it. */
export const STREAM_ORDER: readonly string[] = [
  'CronJob',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicationController',
  'PodTemplate',
  'Job',
  'ReplicaSet',
  'Pod',
  'RuntimeClass',
];
/** kinds whose objects can be the controller of an audited object */
export const OWNER_KINDS: ReadonlySet<string> = new Set([
  'CronJob',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicationController',
  'Job',
  'ReplicaSet',
]);

export interface PageAudit {
  audited: number;
  deduplicated: number;
  findings: AuditFinding[];
}

export interface StreamAuditOptions {
  /** [list path, kind], in any order: they are sorted by STREAM_ORDER */
  lists: readonly (readonly [string, string])[];
  /** list one path page by page, awaiting onPage for each page before fetching the next */
  listPages: (path: string, onPage: (items: unknown[]) => void) => Promise<void>;
  /** the audit of one page, given the uids of the owners seen so far */
  auditPage: (objects: Record<string, unknown>[], owners: ReadonlySet<string>) => PageAudit;
  progress?: Progress;
  /** checked between pages: stop early (shutdown, lost lease) */
  signal?: AbortSignal;
}

export interface StreamAuditResult extends PageAudit {
  listed: Record<string, number>;
  /** largest page handed to the audit (what bounds the pass's memory) */
  largestPage: number;
}

export async function streamAudit(opts: StreamAuditOptions): Promise<StreamAuditResult> {
  const rank = (kind: string): number => {
    const i = STREAM_ORDER.indexOf(kind);
    return i === -1 ? STREAM_ORDER.length : i;
  };
  const lists = [...opts.lists].sort((a, b) => rank(a[1]) - rank(b[1]));
  const owners = new Set<string>();
  const out: StreamAuditResult = { audited: 0, deduplicated: 0, findings: [], listed: {}, largestPage: 0 };
  for (const [path, kind] of lists) {
    if (opts.signal?.aborted) break;
    await opts.listPages(path, (items) => {
      const objects = items.filter(isRecord).map((o): Record<string, unknown> => ({ ...o, kind }));
      out.largestPage = Math.max(out.largestPage, objects.length);
      if (OWNER_KINDS.has(kind)) {
        for (const o of objects) {
          const uid = isRecord(o['metadata']) ? str(o['metadata']['uid']) : undefined;
          if (uid !== undefined) owners.add(uid);
        }
      }
      const r = opts.auditPage(objects, owners);
      out.audited += r.audited;
      out.deduplicated += r.deduplicated;
      for (const f of r.findings) out.findings.push(f);
      out.listed[kind] = (out.listed[kind] ?? 0) + objects.length;
      opts.progress?.listed(kind, objects.length);
      opts.progress?.findings(out.findings.length);
    });
  }
  return out;
}
