/**
 * wasmgate's pure verdict for a parity pod, computed from the Nodes as the API server serves them
 * (so the reduction is tested too) and the pod and RuntimeClass as written.
 */
import type { RuntimeClassInfo, Taint } from '../../src/cluster/types.js';
import { runtimeHandlersOf } from '../../src/scheduling/handlers.js';
import { SchedulingIndex } from '../../src/scheduling/node-index.js';
import { placementOf } from '../../src/scheduling/query.js';
import { findUsableNode } from '../../src/scheduling/search.js';
import type { SchedNode } from '../../src/scheduling/types.js';
import type { GenClass } from './cases.js';

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

export function verdictFor(nodes: readonly SchedNode[], spec: Record<string, unknown>, c: GenClass): Verdict {
  const ix = new SchedulingIndex();
  for (const n of nodes) ix.upsert(n);
  const rc = classInfo(c);
  // the scheduler's semantics: readiness is judged through the not-ready taint only
  const sched = placementOf(spec, rc, { requireReady: false, checkHandler: false });
  const full = placementOf(spec, rc, { requireReady: false, checkHandler: true });
  return {
    conflict: sched.conflicts.length > 0,
    schedulable: findUsableNode(ix, sched.query) !== undefined,
    runnable: findUsableNode(ix, full.query) !== undefined,
    lackingHandler: nodes.filter((n) => n.runtimeHandlers.length > 0 && !n.runtimeHandlers.includes(c.handler)).map((n) => n.name),
  };
}
