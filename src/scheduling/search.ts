/**
 * "Is there a node this pod can run on?", answered from the scheduling index in time proportional
 * to the pod's selector, not to the cluster.
 *
 * For each nodeSelectorTerm (ORed; no affinity is one term without expressions):
 *  1. candidates come from the most selective POSITIVE constraint: a nodeSelector pair, an In list
 *     (the union of its values' postings), Exists (the key's nodes), Gt/Lt (the postings of the key's
 *     values in range: cost the number of distinct values), NotIn on a key every node carries (the
 *     postings of the key's other values), or matchFields metadata.name In (one node). Each
 *     candidate gets the full check (fit.ts). Cost: that posting list.
 *  2. a term with no positive constraint (only NotIn, DoesNotExist, metadata.name NotIn, or nothing):
 *     - counts first: when a NotIn's values or a DoesNotExist's key cover every node, the term
 *       matches no node; answered from posting sizes, no node visited;
 *     - else walk the clean nodes that allow the class's handler, group by group of nodes sharing
 *       the same label keys (node-index.ts): a group holding a DoesNotExist key is skipped whole;
 *       in the others every clean node passes every state check and every DoesNotExist, so each
 *       miss is a node whose value a NotIn lists (or the one a metadata.name NotIn names). Cost:
 *       the number of groups + the postings of the NotIn values + 1;
 *     - only if the pod has tolerations of its own (or readiness is not required) can a dirty node
 *       be usable: those are walked last (cost: the cordoned/tainted/NotReady nodes); with the API
 *       server's default tolerations alone, only the Ready, uncordoned nodes whose sole blocking
 *       taints are not-ready/unreachable NoExecute (normally none).
 * spec.nodeName: one lookup.
 */
import { fits } from './fit.js';
import { matchesRequirement, parseGoInt64 } from './node-affinity.js';
import type { SchedulingIndex } from './node-index.js';
import { isDefaultToleration } from './taints.js';
import type { PlacementQuery, Requirement, SchedNode, Term } from './types.js';

/** Counters for benchmarks and tests: how much of the index a search touched. */
export interface SearchStats {
  /** nodes given the full check */
  visited: number;
  /** label-key groups looked at (negative-only terms) */
  groups: number;
}

interface Generator {
  readonly size: number;
  names(): Iterable<string>;
}

function* unionOf(sets: readonly ReadonlySet<string>[]): Iterable<string> {
  if (sets.length === 1) {
    yield* sets[0]!;
    return;
  }
  const seen = new Set<string>();
  for (const s of sets) {
    for (const n of s) {
      if (seen.has(n)) continue;
      seen.add(n);
      yield n;
    }
  }
}

function setsGenerator(sets: ReadonlySet<string>[]): Generator {
  let size = 0;
  for (const s of sets) size += s.size;
  return { size, names: () => unionOf(sets) };
}

/** The candidates one positive requirement generates; undefined for a negative one. */
function requirementGenerator(ix: SchedulingIndex, r: Requirement): Generator | undefined {
  switch (r.operator) {
    case 'In':
      return setsGenerator([...new Set(r.values)].map((v) => ix.posting(r.key, v)));
    case 'Exists':
      return setsGenerator([...(ix.valuesOf(r.key)?.values() ?? [])]);
    case 'Gt':
    case 'Lt': {
      const sets: ReadonlySet<string>[] = [];
      for (const [value, names] of ix.valuesOf(r.key) ?? []) {
        if (parseGoInt64(value) !== undefined && matchesRequirement(r, { [r.key]: value })) sets.push(names);
      }
      return setsGenerator(sets);
    }
    case 'NotIn': {
      // when every node carries the key, NotIn is the postings of the key's other values: positive
      if (ix.keyCount(r.key) !== ix.size) return undefined;
      const sets: ReadonlySet<string>[] = [];
      for (const [value, names] of ix.valuesOf(r.key) ?? []) if (!r.values.includes(value)) sets.push(names);
      return setsGenerator(sets);
    }
    default:
      return undefined;
  }
}

function fieldGenerator(ix: SchedulingIndex, r: Requirement): Generator | undefined {
  if (r.operator !== 'In' || r.key !== 'metadata.name') return undefined;
  const name = r.values[0]!;
  return ix.get(name) === undefined ? { size: 0, names: () => [] } : { size: 1, names: () => [name] };
}

/** The smallest positive generator of (selector AND term); undefined when there is none. */
function bestGenerator(ix: SchedulingIndex, q: PlacementQuery, term: Term | undefined): Generator | undefined {
  let best: Generator | undefined;
  const consider = (g: Generator | undefined): void => {
    if (g !== undefined && (best === undefined || g.size < best.size)) best = g;
  };
  for (const key in q.selector) consider(setsGenerator([ix.posting(key, q.selector[key]!)]));
  for (const r of term?.matchExpressions ?? []) consider(requirementGenerator(ix, r));
  for (const r of term?.matchFields ?? []) consider(fieldGenerator(ix, r));
  return best;
}

/** Counts alone show that the term's negative expressions exclude every node. */
function excludesEveryNode(ix: SchedulingIndex, term: Term | undefined): boolean {
  const n = ix.size;
  for (const r of term?.matchExpressions ?? []) {
    if (r.operator === 'DoesNotExist' && ix.keyCount(r.key) === n) return true;
    if (r.operator === 'NotIn') {
      let excluded = 0;
      for (const v of new Set(r.values)) excluded += ix.count(r.key, v);
      if (excluded === n) return true;
    }
  }
  for (const r of term?.matchFields ?? []) {
    if (r.operator === 'NotIn' && r.key === 'metadata.name' && n === 1 && ix.get(r.values[0]!) !== undefined) return true;
  }
  return false;
}

function check(ix: SchedulingIndex, names: Iterable<string>, q: PlacementQuery, stats: SearchStats | undefined): SchedNode | undefined {
  for (const name of names) {
    const node = ix.get(name);
    if (node === undefined) continue;
    if (stats !== undefined) stats.visited++;
    if (fits(node, q)) return node;
  }
  return undefined;
}

/** A node the pod could run on (the first found), or undefined when there is none. */
export function findUsableNode(ix: SchedulingIndex, q: PlacementQuery, stats?: SearchStats): SchedNode | undefined {
  if (q.nodeName !== undefined) return check(ix, [q.nodeName], q, stats);
  const terms: (Term | undefined)[] = q.affinity === undefined ? [undefined] : q.affinity.terms.filter((t) => t.never === undefined);
  for (const term of terms) {
    const gen = bestGenerator(ix, q, term);
    // a query narrowed to one term: the others do not decide for these candidates
    const oneTerm: PlacementQuery = term === undefined ? q : { ...q, affinity: { terms: [term] } };
    if (gen !== undefined) {
      if (gen.size === 0) continue;
      const found = check(ix, gen.names(), oneTerm, stats);
      if (found !== undefined) return found;
      continue;
    }
    if (excludesEveryNode(ix, term)) continue;
    const absent = (term?.matchExpressions ?? []).filter((r) => r.operator === 'DoesNotExist').map((r) => r.key);
    for (const group of ix.keyGroups()) {
      if (stats !== undefined) stats.groups++;
      if (absent.some((k) => group.keys.has(k))) continue;
      const clean = check(ix, group.cleanFor(q.handler), oneTerm, stats);
      if (clean !== undefined) return clean;
    }
    // a dirty node is usable only through tolerations or relaxed readiness: the pod's own (or the
    // class's) tolerations, or readiness not required, may make any of them usable; the API
    // server's default tolerations only those whose sole blocking taints are not-ready/unreachable
    const own = q.tolerations.some((t) => !isDefaultToleration(t));
    const dirty = check(ix, own || !q.requireReady ? ix.dirtyNodes() : ix.defaultTolerableNodes(), oneTerm, stats);
    if (dirty !== undefined) return dirty;
  }
  return undefined;
}
