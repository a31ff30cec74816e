/** Prometheus metrics, on a registry per server so several can live in one process (tests). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ClusterState } from '../cluster/types.js';

export interface Metrics {
  registry: Registry;
  requests: Counter<'endpoint' | 'kind' | 'result'>;
  duration: Histogram<'endpoint'>;
  findings: Counter<'rule' | 'mode'>;
  largeBodies: Counter<'thread'>;
}

export function createMetrics(state: ClusterState, opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'wasmgate_admission_requests_total',
    help: 'AdmissionReviews answered, by endpoint, admitted kind and result (allowed, denied, patched, invalid, error).',
    labelNames: ['endpoint', 'kind', 'result'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'wasmgate_admission_duration_seconds',
    help: 'Time to decode, decide and encode one AdmissionReview.',
    labelNames: ['endpoint'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [registry],
  });
  const findings = new Counter({
    name: 'wasmgate_rule_findings_total',
    help: 'Rule findings, by rule id and mode (enforce, warn, audit).',
    labelNames: ['rule', 'mode'] as const,
    registers: [registry],
  });
  const largeBodies = new Counter({
    name: 'wasmgate_large_body_scans_total',
    help: 'Request bodies over 256 KiB checked before parsing, by thread: worker, or main when the worker could not start or died. Includes the warm-up at start (5 synthetic reviews).',
    labelNames: ['thread'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'wasmgate_cluster_state_synced',
    help: '1 when the cluster state has completed its first full sync.',
    registers: [registry],
    collect() {
      this.set(state.status().synced ? 1 : 0);
    },
  });
  new Gauge({
    name: 'wasmgate_cluster_access_problems',
    help: 'Resources whose list or watch the API server refuses (RBAC): /readyz answers 503 while this is above 0, even once synced.',
    registers: [registry],
    collect() {
      this.set(state.status().problems?.length ?? 0);
    },
  });
  new Gauge({
    name: 'wasmgate_cluster_state_last_event_age_seconds',
    help: 'Seconds since the cluster state applied its last event (list or watch).',
    registers: [registry],
    collect() {
      const at = state.status().lastEventAt;
      this.set(at === undefined ? -1 : (Date.now() - at) / 1000);
    },
  });
  new Gauge({
    name: 'wasmgate_cluster_nodes',
    help: 'Nodes in the cluster state.',
    registers: [registry],
    collect() {
      this.set(state.nodeCount());
    },
  });
  new Gauge({
    name: 'wasmgate_cluster_runtimeclasses',
    help: 'RuntimeClasses in the cluster state.',
    registers: [registry],
    collect() {
      this.set(state.listRuntimeClasses().length);
    },
  });
  return { registry, requests, duration, findings, largeBodies };
}
