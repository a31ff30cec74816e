/**
 * Why no node: the facts a denial needs, computed only when the search found nothing. Counts are
 * over the nodes that match the merged nodeSelector (for a Wasm RuntimeClass with a selector: its
 * Wasm nodes), so "which term or expression excluded the Wasm nodes" has a number per expression.
 */
import type { Labels, Taint } from '../cluster/types.js';
import { unfit } from './fit.js';
import { formatRequirement, matchesField, matchesRequirement, matchesTerm, selectorMismatch } from './node-affinity.js';
import type { SchedulingIndex } from './node-index.js';
import type { PlacementQuery, Requirement, SchedNode } from './types.js';

export interface ExpressionReport {
  readonly field: 'matchExpressions' | 'matchFields';
  readonly index: number;
  /** "key In [a, b]" */
  readonly text: string;
  /** selector-matching nodes this expression alone rejects */
  readonly excludes: number;
}

export interface TermReport {
  readonly index: number;
  /** why the term can never match (empty, or not parseable upstream) */
  readonly never?: string;
  /** selector-matching nodes that satisfy the whole term */
  readonly matches: number;
  readonly expressions: readonly ExpressionReport[];
}

export interface HandlerMismatch {
  readonly node: string;
  readonly labels: Labels;
  readonly handlers: readonly string[];
}

export interface NoNodeReport {
  readonly totalNodes: number;
  readonly selector: Labels;
  /** nodes carrying each selector pair */
  readonly perLabel: readonly { key: string; value: string; count: number }[];
  /** nodes matching the whole selector */
  readonly selectorMatches: number;
  /** required affinity, per term; undefined without affinity */
  readonly terms: readonly TermReport[] | undefined;
  /** spec.nodeName: the node and what it lacks */
  readonly nodeName:
    | { readonly name: string; readonly exists: boolean; readonly missingLabels: readonly string[]; readonly affinityFails: boolean }
    | undefined;
  /** nodes passing the selector, the affinity and the name */
  readonly labelMatches: number;
  readonly usable: readonly string[];
  readonly notReady: readonly string[];
  readonly cordoned: readonly string[];
  readonly tainted: readonly { node: string; taints: readonly Taint[] }[];
  readonly handlerMissing: readonly HandlerMismatch[];
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function sortedPairs(labels: Labels): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => byName(a, b));
}

function domain(ix: SchedulingIndex, q: PlacementQuery): SchedNode[] {
  if (q.nodeName !== undefined) {
    const n = ix.get(q.nodeName);
    return n === undefined ? [] : [n];
  }
  return [...ix.matching(q.selector)];
}

/**
 * How many domain nodes pass one requirement: from the postings the requirement names when they
 * are smaller than the domain (each posting member is checked against the selector), else by
 * walking the domain. A denial's explanation thus costs the selector's postings too, not the cluster.
 */
function passing(ix: SchedulingIndex, r: Requirement, selector: Labels, size: number, domainNodes: () => SchedNode[]): number {
  const values = ix.valuesOf(r.key);
  let postings: ReadonlySet<string>[] | undefined;
  if (r.operator === 'In' || r.operator === 'NotIn') postings = [...new Set(r.values)].map((v) => ix.posting(r.key, v));
  else if (r.operator === 'Exists' || r.operator === 'DoesNotExist') postings = [...(values?.values() ?? [])];
  else postings = [...(values ?? [])].filter(([v]) => matchesRequirement(r, { [r.key]: v })).map(([, names]) => names);
  const cost = postings.reduce((n, p) => n + p.size, 0);
  let hits: number;
  if (cost <= size) {
    hits = 0;
    for (const p of postings) {
      for (const name of p) {
        const n = ix.get(name);
        if (n !== undefined && selectorMismatch(selector, n.labels) === undefined) hits++;
      }
    }
  } else {
    const probe =
      r.operator === 'NotIn'
        ? { ...r, operator: 'In' as const }
        : r.operator === 'DoesNotExist'
          ? { ...r, operator: 'Exists' as const }
          : r;
    hits = domainNodes().filter((n) => matchesRequirement(probe, n.labels)).length;
  }
  // hits counts nodes carrying one of the named values (In, NotIn) or the key (Exists, DoesNotExist), or in range (Gt, Lt)
  return r.operator === 'NotIn' || r.operator === 'DoesNotExist' ? size - hits : hits;
}

export function explainNoNode(ix: SchedulingIndex, q: PlacementQuery): NoNodeReport {
  let materialized: SchedNode[] | undefined;
  const nodes = (): SchedNode[] => (materialized ??= domain(ix, q));
  const pairs = Object.keys(q.selector);
  const size =
    q.nodeName !== undefined
      ? nodes().filter((n) => selectorMismatch(q.selector, n.labels) === undefined).length
      : pairs.length === 0
        ? ix.size
        : pairs.length === 1
          ? ix.count(pairs[0]!, q.selector[pairs[0]!]!)
          : nodes().length;
  const inSelector = (): SchedNode[] =>
    q.nodeName === undefined ? nodes() : nodes().filter((n) => selectorMismatch(q.selector, n.labels) === undefined);
  const terms = q.affinity?.terms.map((t): TermReport => {
    const expressions: ExpressionReport[] = [
      ...t.matchExpressions.map((r, index) => ({
        field: 'matchExpressions' as const,
        index,
        text: formatRequirement(r),
        excludes:
          q.nodeName === undefined
            ? size - passing(ix, r, q.selector, size, nodes)
            : inSelector().filter((n) => !matchesRequirement(r, n.labels)).length,
      })),
      ...t.matchFields.map((r, index) => ({
        field: 'matchFields' as const,
        index,
        text: formatRequirement(r),
        excludes: inSelector().filter((n) => !matchesField(r, n.name)).length,
      })),
    ];
    // an expression that excludes every node settles the term without walking the nodes
    const matches =
      t.never !== undefined || expressions.some((e) => e.excludes === size)
        ? 0
        : inSelector().filter((n) => matchesTerm(t, n.name, n.labels)).length;
    return t.never === undefined ? { index: t.index, matches, expressions } : { index: t.index, never: t.never, matches, expressions };
  });
  const usable: string[] = [];
  const notReady: string[] = [];
  const cordoned: string[] = [];
  const tainted: { node: string; taints: readonly Taint[] }[] = [];
  const handlerMissing: HandlerMismatch[] = [];
  let labelMatches = 0;
  // when the affinity excludes every node, no node reaches the state checks: nothing to walk
  const affinityExcludesAll = terms !== undefined && terms.every((t) => t.matches === 0);
  for (const n of affinityExcludesAll ? [] : nodes()) {
    const why = unfit(n, q);
    if (why?.kind === 'name' || why?.kind === 'selector' || why?.kind === 'affinity') continue;
    labelMatches++;
    if (why === undefined) usable.push(n.name);
    else if (why.kind === 'not-ready') notReady.push(n.name);
    else if (why.kind === 'cordoned') cordoned.push(n.name);
    else if (why.kind === 'tainted') tainted.push({ node: n.name, taints: why.taints });
    else handlerMissing.push({ node: n.name, labels: n.labels, handlers: why.reported });
  }
  let nodeName: NoNodeReport['nodeName'];
  if (q.nodeName !== undefined) {
    const n = ix.get(q.nodeName);
    nodeName = {
      name: q.nodeName,
      exists: n !== undefined,
      missingLabels:
        n === undefined
          ? []
          : sortedPairs(q.selector)
              .filter(([k, v]) => n.labels[k] !== v)
              .map(([k]) => k),
      affinityFails: n !== undefined && q.affinity !== undefined && !q.affinity.terms.some((t) => matchesTerm(t, n.name, n.labels)),
    };
  }
  for (const list of [usable, notReady, cordoned]) list.sort(byName);
  tainted.sort((a, b) => byName(a.node, b.node));
  handlerMissing.sort((a, b) => byName(a.node, b.node));
  return {
    totalNodes: ix.size,
    selector: q.selector,
    perLabel: sortedPairs(q.selector).map(([key, value]) => ({ key, value, count: ix.count(key, value) })),
    selectorMatches: size,
    terms,
    nodeName,
    labelMatches,
    usable,
    notReady,
    cordoned,
    tainted,
    handlerMissing,
  };
}

/** Nodes whose labels promise a handler (they match a class's selector) that they do not report. */
export function nodesMissingHandler(ix: SchedulingIndex, selector: Labels, handler: string): HandlerMismatch[] {
  const out: HandlerMismatch[] = [];
  if (Object.keys(selector).length === 0) return out; // a class without a selector promises nothing
  for (const n of ix.matching(selector)) {
    if (n.runtimeHandlers.length > 0 && !n.runtimeHandlers.includes(handler))
      out.push({ node: n.name, labels: n.labels, handlers: n.runtimeHandlers });
  }
  return out.sort((a, b) => byName(a.node, b.node));
}
