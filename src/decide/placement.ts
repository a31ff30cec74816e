/**
 * Where can a pod go? The decision core's door to src/scheduling: the pod's placement query (its
 * nodeSelector merged with the RuntimeClass's, tolerations, required node affinity, spec.nodeName,
 * the class's handler), the search for one usable node, and the report of why there is none. The
 * semantics are kube-scheduler's NodeAffinity, TaintToleration and NodeUnschedulable filters and
 * kubelet's handler and nodeName rules (src/scheduling/*); the text is in why-no-node.ts.
 */
import type { Labels, NodeInfo, RuntimeClassInfo, Taint, Toleration } from '../cluster/types.js';
import { explainNoNode, type NoNodeReport } from '../scheduling/explain.js';
import { stateFits, unfit } from '../scheduling/fit.js';
import { classQuery, placementOf, type SelectorConflict } from '../scheduling/query.js';
import { findUsableNode } from '../scheduling/search.js';
import { untoleratedTaints } from '../scheduling/taints.js';
import type { PlacementQuery } from '../scheduling/types.js';
import type { PodTarget, RuleContext } from './types.js';

export type { SelectorConflict };
export { explainNoUsableNode, type ExplainOptions } from './why-no-node.js';

export interface PodPlacement {
  /** pod nodeSelector merged with the RuntimeClass's scheduling.nodeSelector */
  selector: Labels;
  /** pod tolerations plus the RuntimeClass's plus the API server's defaults */
  tolerations: readonly Toleration[];
  conflicts: readonly SelectorConflict[];
  /** everything the search and the report read */
  query: PlacementQuery;
}

/** placementFor's answers for one request, by requireReady and class (PodTarget.placements). */
export type PlacementCache = Map<string, Map<RuntimeClassInfo | undefined, PodPlacement>>;

/** The pod's placement query with the class's merged in: computed once per request and class, shared by the rules. */
export function placementFor(target: PodTarget, rc: RuntimeClassInfo | undefined, ctx?: RuleContext): PodPlacement {
  const requireReady = ctx?.config.nodes.requireReady ?? true;
  // kept on the target, which lives as long as its request (see PodTarget.placements)
  const byReady = (target.placements ??= new Map());
  let byClass = byReady.get(String(requireReady));
  if (byClass === undefined) byReady.set(String(requireReady), (byClass = new Map()));
  let placement = byClass.get(rc);
  if (placement === undefined) {
    const p = placementOf(target.spec, rc, { requireReady });
    placement = { selector: p.query.selector, tolerations: p.query.tolerations, conflicts: p.conflicts, query: p.query };
    byClass.set(rc, placement);
  }
  return placement;
}

/** The query for "may pods of this class run somewhere" (no pod constraints). */
export function queryForClass(rc: RuntimeClassInfo, ctx: RuleContext): PlacementQuery {
  return classQuery(rc, { requireReady: ctx.config.nodes.requireReady });
}

/** A node the query may use (the first the index finds), or undefined. */
export function usableNode(q: PlacementQuery, ctx: RuleContext): NodeInfo | undefined {
  return findUsableNode(ctx.state.schedulingIndex(), q);
}

/** The facts behind a denial; only computed when usableNode found nothing. */
export function noNodeReport(q: PlacementQuery, ctx: RuleContext): NoNodeReport {
  return explainNoNode(ctx.state.schedulingIndex(), q);
}

function selectorQuery(selector: Labels, tols: readonly Toleration[], ctx: RuleContext): PlacementQuery {
  return {
    selector,
    affinity: undefined,
    tolerations: tols,
    handler: undefined,
    nodeName: undefined,
    requireReady: ctx.config.nodes.requireReady,
  };
}

export type Unusable = 'not-ready' | 'cordoned' | 'tainted' | 'handler';

/** Why a node's state keeps a pod with these tolerations (and this handler) off it; labels aside. */
export function whyUnusable(node: NodeInfo, tols: readonly Toleration[], ctx: RuleContext, handler?: string): Unusable | undefined {
  const q: PlacementQuery = { ...selectorQuery({}, tols, ctx), handler };
  if (stateFits(node, q)) return undefined;
  const why = unfit(node, q);
  return why === undefined || why.kind === 'name' || why.kind === 'selector' || why.kind === 'affinity' ? undefined : why.kind;
}

/** NoSchedule/NoExecute taints of `node` that no toleration tolerates. */
export function blockingTaints(node: NodeInfo, tols: readonly Toleration[]): Taint[] {
  return untoleratedTaints(node.taints, tols);
}

export function classHasUsableNode(rc: RuntimeClassInfo, ctx: RuleContext, target?: PodTarget): boolean {
  if (target === undefined) return usableNode(queryForClass(rc, ctx), ctx) !== undefined;
  const p = placementFor(target, rc, ctx);
  return p.conflicts.length === 0 && usableNode(p.query, ctx) !== undefined;
}
