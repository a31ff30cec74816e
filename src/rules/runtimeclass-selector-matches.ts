/**
 * runtimeclass-selector-matches: a RuntimeClass's scheduling.nodeSelector matches some node its pods
 * may use: not cordoned, its taints tolerated by the class, and reporting the class's handler (or
 * reporting none).
 */
import { explainNoUsableNode, noNodeReport, queryForClass, usableNode } from '../decide/placement.js';
import type { Rule, RuntimeClassCheck } from '../decide/types.js';

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

export const runtimeclassSelectorMatches: Rule = {
  id: 'runtimeclass-selector-matches',
  summary: "A RuntimeClass's scheduling.nodeSelector matches at least one Ready, schedulable node that reports its handler.",
  defaultMode: 'warn',
  checks: { RuntimeClass: { CREATE: runtimeClass, UPDATE: runtimeClass } },
};
