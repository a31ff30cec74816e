/**
 * Metrics of the background audit, on the registry passed in (the server's):
 * wasmgate_audit_findings{rule,mode} (the last pass's findings, replaced each pass),
 * wasmgate_audit_last_duration_seconds, wasmgate_audit_last_run_timestamp_seconds,
 * wasmgate_audit_objects (objects audited by the last pass).
 */
import { Gauge, type Registry } from 'prom-client';
import type { AuditFinding } from '../audit/audit.js';

export interface AuditMetrics {
  record(pass: { findings: readonly Pick<AuditFinding, 'rule' | 'mode'>[]; audited: number; durationMs: number; finishedAt: number }): void;
}

export function createAuditMetrics(registry: Registry): AuditMetrics {
  const findings = new Gauge({
    name: 'wasmgate_audit_findings',
    help: 'Findings of the last background audit pass, by rule id and mode (enforce, warn, audit).',
    labelNames: ['rule', 'mode'] as const,
    registers: [registry],
  });
  const duration = new Gauge({
    name: 'wasmgate_audit_last_duration_seconds',
    help: 'Duration of the last background audit pass.',
    registers: [registry],
  });
  const time = new Gauge({
    name: 'wasmgate_audit_last_run_timestamp_seconds',
    help: 'Unix time at which the last background audit pass finished.',
    registers: [registry],
  });
  const objects = new Gauge({
    name: 'wasmgate_audit_objects',
    help: 'Objects audited by the last background audit pass.',
    registers: [registry],
  });
  return {
    record(pass) {
      const counts = new Map<string, { rule: string; mode: string; n: number }>();
      for (const f of pass.findings) {
        const k = `${f.rule}\u0000${f.mode}`;
        const c = counts.get(k) ?? { rule: f.rule, mode: f.mode, n: 0 };
        c.n++;
        counts.set(k, c);
      }
      findings.reset();
      for (const c of counts.values()) findings.set({ rule: c.rule, mode: c.mode }, c.n);
      duration.set(pass.durationMs / 1000);
      time.set(pass.finishedAt / 1000);
      objects.set(pass.audited);
    },
  };
}
