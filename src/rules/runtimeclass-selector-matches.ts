/** runtimeclass-selector-matches: a RuntimeClass's scheduling.nodeSelector matches some usable node. */
import { explainNoUsableNode, firstUsableNode, placementReport } from '../decide/placement.js';
import type { Rule, RuntimeClassCheck } from '../decide/types.js';

const runtimeClass: RuntimeClassCheck = (rc, ctx) => {
  if (rc.nodeSelector === undefined) return [];
  if (firstUsableNode(rc.nodeSelector, rc.tolerations, ctx) !== undefined) return [];
  return [
    explainNoUsableNode(placementReport(rc.nodeSelector, rc.tolerations, ctx), {
      headline: `RuntimeClass ${rc.name}'s pods would have no node to run on`,
      tolerationField: `its scheduling.tolerations`,
    }),
  ];
};

export const runtimeclassSelectorMatches: Rule = {
  id: 'runtimeclass-selector-matches',
  summary: "A RuntimeClass's scheduling.nodeSelector matches at least one Ready, schedulable node.",
  defaultMode: 'warn',
  checks: { RuntimeClass: { CREATE: runtimeClass, UPDATE: runtimeClass } },
};
