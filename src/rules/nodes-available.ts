/**
 * nodes-available: a Wasm pod can land on a node that runs it, judged as kube-scheduler judges it
 * (its nodeSelector merged with the RuntimeClass's, required node affinity, taints and tolerations,
 * cordons) and as kubelet judges it (the handlers the node reports; for spec.nodeName, kubelet's
 * admission). Otherwise it would sit in Pending, or fail at sandbox creation.
 */
import { describeTarget, field } from '../decide/format.js';
import { explainNoUsableNode, noNodeReport, placementFor, usableNode } from '../decide/placement.js';
import type { PodTemplateCheck, Rule } from '../decide/types.js';

const podTemplate: PodTemplateCheck = (target, intent, ctx) => {
  if (intent.runtimeClassName === undefined) return [];
  const rc = ctx.state.getRuntimeClass(intent.runtimeClassName);
  if (rc === undefined) return [];
  const p = placementFor(target, rc, ctx);
  if (p.conflicts.length > 0) return [];
  if (usableNode(p.query, ctx) !== undefined) return [];
  return [
    explainNoUsableNode(noNodeReport(p.query, ctx), {
      headline: `${describeTarget(target)} (RuntimeClass ${rc.name}) has no node to run on`,
      tolerationField: `${field(target, 'tolerations')} or RuntimeClass ${rc.name}'s scheduling.tolerations`,
      specField: target.specField,
      handler: rc.handler,
    }),
  ];
};

export const nodesAvailable: Rule = {
  id: 'nodes-available',
  summary:
    'A Wasm pod has a node it can run on: node selector, required node affinity, taints, cordons, spec.nodeName and the handlers kubelet reports.',
  defaultMode: 'enforce',
  checks: { podTemplate: { CREATE: podTemplate, UPDATE: podTemplate } },
};
