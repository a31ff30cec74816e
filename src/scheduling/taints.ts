/**
 * Taints and tolerations as kube-scheduler's TaintToleration and NodeUnschedulable filters judge
 * them, and as kubelet judges a pod that names its node (spec.nodeName bypasses the scheduler).
 *
 * - Toleration.ToleratesTaint (k8s.io/api/core/v1): an empty effect matches every effect, an empty
 *   key matches every key (the API only allows that with Exists), Exists ignores the value, Equal
 *   (or no operator) compares values; any other operator tolerates nothing.
 * - TaintToleration filter: every NoSchedule and NoExecute taint must be tolerated; PreferNoSchedule
 *   never blocks. The not-ready and unreachable taints are taints like any other.
 * - NodeUnschedulable filter: a cordoned node (spec.unschedulable) takes a pod only when the pod
 *   tolerates node.kubernetes.io/unschedulable:NoSchedule (DaemonSet pods do).
 * - kubelet's admission (pkg/kubelet/lifecycle/predicate.go): only NoExecute taints are checked, and
 *   cordoning is not; this is the rule for pods with spec.nodeName.
 */
import type { Taint, Toleration } from '../cluster/types.js';

export const UNSCHEDULABLE_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
export const NOT_READY_TAINT_KEY = 'node.kubernetes.io/not-ready';

/**
 * The tolerations kube-apiserver's DefaultTolerationSeconds admission plugin (enabled by default)
 * gives every pod that does not tolerate these taints already: 300 s on not-ready and unreachable.
 */
export const DEFAULT_TOLERATIONS: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
];

export function isDefaultToleration(t: Toleration): boolean {
  return DEFAULT_TOLERATIONS.some(
    (d) =>
      d.key === t.key &&
      d.operator === t.operator &&
      d.effect === t.effect &&
      d.tolerationSeconds === t.tolerationSeconds &&
      t.value === undefined,
  );
}

export function toleratesTaint(tol: Toleration, taint: Taint): boolean {
  if (tol.effect !== undefined && tol.effect !== '' && tol.effect !== taint.effect) return false;
  if (tol.key !== undefined && tol.key !== '' && tol.key !== taint.key) return false;
  const operator = tol.operator ?? '';
  if (operator === 'Exists') return true;
  if (operator === '' || operator === 'Equal') return (tol.value ?? '') === (taint.value ?? '');
  return false;
}

export function tolerated(taint: Taint, tols: readonly Toleration[]): boolean {
  return tols.some((tol) => toleratesTaint(tol, taint));
}

/** Effects that keep a pod off a node: the scheduler's (NoSchedule, NoExecute) or kubelet's (NoExecute). */
export type TaintRule = 'scheduler' | 'kubelet';

export function blocks(effect: string, rule: TaintRule): boolean {
  return rule === 'kubelet' ? effect === 'NoExecute' : effect === 'NoSchedule' || effect === 'NoExecute';
}

/** The taints of a node that keep this pod off it (empty: all tolerated). */
export function untoleratedTaints(taints: readonly Taint[], tols: readonly Toleration[], rule: TaintRule = 'scheduler'): Taint[] {
  const out: Taint[] = [];
  for (const t of taints) if (blocks(t.effect, rule) && !tolerated(t, tols)) out.push(t);
  return out;
}

export function hasUntoleratedTaint(taints: readonly Taint[], tols: readonly Toleration[], rule: TaintRule = 'scheduler'): boolean {
  for (const t of taints) if (blocks(t.effect, rule) && !tolerated(t, tols)) return true;
  return false;
}

/** The NodeUnschedulable filter's question: may this pod use a cordoned node? */
export function toleratesUnschedulable(tols: readonly Toleration[]): boolean {
  return tolerated(UNSCHEDULABLE_TAINT, tols);
}

/** A node that every pod may use as far as taints and cordons go: not cordoned, no blocking taint. */
export function isClean(node: { readonly unschedulable: boolean; readonly taints: readonly Taint[] }): boolean {
  return !node.unschedulable && !node.taints.some((t) => blocks(t.effect, 'scheduler'));
}

/** The toleration that tolerates exactly this taint, for fix suggestions. */
export function tolerationFor(t: Taint): Toleration {
  return t.value === undefined || t.value === ''
    ? { key: t.key, operator: 'Exists', effect: t.effect }
    : { key: t.key, operator: 'Equal', value: t.value, effect: t.effect };
}
