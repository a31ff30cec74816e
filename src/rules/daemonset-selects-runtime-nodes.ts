/**
 * daemonset-selects-runtime-nodes: a DaemonSet that uses a RuntimeClass with a node selector also
 * selects those nodes itself. The DaemonSet controller decides where to create pods from the
 * template alone; kube-apiserver then merges the RuntimeClass's selector into each pod, so every
 * pod made for a node without the label can never be scheduled and stays Pending. The template
 * selects them by its nodeSelector or by required node affinity whose every term requires the
 * label (key In [value], src/scheduling/node-affinity.ts).
 */
import { describeTarget, field, formatSelector, plural, sortedPairs } from '../decide/format.js';
import type { PodTemplateCheck, Rule } from '../decide/types.js';
import { requiredAffinityOf } from '../scheduling/node-affinity.js';
import type { RequiredAffinity } from '../scheduling/types.js';

/** every node the affinity admits carries key=value (each term requires it with In [value]) */
function affinityImplies(a: RequiredAffinity | undefined, key: string, value: string): boolean {
  const terms = a?.terms.filter((t) => t.never === undefined) ?? [];
  return (
    terms.length > 0 &&
    terms.every((t) =>
      t.matchExpressions.some((r) => r.key === key && r.operator === 'In' && r.values.length > 0 && r.values.every((v) => v === value)),
    )
  );
}

const podTemplate: PodTemplateCheck = (target, intent, ctx) => {
  if (target.kind !== 'DaemonSet' || intent.runtimeClassName === undefined) return [];
  const rc = ctx.state.getRuntimeClass(intent.runtimeClassName);
  if (rc?.nodeSelector === undefined) return [];
  const own = target.nodeSelector;
  const affinity = requiredAffinityOf(target.spec);
  const missing = sortedPairs(rc.nodeSelector).filter(([k, v]) => own[k] !== v && !affinityImplies(affinity, k, v));
  if (missing.length === 0) return [];
  let labelled = 0;
  for (const _ of ctx.state.nodesMatching(rc.nodeSelector)) labelled++;
  const others = ctx.state.nodeCount() - labelled;
  const selector = Object.fromEntries(missing);
  const effect =
    others === 0
      ? 'every node carries the label today, but any node that joins without it would get a pod that stays Pending'
      : others === 1
        ? 'the one node without the label would get a pod that stays Pending'
        : `the ${plural(others, 'node')} without the label would each get a pod that stays Pending`;
  return [
    `${describeTarget(target)} uses RuntimeClass ${rc.name}, whose pods can run only on nodes with ${formatSelector(rc.nodeSelector)}, ` +
      `but ${field(target, 'nodeSelector')} does not select them: the DaemonSet controller creates a pod for every node the template ` +
      `allows, so ${effect}. Fix: add ${formatSelector(selector)} to ${field(target, 'nodeSelector')}.`,
  ];
};

export const daemonsetSelectsRuntimeNodes: Rule = {
  id: 'daemonset-selects-runtime-nodes',
  summary: 'A DaemonSet using a RuntimeClass with a node selector selects the same nodes in its template.',
  defaultMode: 'warn',
  checks: { podTemplate: { CREATE: podTemplate, UPDATE: podTemplate } },
};
