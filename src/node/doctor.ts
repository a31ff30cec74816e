/**
 * `wasmgate node doctor`: the facts of one node (its containerd config, the shims on containerd's
 * PATH, and optionally the cluster's view of it) run through the checks in checks/.
 *
 * Exit codes: 0 no finding; 1 at least one finding; 2 the doctor could not run (bad arguments,
 * an unreadable cluster state or kubeconfig).
 */
import { CRI_PLUGIN, describeVersion, runtimesPath } from './containerd.js';
import { NODE_CHECKS } from './checks/index.js';
import type { DoctorFacts } from './facts.js';

export interface DoctorFinding {
  readonly check: string;
  readonly message: string;
}

export interface DoctorReport {
  /** what was looked at: config, version, runtimes, shims, cluster */
  readonly summary: readonly string[];
  readonly findings: readonly DoctorFinding[];
}

export const EXIT_CLEAN = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_CANNOT_CHECK = 2;

export function runDoctor(facts: DoctorFacts): DoctorReport {
  const findings: DoctorFinding[] = [];
  for (const check of NODE_CHECKS) {
    if (check.needsCluster === true && facts.cluster === undefined) continue;
    for (const message of check.run(facts)) findings.push({ check: check.id, message });
  }
  return { summary: summarize(facts), findings };
}

function summarize(facts: DoctorFacts): string[] {
  const { config, shims, cluster } = facts;
  const lines: string[] = [];
  if (facts.root !== '/') lines.push(`root filesystem: ${facts.root}`);
  if (config.status === 'ok' && config.effective !== undefined) {
    const v = config.effective;
    const how = config.version?.kind === 'missing' ? `version 1 (no version key: containerd reads it as 1)` : describeVersion(v);
    lines.push(`containerd config: ${config.file}, ${how}; runtimes under ${runtimesPath(CRI_PLUGIN[v])}`);
  } else {
    lines.push(`containerd config: ${config.file} (${config.status === 'ok' ? 'version not readable' : config.status})`);
  }
  const regs = config.registrations.map(
    (r) => `${r.name} (${r.runtimeType ?? 'no runtime_type'}${r.effective ? '' : `, under ${r.plugin}`})`,
  );
  lines.push(`runtimes: ${regs.length === 0 ? 'none' : regs.join(', ')}`);
  if (config.imports !== undefined) lines.push(`imports: ${config.imports.join(', ')} (not read: runtimes registered there are not seen)`);
  lines.push(`shims on containerd's PATH: ${shims.length === 0 ? 'none' : shims.map((s) => `${s.dir}/${s.file}`).join(', ')}`);
  if (cluster !== undefined) {
    lines.push(
      `cluster: ${cluster.source}; Node ${cluster.nodeName}${cluster.node === undefined ? ' (not found)' : ''}; ` +
        `${cluster.runtimeClasses.length} RuntimeClass${cluster.runtimeClasses.length === 1 ? '' : 'es'}`,
    );
  }
  return lines;
}

export function formatDoctor(report: DoctorReport): string {
  const lines = [...report.summary, ''];
  for (const f of report.findings) lines.push(`[${f.check}] ${f.message}`);
  const n = report.findings.length;
  lines.push(n === 0 ? 'no problem found' : `${n} finding${n === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}

export function doctorExitCode(report: DoctorReport): number {
  return report.findings.length === 0 ? EXIT_CLEAN : EXIT_FINDINGS;
}
