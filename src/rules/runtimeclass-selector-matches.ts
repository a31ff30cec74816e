/**
 * runtimeclass-selector-matches: a RuntimeClass's scheduling.nodeSelector matches some node its pods
 * may use: not cordoned, its taints tolerated by the class, and reporting the class's handler (or
 * reporting none).
 */
import { formatSelector, listNames, sortedPairs } from '../decide/format.js';
import { explainNoUsableNode, noNodeReport, queryForClass, usableNode } from '../decide/placement.js';
import type { Rule, RuleContext, RuntimeClassCheck } from '../decide/types.js';
import { wasmClasses } from '../decide/wasm.js';
import { nodesMissingHandler } from '../scheduling/explain.js';

const runtimeClass: RuntimeClassCheck = (rc, ctx) => {
  if (rc.nodeSelector === undefined) return [];
  const q = queryForClass(rc, ctx);
  if (usableNode(q, ctx) !== undefined) return [];
  return [
    explainNoUsableNode(noNodeReport(q, ctx), {
      headline: `RuntimeClass ${rc.name}'s pods would have no node to run on`,
      tolerationField: `its scheduling.tolerations`,
      handler: rc.handler,
    }),
  ];
};

/**
 * For the audit: every node whose labels promise a Wasm RuntimeClass's handler (it carries the
 * class's node selector) while its kubelet reports handlers without it.
 */
export function nodesPromisingMissingHandlers(ctx: RuleContext): { node: string; message: string }[] {
  const out: { node: string; message: string }[] = [];
  for (const rc of wasmClasses(ctx)) {
    if (rc.nodeSelector === undefined) continue;
    for (const m of nodesMissingHandler(ctx.state.schedulingIndex(), rc.nodeSelector, rc.handler)) {
      const label = sortedPairs(rc.nodeSelector)
        .map(([k]) => `${k}-`)
        .join(' ');
      out.push({
        node: m.node,
        message:
          `Node ${m.node} carries ${formatSelector(rc.nodeSelector)}, the node selector of RuntimeClass ${rc.name} (handler ${rc.handler}), ` +
          `but its kubelet reports the runtime handlers ${listNames(
            m.handlers.map((h) => (h === '' ? '(the default)' : h)),
            10,
          )}, not ${rc.handler}: ` +
          `pods of this class placed there fail with no runtime for "${rc.handler}" is configured. Fix: install the ${rc.handler} shim on ` +
          `${m.node} and register it in containerd as runtime "${rc.handler}", or remove the label: kubectl label nodes ${m.node} ${label}.`,
      });
    }
  }
  return out;
}

export const runtimeclassSelectorMatches: Rule = {
  id: 'runtimeclass-selector-matches',
  summary: "A RuntimeClass's scheduling.nodeSelector matches at least one Ready, schedulable node that reports its handler.",
  defaultMode: 'warn',
  checks: { RuntimeClass: { CREATE: runtimeClass, UPDATE: runtimeClass } },
};
