/**
 * wasmgate's verdict for a parity pod, computed from the Nodes as the API server serves them (so
 * the lean reduction is tested too) and the pod and RuntimeClass as written:
 * - "runnable" and "conflict" come from the decision engine itself (validate(), the function the
 *   webhook calls), with every rule in audit mode: the pod is admitted and the findings recorded;
 * - "schedulable" (handlers aside, what kube-scheduler alone decides) from the search it uses.
 */
import type { RuntimeClassInfo, Taint } from '../../src/cluster/types.js';
import { runtimeHandlersOf } from '../../src/scheduling/handlers.js';
import { SchedulingIndex } from '../../src/scheduling/node-index.js';
import { placementOf } from '../../src/scheduling/query.js';
import { findUsableNode } from '../../src/scheduling/search.js';
import type { SchedNode } from '../../src/scheduling/types.js';
import { leanNode } from '../../src/cluster/lean.js';
import { MemoryState } from '../../src/cluster/memory-state.js';
import { validate } from '../../src/decide/engine.js';
import { RULES } from '../../src/rules/registry.js';
import { config, request } from '../harness/fixtures.js';
import type { GenClass } from './cases.js';

/** the scheduler's readiness semantics (the not-ready taint decides), every rule recording only */
const AUDIT_ALL = config({ nodes: { requireReady: false }, rules: Object.fromEntries(RULES.map((r) => [r.id, 'audit'])) });

interface RawNode {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: { unschedulable?: boolean; taints?: { key: string; value?: string; effect: string }[] };
  status?: { conditions?: { type: string; status: string }[]; runtimeHandlers?: unknown };
}

export function schedNodeOf(raw: RawNode): SchedNode {
  const taints: Taint[] = (raw.spec?.taints ?? []).map((t) =>
    t.value === undefined || t.value === '' ? { key: t.key, effect: t.effect } : { key: t.key, value: t.value, effect: t.effect },
  );
  return {
    name: raw.metadata?.name ?? '',
    labels: raw.metadata?.labels ?? {},
    taints,
    ready: raw.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
    unschedulable: raw.spec?.unschedulable === true,
    runtimeHandlers: runtimeHandlersOf(raw.status),
  };
}

export function classInfo(c: GenClass): RuntimeClassInfo {
  return {
    name: c.name,
    handler: c.handler,
    labels: {},
    nodeSelector: c.scheduling?.nodeSelector,
    tolerations: c.scheduling?.tolerations ?? [],
  };
}

export interface Verdict {
  /** the pod's nodeSelector contradicts the class's: the API server refuses it */
  conflict: boolean;
  /** a node passes the scheduler's filters (kubelet's for nodeName), handlers aside */
  schedulable: boolean;
  /** ... and reports the class's handler, or reports none */
  runnable: boolean;
  /** nodes whose reported handlers lack the class's handler */
  lackingHandler: string[];
}

/** validate() on the pod, as the webhook would in audit mode: which rules found something */
export function engineFindings(served: readonly unknown[], spec: Record<string, unknown>, c: GenClass): string[] {
  const state = new MemoryState('snapshot', 'parity');
  for (const raw of served) {
    const n = leanNode(raw);
    if (n !== undefined) state.upsertNode(n);
  }
  state.upsertRuntimeClass(classInfo(c));
  state.markSynced(true);
  const d = validate(request({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'parity' }, spec }), state, AUDIT_ALL);
  if (!d.allowed) throw new Error(`audit mode denied: ${d.message ?? ''}`);
  return d.findings.map((f) => f.rule);
}

export function verdictFor(nodes: readonly SchedNode[], spec: Record<string, unknown>, c: GenClass, served?: readonly unknown[]): Verdict {
  const ix = new SchedulingIndex();
  for (const n of nodes) ix.upsert(n);
  const rc = classInfo(c);
  // the scheduler's semantics: readiness is judged through the not-ready taint only
  const sched = placementOf(spec, rc, { requireReady: false, checkHandler: false });
  const full = placementOf(spec, rc, { requireReady: false, checkHandler: true });
  const findings = served === undefined ? undefined : engineFindings(served, spec, c);
  const conflict = sched.conflicts.length > 0;
  const runnable = findUsableNode(ix, full.query) !== undefined;
  if (
    findings !== undefined &&
    (findings.includes('selector-conflict') !== conflict || (!conflict && findings.includes('nodes-available') === runnable))
  ) {
    throw new Error(`the engine (${findings.join(', ')}) and the search disagree on ${JSON.stringify(spec)}`);
  }
  return {
    conflict,
    schedulable: findUsableNode(ix, sched.query) !== undefined,
    runnable,
    lackingHandler: nodes.filter((n) => n.runtimeHandlers.length > 0 && !n.runtimeHandlers.includes(c.handler)).map((n) => n.name),
  };
}
