/**
 * Audit: the admission rules over objects that already exist, for policy reviews. A pure function
 * of (objects, cluster state, config) like the admission decisions, run by `wasmgate audit` over a
 * snapshot or over a live cluster listing.
 *
 * An object that a controller owns (Pod ← ReplicaSet ← Deployment, Pod ← Job ← CronJob, ...) is
 * reported on its owner, once: a Deployment with a bad template is one finding, not one per Pod.
 */
import type { ClusterState } from '../cluster/types.js';
import type { Config, Mode } from '../config/config.js';
import { validate } from '../decide/engine.js';
import type { FindingSource } from '../decide/types.js';
import { nodesPromisingMissingHandlers, runtimeclassSelectorMatches } from '../rules/runtimeclass-selector-matches.js';
import { kindOf, kindOfObject } from '../kinds/registry.js';
import { isRecord, str } from '../objects/json.js';
import { controllerOf, deletionTimestampOf, groupVersionOf, nameOf, namespaceOf, uidOf } from '../objects/metadata.js';
import type { AdmissionRequest } from '../review/envelope.js';

export interface AuditFinding {
  /** the object's apiVersion and uid, when known (policy reports reference the object by them) */
  apiVersion?: string;
  uid?: string;
  kind: string;
  namespace?: string;
  name: string;
  rule: FindingSource | 'wasmgate';
  mode: Mode;
  message: string;
}

export interface AuditReport {
  audited: number;
  /** objects skipped because their controller owner was audited instead */
  deduplicated: number;
  findings: AuditFinding[];
}

/** The uid of the object's controller, when the controller is a kind the audit checks itself. */
function controllerOwnerUid(obj: unknown): string | undefined {
  const owner = controllerOf(obj);
  if (owner === undefined) return undefined;
  return kindOf(groupVersionOf(owner.apiVersion).group, owner.kind)?.podSpec === undefined ? undefined : owner.uid;
}

/** finished, or already being deleted: nothing to fix on it */
function finished(obj: Record<string, unknown>): boolean {
  if (deletionTimestampOf(obj) !== undefined) return true;
  const phase = isRecord(obj['status']) ? str(obj['status']['phase']) : undefined;
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * `owners`: uids of objects audited elsewhere (the earlier pages of a streamed pass,
 * src/report/stream-audit.ts); an object they control is reported on them, as if they were here.
 */
export function auditObjects(objects: unknown[], state: ClusterState, config: Config, owners?: ReadonlySet<string>): AuditReport {
  const report: AuditReport = { audited: 0, deduplicated: 0, findings: [] };
  const present = new Set<string>();
  for (const o of objects) {
    const uid = uidOf(o);
    if (uid !== undefined) present.add(uid);
  }
  for (const o of objects) {
    const k = kindOfObject(o);
    if (!isRecord(o) || k === undefined || !k.audited || k.admission === undefined) continue;
    const kind = k.kind;
    if (kind === 'Pod' && finished(o)) continue;
    const owner = controllerOwnerUid(o);
    if (owner !== undefined && (present.has(owner) || owners?.has(owner) === true)) {
      report.deduplicated++;
      continue;
    }
    const name = nameOf(o) ?? '(unnamed)';
    const namespace = namespaceOf(o);
    const req: AdmissionRequest = {
      uid: `audit-${report.audited}`,
      kind: { group: k.group, version: k.version, kind },
      operation: 'CREATE',
      name,
      ...(namespace === undefined ? {} : { namespace }),
      object: o,
    };
    report.audited++;
    const result = validate(req, state, config);
    const uid = uidOf(o);
    const where = {
      apiVersion: k.group === '' ? k.version : `${k.group}/${k.version}`,
      ...(uid === undefined ? {} : { uid }),
      kind,
      name,
      ...(namespace === undefined ? {} : { namespace }),
    };
    for (const f of result.findings) report.findings.push({ ...where, rule: f.rule, mode: f.mode, message: f.message });
    if (result.findings.length === 0 && !result.allowed) {
      report.findings.push({ ...where, rule: 'wasmgate', mode: 'enforce', message: result.message ?? 'denied' });
    }
  }
  // Nodes are not admitted objects the audit walks, but the handlers their kubelets report can break
  // a RuntimeClass's promise: every node whose labels promise a handler it does not report
  const rule = runtimeclassSelectorMatches;
  for (const { node, message } of nodesPromisingMissingHandlers({ state, config })) {
    report.findings.push({ kind: 'Node', name: node, rule: rule.id, mode: config.rules[rule.id] ?? rule.defaultMode, message });
  }
  return report;
}

export function formatAudit(report: AuditReport): string {
  const lines = report.findings.map(
    (f) =>
      `${f.mode.toUpperCase().padEnd(7)} ${f.kind} ${f.namespace === undefined ? '' : `${f.namespace}/`}${f.name}: [${f.rule}] ${f.message}`,
  );
  const counts = (['enforce', 'warn', 'audit'] as const).map((m) => `${report.findings.filter((f) => f.mode === m).length} ${m}`);
  lines.push(
    `${report.audited} objects audited (${report.deduplicated} controller-owned objects reported on their owners), ` +
      `${report.findings.length} findings: ${counts.join(', ')}`,
  );
  return `${lines.join('\n')}\n`;
}
