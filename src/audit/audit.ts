/**
 * Audit: the admission rules over objects that already exist, for policy reviews. A pure function
 * of (objects, cluster state, config) like the admission decisions, run by `wasmgate audit` over a
 * snapshot or over a live cluster listing.
 *
 * An object that a controller owns (Pod ← ReplicaSet ← Deployment, Pod ← Job ← CronJob, ...) is
 * reported on its owner, once: a Deployment with a bad template is one finding, not one per Pod.
 */
import type { ClusterState } from '../cluster/types.js';
import { isRecord, str } from '../cluster/lean.js';
import type { Config, Mode } from '../config/config.js';
import { validate } from '../rules/engine.js';
import { handlesPods } from '../rules/targets.js';
import type { AdmissionRequest, RuleId } from '../rules/types.js';

export interface AuditFinding {
  kind: string;
  namespace?: string;
  name: string;
  rule: RuleId | 'wasmgate';
  mode: Mode;
  message: string;
}

export interface AuditReport {
  audited: number;
  /** objects skipped because their controller owner was audited instead */
  deduplicated: number;
  findings: AuditFinding[];
}

function meta(obj: Record<string, unknown>): Record<string, unknown> {
  return isRecord(obj['metadata']) ? obj['metadata'] : {};
}

function controllerOwnerUid(obj: Record<string, unknown>): string | undefined {
  const owners = meta(obj)['ownerReferences'];
  if (!Array.isArray(owners)) return undefined;
  for (const o of owners) {
    if (isRecord(o) && o['controller'] === true && handlesPods(str(o['kind']) ?? '')) return str(o['uid']);
  }
  return undefined;
}

/** finished, or already being deleted: nothing to fix on it */
function finished(obj: Record<string, unknown>): boolean {
  if (str(meta(obj)['deletionTimestamp']) !== undefined) return true;
  const phase = isRecord(obj['status']) ? str(obj['status']['phase']) : undefined;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function auditObjects(objects: unknown[], state: ClusterState, config: Config): AuditReport {
  const report: AuditReport = { audited: 0, deduplicated: 0, findings: [] };
  const present = new Set<string>();
  for (const o of objects) {
    if (isRecord(o)) {
      const uid = str(meta(o)['uid']);
      if (uid !== undefined) present.add(uid);
    }
  }
  for (const o of objects) {
    if (!isRecord(o)) continue;
    const kind = str(o['kind']) ?? '';
    if (!handlesPods(kind) && kind !== 'RuntimeClass') continue;
    if (kind === 'Pod' && finished(o)) continue;
    const owner = controllerOwnerUid(o);
    if (owner !== undefined && present.has(owner)) {
      report.deduplicated++;
      continue;
    }
    const m = meta(o);
    const name = str(m['name']) ?? '(unnamed)';
    const namespace = str(m['namespace']);
    const req: AdmissionRequest = {
      uid: `audit-${report.audited}`,
      kind: { group: '', version: 'v1', kind },
      operation: 'CREATE',
      name,
      ...(namespace === undefined ? {} : { namespace }),
      object: o,
    };
    report.audited++;
    const result = validate(req, state, config);
    const where = { kind, name, ...(namespace === undefined ? {} : { namespace }) };
    for (const f of result.findings) report.findings.push({ ...where, rule: f.rule, mode: f.mode, message: f.message });
    if (result.findings.length === 0 && !result.allowed) {
      report.findings.push({ ...where, rule: 'wasmgate', mode: 'enforce', message: result.message ?? 'denied' });
    }
  }
  return report;
}

export function formatAudit(report: AuditReport): string {
  const lines = report.findings.map(
    (f) => `${f.mode.toUpperCase().padEnd(7)} ${f.kind} ${f.namespace === undefined ? '' : `${f.namespace}/`}${f.name}: [${f.rule}] ${f.message}`,
  );
  const counts = (['enforce', 'warn', 'audit'] as const).map((m) => `${report.findings.filter((f) => f.mode === m).length} ${m}`);
  lines.push(
    `${report.audited} objects audited (${report.deduplicated} controller-owned objects reported on their owners), ` +
      `${report.findings.length} findings: ${counts.join(', ')}`,
  );
  return `${lines.join('\n')}\n`;
}
