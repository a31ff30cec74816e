/**
 * Where can a pod go? Selector merging (as kube-apiserver's RuntimeClass plugin does it), taint
 * toleration (as the scheduler's TaintToleration filter does it), and a report that explains,
 * with counts, why no node qualifies.
 */
import type { Labels, NodeInfo, RuntimeClassInfo, Taint, Toleration } from '../cluster/types.js';
import { tolerations as parseTolerations } from '../cluster/lean.js';
import { stringMap } from '../objects/json.js';
import { formatSelector, formatTaint, formatToleration, listNames, plural, sortedPairs, tolerationFor } from './format.js';
import { isKubernetesLabel } from './labels.js';
import type { PodTarget, RuleContext } from './types.js';

export interface SelectorConflict {
  key: string;
  podValue: string;
  classValue: string;
}

export interface PodPlacement {
  /** pod nodeSelector merged with the RuntimeClass's scheduling.nodeSelector */
  selector: Labels;
  /** pod tolerations plus the RuntimeClass's scheduling.tolerations */
  tolerations: Toleration[];
  conflicts: SelectorConflict[];
}

export function placementFor(target: PodTarget, rc: RuntimeClassInfo | undefined): PodPlacement {
  const podSelector = stringMap(target.spec['nodeSelector']);
  const selector: Record<string, string> = { ...podSelector };
  const conflicts: SelectorConflict[] = [];
  for (const [key, value] of Object.entries(rc?.nodeSelector ?? {})) {
    const podValue = podSelector[key];
    if (podValue !== undefined && podValue !== value) conflicts.push({ key, podValue, classValue: value });
    else selector[key] = value;
  }
  return {
    selector,
    tolerations: [...parseTolerations(target.spec['tolerations']), ...(rc?.tolerations ?? [])],
    conflicts,
  };
}

/** Taints that the Ready/cordon checks already account for; counting them again would double-report. */
const CONDITION_TAINTS = new Set([
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
  'node.kubernetes.io/unschedulable',
]);

/** The scheduler's rule (k8s.io/api/core/v1 Toleration.ToleratesTaint). */
export function tolerates(tol: Toleration, taint: Taint): boolean {
  if (tol.effect !== undefined && tol.effect !== '' && tol.effect !== taint.effect) return false;
  if (tol.key !== undefined && tol.key !== '' && tol.key !== taint.key) return false;
  const operator = tol.operator === undefined || tol.operator === '' ? 'Equal' : tol.operator;
  if (operator === 'Exists') return true;
  if (operator !== 'Equal') return false;
  // an empty key with Equal matches nothing in the API's validation; key must be set
  if (tol.key === undefined || tol.key === '') return false;
  return (tol.value ?? '') === (taint.value ?? '');
}

/** NoSchedule/NoExecute taints of `node` that no toleration tolerates. */
export function blockingTaints(node: NodeInfo, tols: readonly Toleration[]): Taint[] {
  return node.taints.filter(
    (t) =>
      (t.effect === 'NoSchedule' || t.effect === 'NoExecute') &&
      !CONDITION_TAINTS.has(t.key) &&
      !tols.some((tol) => tolerates(tol, t)),
  );
}

export type Unusable = 'not-ready' | 'cordoned' | 'tainted';

export function whyUnusable(node: NodeInfo, tols: readonly Toleration[], ctx: RuleContext): Unusable | undefined {
  if (ctx.config.nodes.requireReady) {
    if (!node.ready) return 'not-ready';
    if (node.unschedulable) return 'cordoned';
  }
  return blockingTaints(node, tols).length > 0 ? 'tainted' : undefined;
}

/** The first node a pod with this selector and these tolerations could run on (early exit: the hot path). */
export function firstUsableNode(selector: Labels, tols: readonly Toleration[], ctx: RuleContext): NodeInfo | undefined {
  for (const node of ctx.state.nodesMatching(selector)) {
    if (whyUnusable(node, tols, ctx) === undefined) return node;
  }
  return undefined;
}

export function classHasUsableNode(rc: RuntimeClassInfo, ctx: RuleContext, target?: PodTarget): boolean {
  if (target === undefined) return firstUsableNode(rc.nodeSelector ?? {}, rc.tolerations, ctx) !== undefined;
  const p = placementFor(target, rc);
  return p.conflicts.length === 0 && firstUsableNode(p.selector, p.tolerations, ctx) !== undefined;
}

export interface PlacementReport {
  selector: Labels;
  totalNodes: number;
  perLabel: { key: string; value: string; count: number }[];
  matching: number;
  usable: string[];
  notReady: string[];
  cordoned: string[];
  tainted: { node: string; taints: Taint[] }[];
}

/** The full picture for a denial: only computed when no usable node was found. */
export function placementReport(selector: Labels, tols: readonly Toleration[], ctx: RuleContext): PlacementReport {
  const report: PlacementReport = {
    selector,
    totalNodes: ctx.state.nodeCount(),
    perLabel: sortedPairs(selector).map(([key, value]) => ({ key, value, count: ctx.state.countWithLabel(key, value) })),
    matching: 0,
    usable: [],
    notReady: [],
    cordoned: [],
    tainted: [],
  };
  for (const node of ctx.state.nodesMatching(selector)) {
    report.matching++;
    const why = whyUnusable(node, tols, ctx);
    if (why === undefined) report.usable.push(node.name);
    else if (why === 'not-ready') report.notReady.push(node.name);
    else if (why === 'cordoned') report.cordoned.push(node.name);
    else report.tainted.push({ node: node.name, taints: blockingTaints(node, tols) });
  }
  for (const list of [report.usable, report.notReady, report.cordoned]) list.sort();
  report.tainted.sort((a, b) => (a.node < b.node ? -1 : 1));
  return report;
}

export interface ExplainOptions {
  /** e.g. "Pod default/hello (RuntimeClass wasm1) has no node to run on" */
  headline: string;
  /** where a missing toleration should go, e.g. "spec.tolerations or the RuntimeClass's scheduling.tolerations" */
  tolerationField: string;
}

/** "no node to run on" explained: counts per label, per reason, and the fix for each reason. */
export function explainNoUsableNode(r: PlacementReport, o: ExplainOptions): string {
  const sel = formatSelector(r.selector);
  // only suggest labels an admin should add: kubelet's own (kubernetes.io/arch, ...) are facts about
  // a node, and other reserved keys are what the reserved-label-keys rule tells them to replace
  const labelable = sortedPairs(r.selector).filter(([k]) => !isKubernetesLabel(k));
  const labelCmd = labelable.length === 0 ? undefined : `kubectl label nodes <node> ${labelable.map(([k, v]) => `${k}=${v}`).join(' ')}`;
  if (r.totalNodes === 0) {
    return (
      `${o.headline}: the cluster has no nodes. Fix: join nodes that have the runtime installed` +
      (labelCmd === undefined ? '.' : ` and label them: ${labelCmd}.`)
    );
  }
  if (r.matching === 0) {
    const counts = r.perLabel.map((l) => `${plural(l.count, 'node')} ${l.count === 1 ? 'carries' : 'carry'} ${l.key}=${l.value}`);
    return (
      `${o.headline}: no node matches the node selector ${sel} ` +
      `(of ${plural(r.totalNodes, 'node')}, ${counts.join(', ')}). ` +
      (labelCmd === undefined
        ? 'Fix: change the node selector to labels that the nodes with the runtime carry.'
        : `Fix: label the nodes that have the runtime installed: ${labelCmd}.`)
    );
  }
  const scope =
    Object.keys(r.selector).length > 0
      ? `${plural(r.matching, 'node')} ${r.matching === 1 ? 'matches' : 'match'} the node selector ${sel}`
      : r.matching === 1
        ? "there is no node selector, so the cluster's only node qualifies"
        : `there is no node selector, so all ${r.matching} nodes qualify`;
  const reasons: string[] = [];
  const fixes: string[] = [];
  // one matching node: "it is cordoned (n1)"; several: "2 are cordoned (n1 and n2)"
  const single = r.matching === 1;
  const count = (n: number, one: string, many: string): string => (single ? `it ${one}` : `${n} ${n === 1 ? one : many}`);
  if (r.notReady.length > 0) {
    reasons.push(`${count(r.notReady.length, 'is', 'are')} NotReady (${listNames(r.notReady)})`);
    fixes.push(single ? 'bring it back to Ready' : 'bring a node back to Ready');
  }
  if (r.cordoned.length > 0) {
    reasons.push(`${count(r.cordoned.length, 'is', 'are')} cordoned (${listNames(r.cordoned)})`);
    fixes.push(`uncordon ${r.cordoned.length === 1 ? 'it' : 'one'}: kubectl uncordon ${r.cordoned[0]}`);
  }
  if (r.tainted.length > 0) {
    const shown = r.tainted.slice(0, 3).map((t) => `${t.node}: ${t.taints.map(formatTaint).join(', ')}`);
    const more = r.tainted.length > 3 ? ` and ${r.tainted.length - 3} more` : '';
    reasons.push(`${count(r.tainted.length, 'has', 'have')} taints that are not tolerated (${shown.join('; ')}${more})`);
    const distinct = new Map<string, Taint>();
    for (const t of r.tainted) for (const taint of t.taints) distinct.set(formatTaint(taint), taint);
    const tolerationsText = [...distinct.values()].slice(0, 3).map((t) => formatToleration(tolerationFor(t)));
    fixes.push(`add the toleration${tolerationsText.length === 1 ? '' : 's'} ${tolerationsText.join(' and ')} to ${o.tolerationField}`);
  }
  if (labelCmd !== undefined) fixes.push(`label another Ready node: ${labelCmd}`);
  const reasonText = reasons.length === 1 ? reasons[0] : `${reasons.slice(0, -1).join(', ')} and ${reasons[reasons.length - 1]}`;
  return `${o.headline}: ${scope}, but ${reasonText}. Fix: ${fixes.join('; or ')}.`;
}
