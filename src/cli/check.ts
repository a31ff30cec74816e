/**
 * `wasmgate check`: run mutation and validation offline over manifests, against a cluster
 * snapshot, exactly as the webhook would on CREATE. Exit code 1 when anything would be denied.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ClusterState } from '../cluster/types.js';
import { isRecord, str } from '../objects/json.js';
import { loadSnapshot, parseObjects } from '../cluster/snapshot.js';
import { loadConfig, type Config } from '../config/config.js';
import { mutate, validate } from '../decide/engine.js';
import { handles, kindOfObject } from '../kinds/registry.js';
import type { AdmissionRequest } from '../review/envelope.js';
import type { JsonPatchOp } from '../review/response.js';
import { collect } from './options.js';

export interface CheckReport {
  lines: string[];
  denied: number;
  checked: number;
}

function applyAdd(obj: unknown, op: JsonPatchOp): unknown {
  const copy = structuredClone(obj) as Record<string, unknown>;
  const parts = op.path.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  let at: unknown = copy;
  for (const p of parts.slice(0, -1)) at = isRecord(at) ? at[p] : undefined;
  if (isRecord(at)) at[parts[parts.length - 1]!] = op.value;
  return copy;
}

export function checkObjects(objects: unknown[], state: ClusterState, config: Config): CheckReport {
  const report: CheckReport = { lines: [], denied: 0, checked: 0 };
  for (const obj of objects) {
    if (!isRecord(obj)) continue;
    // by group and kind (a manifest without apiVersion: by kind alone)
    const record = kindOfObject(obj);
    if (!handles(record, 'validate')) continue;
    const kind = record.kind;
    const meta = isRecord(obj['metadata']) ? obj['metadata'] : {};
    const name = str(meta['name']) ?? str(meta['generateName']) ?? '(unnamed)';
    const namespace = str(meta['namespace']) ?? 'default';
    const base: AdmissionRequest = {
      uid: `check-${report.checked}`,
      kind: { group: record.group, version: record.version, kind },
      operation: 'CREATE',
      name,
      namespace,
      object: obj,
    };
    report.checked++;
    const label = kind === 'RuntimeClass' || kind === 'Node' ? `${kind} ${name}` : `${kind} ${namespace}/${name}`;
    let admitted: unknown = obj;
    if (handles(record, 'mutate')) {
      const m = mutate(base, state, config);
      for (const op of m.patch ?? []) {
        admitted = applyAdd(admitted, op);
        report.lines.push(`${label}: mutate: ${op.op} ${op.path} = ${JSON.stringify(op.value)}`);
      }
    }
    const v = validate({ ...base, object: admitted }, state, config);
    for (const w of v.warnings) report.lines.push(`${label}: warning: ${w}`);
    for (const [k, a] of Object.entries(v.auditAnnotations)) report.lines.push(`${label}: audit: [${k}] ${a}`);
    if (!v.allowed) {
      report.denied++;
      report.lines.push(`${label}: DENIED: ${v.message ?? ''}`);
    } else {
      report.lines.push(`${label}: allowed`);
    }
  }
  return report;
}

export async function checkFiles(files: string[], state: ClusterState, config: Config): Promise<CheckReport> {
  const objects: unknown[] = [];
  for (const f of files) objects.push(...parseObjects(await readFile(f, 'utf8'), f));
  return checkObjects(objects, state, config);
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check manifests offline against a cluster snapshot, as the webhook would on create; exit 1 when any is denied')
    .argument('<manifest...>', 'YAML or JSON files with Pods, workloads, RuntimeClasses')
    .requiredOption('--cluster-state <path>', 'snapshot of Nodes and RuntimeClasses (file or directory); repeatable', collect)
    .option('-c, --config <file>', 'YAML config file')
    .action(async (manifests: string[], opts: { clusterState: string[]; config?: string }) => {
      const config = await loadConfig(opts.config);
      const { state } = await loadSnapshot(opts.clusterState);
      const report = await checkFiles(manifests, state, config);
      for (const line of report.lines) process.stdout.write(`${line}\n`);
      process.stdout.write(`${report.checked} checked, ${report.denied} denied\n`);
      process.exitCode = report.denied > 0 ? 1 : 0;
    });
}
