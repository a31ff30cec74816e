/**
 * selector-conflict: the pod's nodeSelector and its RuntimeClass's scheduling.nodeSelector agree.
 * kube-apiserver rejects a conflicting Pod itself, but never looks at workload templates.
 */
import { describeTarget, field, formatPair } from '../decide/format.js';
import { placementFor } from '../decide/placement.js';
import type { PodTemplateCheck, Rule } from '../decide/types.js';

const podTemplate: PodTemplateCheck = (target, intent, ctx) => {
  const rc = intent.runtimeClassName === undefined ? undefined : ctx.state.getRuntimeClass(intent.runtimeClassName);
  if (rc === undefined) return [];
  return placementFor(target, rc, ctx).conflicts.map(
    (c) =>
      `${describeTarget(target)} sets ${field(target, 'nodeSelector')} ${formatPair(c.key, c.podValue)}, but its RuntimeClass ${rc.name} ` +
      `requires ${formatPair(c.key, c.classValue)}; no node can satisfy both. Fix: remove ${c.key} from ${field(target, 'nodeSelector')} ` +
      `(the RuntimeClass adds it), or set it to ${c.classValue}.`,
  );
};

export const selectorConflict: Rule = {
  id: 'selector-conflict',
  summary: "A pod's nodeSelector does not contradict its RuntimeClass's scheduling.nodeSelector.",
  defaultMode: 'enforce',
  checks: { podTemplate: { CREATE: podTemplate, UPDATE: podTemplate } },
};
