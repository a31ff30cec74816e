/** What the cluster checks share: the node's handlers, and which RuntimeClasses reach the node. */
import type { NodeInfo, RuntimeClassInfo } from '../../cluster/types.js';
import type { DoctorFacts } from '../facts.js';

/** Runtimes containerd on this node offers: the effective registrations (built-in runc without a file). */
export function nodeHandlers(facts: DoctorFacts): Set<string> {
  if (facts.config.status === 'missing') return new Set(['runc']);
  return new Set(facts.config.registrations.filter((r) => r.effective).map((r) => r.name));
}

/**
 * How a RuntimeClass's pods can reach this node: 'selector' when the node carries every label of
 * its non-empty nodeSelector, 'anywhere' when it has no selector (its pods may land on any node),
 * undefined otherwise.
 */
export function reaches(rc: RuntimeClassInfo, node: NodeInfo): 'selector' | 'anywhere' | undefined {
  const sel = rc.nodeSelector ?? {};
  const pairs = Object.entries(sel);
  if (pairs.length === 0) return 'anywhere';
  return pairs.every(([k, v]) => node.labels[k] === v) ? 'selector' : undefined;
}
