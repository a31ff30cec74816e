/**
 * One node, one pod: could the pod run there? The reference check that the indexed search
 * (search.ts) must agree with, and the reason a node is unfit, for explanations.
 *
 * Checks, in order: the name (spec.nodeName), the merged nodeSelector, required node affinity, Ready
 * (only with requireReady), the cordon (NodeUnschedulable), taints (TaintToleration), and the
 * RuntimeClass's handler among those kubelet reports. A pod with spec.nodeName skips the scheduler:
 * kubelet admits it on a cordoned node and checks only NoExecute taints.
 */
import { handlerOk } from './handlers.js';
import { matchesAffinity, selectorMismatch } from './node-affinity.js';
import { hasUntoleratedTaint, toleratesUnschedulable, untoleratedTaints } from './taints.js';
import type { PlacementQuery, SchedNode, Unfit } from './types.js';

/** The labels and name pass the selector and affinity (the "Wasm nodes" for a Wasm class). */
export function labelsFit(node: SchedNode, q: PlacementQuery): boolean {
  return (
    (q.nodeName === undefined || node.name === q.nodeName) &&
    selectorMismatch(q.selector, node.labels) === undefined &&
    matchesAffinity(q.affinity, node.name, node.labels)
  );
}

/** The node's state (readiness, cordon, taints, handler) lets the pod run, its labels aside. */
export function stateFits(node: SchedNode, q: PlacementQuery): boolean {
  if (q.requireReady && !node.ready) return false;
  const pinned = q.nodeName !== undefined;
  if (node.unschedulable && !pinned && !toleratesUnschedulable(q.tolerations)) return false;
  if (hasUntoleratedTaint(node.taints, q.tolerations, pinned ? 'kubelet' : 'scheduler')) return false;
  return handlerOk(node, q.handler);
}

export function fits(node: SchedNode, q: PlacementQuery): boolean {
  return labelsFit(node, q) && stateFits(node, q);
}

/** Why the node cannot take the pod; undefined when it can. */
export function unfit(node: SchedNode, q: PlacementQuery): Unfit | undefined {
  if (q.nodeName !== undefined && node.name !== q.nodeName) return { kind: 'name' };
  const key = selectorMismatch(q.selector, node.labels);
  if (key !== undefined) return { kind: 'selector', key };
  if (!matchesAffinity(q.affinity, node.name, node.labels)) return { kind: 'affinity' };
  if (q.requireReady && !node.ready) return { kind: 'not-ready' };
  const pinned = q.nodeName !== undefined;
  if (node.unschedulable && !pinned && !toleratesUnschedulable(q.tolerations)) return { kind: 'cordoned' };
  const taints = untoleratedTaints(node.taints, q.tolerations, pinned ? 'kubelet' : 'scheduler');
  if (taints.length > 0) return { kind: 'tainted', taints };
  if (!handlerOk(node, q.handler)) return { kind: 'handler', reported: node.runtimeHandlers };
  return undefined;
}
