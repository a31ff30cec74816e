/**
 * `check`'s verdicts as data: for each object of the manifests, where it is (file:line), what
 * mutation would patch, every finding with its rule and mode, and whether it would be admitted,
 * exactly as the webhook would decide on CREATE. The formatters (check-format.ts, sarif.ts) only
 * print these.
 */
import type { ClusterState } from '../cluster/types.js';
import { isRecord, str } from '../objects/json.js';
import type { Config, Mode } from '../config/config.js';
import { mutate, validate } from '../decide/engine.js';
import { handles, kindOfObject } from '../kinds/registry.js';
import type { AdmissionRequest } from '../review/envelope.js';
import type { JsonPatchOp } from '../review/response.js';
import type { Located } from './locate.js';

export interface CheckFinding {
  /** a rule id, or 'wasmgate' for a denial that no rule produced (e.g. state not synced) */
  rule: string;
  mode: Mode;
  message: string;
}

export interface CheckEntry {
  file: string;
  line: number;
  kind: string;
  namespace?: string;
  name: string;
  /** "Pod default/web", "RuntimeClass wasm1" */
  label: string;
  mutations: JsonPatchOp[];
  /** the lines the webhook would return, as kubectl shows them */
  warnings: string[];
  audit: [string, string][];
  allowed: boolean;
  denial?: string;
  findings: CheckFinding[];
}

function applyAdd(obj: unknown, op: JsonPatchOp): unknown {
  const copy = structuredClone(obj) as Record<string, unknown>;
  const parts = op.path
    .split('/')
    .slice(1)
    .map((p: string) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  let at: unknown = copy;
  for (const p of parts.slice(0, -1)) at = isRecord(at) ? at[p] : undefined;
  if (isRecord(at)) at[parts[parts.length - 1]!] = op.value;
  return copy;
}

export function checkLocated(objects: readonly Located[], state: ClusterState, config: Config): CheckEntry[] {
  const out: CheckEntry[] = [];
  for (const { object: obj, file, line } of objects) {
    if (!isRecord(obj)) continue;
    // by group and kind (a manifest without apiVersion: by kind alone)
    const record = kindOfObject(obj);
    if (!handles(record, 'validate')) continue;
    const kind = record.kind;
    const meta = isRecord(obj['metadata']) ? obj['metadata'] : {};
    const name = str(meta['name']) ?? str(meta['generateName']) ?? '(unnamed)';
    const clusterScoped = record.scope === 'Cluster';
    const namespace = clusterScoped ? undefined : (str(meta['namespace']) ?? 'default');
    const base: AdmissionRequest = {
      uid: `check-${out.length}`,
      kind: { group: record.group, version: record.version, kind },
      operation: 'CREATE',
      name,
      namespace: namespace ?? 'default',
      object: obj,
    };
    const mutations: JsonPatchOp[] = [];
    let admitted: unknown = obj;
    if (handles(record, 'mutate')) {
      for (const op of mutate(base, state, config).patch ?? []) {
        admitted = applyAdd(admitted, op);
        mutations.push(op);
      }
    }
    const v = validate({ ...base, object: admitted }, state, config);
    const findings: CheckFinding[] = v.findings.map((f) => ({ rule: f.rule, mode: f.mode, message: f.message }));
    if (!v.allowed && findings.every((f) => f.mode !== 'enforce'))
      findings.push({ rule: 'wasmgate', mode: 'enforce', message: v.message ?? 'denied' });
    out.push({
      file,
      line,
      kind,
      ...(namespace === undefined ? {} : { namespace }),
      name,
      label: namespace === undefined ? `${kind} ${name}` : `${kind} ${namespace}/${name}`,
      mutations,
      warnings: [...v.warnings],
      audit: Object.entries(v.auditAnnotations),
      allowed: v.allowed,
      ...(v.message === undefined ? {} : { denial: v.message }),
      findings,
    });
  }
  return out;
}
