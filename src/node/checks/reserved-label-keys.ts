/**
 * reserved-label-keys: the RuntimeClasses that concern this node (their handler is registered
 * here, or their selector picks this node) do not select nodes by reserved-namespace labels.
 * The rule and its message are admission's own (src/rules/reserved-label-keys.ts), called here so
 * the two never disagree.
 */
import { reservedLabelKeys } from '../../rules/reserved-label-keys.js';
import { nodeHandlers, reaches } from './cluster-helpers.js';
import type { NodeCheck } from './types.js';

export const reservedLabels: NodeCheck = {
  id: reservedLabelKeys.id,
  summary: 'RuntimeClasses for this node avoid reserved-namespace label keys (the admission rule)',
  needsCluster: true,
  run(facts) {
    const { cluster } = facts;
    if (cluster === undefined) return [];
    const handlers = nodeHandlers(facts);
    const out: string[] = [];
    for (const rc of cluster.runtimeClasses) {
      const concerns = handlers.has(rc.handler) || (cluster.node !== undefined && reaches(rc, cluster.node) === 'selector');
      if (concerns) out.push(...(reservedLabelKeys.checks.RuntimeClass?.CREATE?.(rc, cluster.ctx) ?? []));
    }
    return out;
  },
};
