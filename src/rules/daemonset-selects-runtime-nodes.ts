/**
 * daemonset-selects-runtime-nodes: a DaemonSet that uses a RuntimeClass with a node selector also
 * selects those nodes itself. The DaemonSet controller decides where to create pods from the
 * template alone; kube-apiserver then merges the RuntimeClass's selector into each pod, so every
 * pod made for a node without the label can never be scheduled and stays Pending.
 */
import { stringMap } from '../objects/json.js';
import { describeTarget, field, formatSelector, plural, sortedPairs } from '../decide/format.js';
import type { PodTemplateCheck, Rule } from '../decide/types.js';

const podTemplate: PodTemplateCheck = (target, intent, ctx) => {
  if (target.kind !== 'DaemonSet' || intent.runtimeClassName === undefined) return [];
  const rc = ctx.state.getRuntimeClass(intent.runtimeClassName);
  if (rc?.nodeSelector === undefined) return [];
  const own = stringMap(target.spec['nodeSelector']);
  const missing = sortedPairs(rc.nodeSelector).filter(([k, v]) => own[k] !== v);
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
  summary: "A DaemonSet using a RuntimeClass with a node selector selects the same nodes in its template.",
  defaultMode: 'warn',
  checks: { podTemplate: { CREATE: podTemplate, UPDATE: podTemplate } },
};
