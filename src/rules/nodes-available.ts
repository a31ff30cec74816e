/**
 * nodes-available: a Wasm pod's effective node selector (its own merged with the RuntimeClass's)
 * matches at least one node that is Ready, not cordoned, and whose NoSchedule/NoExecute taints
 * it tolerates. Otherwise it would sit in Pending.
 */
import { describeTarget, field } from '../decide/format.js';
import { explainNoUsableNode, firstUsableNode, placementFor, placementReport } from '../decide/placement.js';
import type { PodTemplateCheck, Rule } from '../decide/types.js';

const podTemplate: PodTemplateCheck = (target, intent, ctx) => {
  if (intent.runtimeClassName === undefined) return [];
  const rc = ctx.state.getRuntimeClass(intent.runtimeClassName);
  if (rc === undefined) return [];
  const p = placementFor(target, rc);
  if (p.conflicts.length > 0) return [];
  if (firstUsableNode(p.selector, p.tolerations, ctx) !== undefined) return [];
  return [
    explainNoUsableNode(placementReport(p.selector, p.tolerations, ctx), {
      headline: `${describeTarget(target)} (RuntimeClass ${rc.name}) has no node to run on`,
      tolerationField: `${field(target, 'tolerations')} or RuntimeClass ${rc.name}'s scheduling.tolerations`,
    }),
  ];
};

export const nodesAvailable: Rule = {
  id: 'nodes-available',
  summary: 'A Wasm pod has at least one Ready, schedulable node it can be placed on.',
  defaultMode: 'enforce',
  checks: { podTemplate: { CREATE: podTemplate, UPDATE: podTemplate } },
};
