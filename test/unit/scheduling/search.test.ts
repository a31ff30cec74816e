import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fits } from '../../../src/scheduling/fit.js';
import { SchedulingIndex } from '../../../src/scheduling/node-index.js';
import { parseTerm } from '../../../src/scheduling/node-affinity.js';
import { findUsableNode, type SearchStats } from '../../../src/scheduling/search.js';
import { DEFAULT_TOLERATIONS } from '../../../src/scheduling/taints.js';
import type { PlacementQuery, SchedNode } from '../../../src/scheduling/types.js';
import { nodesArb, queryArb, schedNode } from './gen.js';

function indexOf(nodes: SchedNode[]): SchedulingIndex {
  const ix = new SchedulingIndex();
  for (const n of nodes) ix.upsert(n);
  return ix;
}

const q = (o: Partial<PlacementQuery> = {}): PlacementQuery => ({
  selector: {},
  affinity: undefined,
  tolerations: [],
  handler: undefined,
  nodeName: undefined,
  requireReady: true,
  ...o,
});
const terms = (...raw: unknown[]): PlacementQuery['affinity'] => ({ terms: raw.map((t, i) => parseTerm(t, i)) });
const W = { wasm: 'yes' };

describe('findUsableNode: table', () => {
  const cases: [string, SchedNode[], PlacementQuery, string | undefined][] = [
    ['selector match', [schedNode('a'), schedNode('w', W)], q({ selector: W }), 'w'],
    ['no selector: any clean node', [schedNode('a')], q(), 'a'],
    ['empty cluster', [], q(), undefined],
    ['cordoned, not tolerated', [schedNode('w', W, { unschedulable: true })], q({ selector: W }), undefined],
    [
      'cordoned, unschedulable tolerated (DaemonSet pods)',
      [schedNode('w', W, { unschedulable: true })],
      q({ selector: W, tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }),
      'w',
    ],
    ['PreferNoSchedule never blocks', [schedNode('w', W, { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] })], q({ selector: W }), 'w'],
    ['NotReady with requireReady', [schedNode('w', W, { ready: false })], q({ selector: W }), undefined],
    [
      'NotReady without requireReady, no taint: the scheduler would use it',
      [schedNode('w', W, { ready: false })],
      q({ selector: W, requireReady: false }),
      'w',
    ],
    [
      'NotReady taint tolerated, requireReady off',
      [schedNode('w', W, { ready: false, taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] })],
      q({ selector: W, requireReady: false, tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }] }),
      'w',
    ],
    ['handler reported', [schedNode('w', W, { runtimeHandlers: ['runc', 'wasmtime'] })], q({ selector: W, handler: 'wasmtime' }), 'w'],
    [
      'handler missing from the reported list',
      [schedNode('w', W, { runtimeHandlers: ['runc', 'spin'] })],
      q({ selector: W, handler: 'wasmtime' }),
      undefined,
    ],
    ['no handlers reported: labels decide', [schedNode('w', W)], q({ selector: W, handler: 'wasmtime' }), 'w'],
    [
      'affinity In',
      [schedNode('a', { zone: 'a' }), schedNode('b', { zone: 'b' })],
      q({ affinity: terms({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }) }),
      'b',
    ],
    [
      'NotIn only',
      [schedNode('a', { zone: 'a' }), schedNode('b', { zone: 'b' })],
      q({ affinity: terms({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }) }),
      'b',
    ],
    [
      'NotIn covering every node',
      [schedNode('a', { zone: 'a' })],
      q({ affinity: terms({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }) }),
      undefined,
    ],
    [
      'DoesNotExist',
      [schedNode('a', { zone: 'a' }), schedNode('b')],
      q({ affinity: terms({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }) }),
      'b',
    ],
    ['empty terms list', [schedNode('a')], q({ affinity: terms() }), undefined],
    ['an empty term', [schedNode('a')], q({ affinity: terms({}) }), undefined],
    [
      'Gt',
      [schedNode('a', { gen: '3' }), schedNode('b', { gen: '7' })],
      q({ affinity: terms({ matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['5'] }] }) }),
      'b',
    ],
    [
      'matchFields In',
      [schedNode('a'), schedNode('b')],
      q({ affinity: terms({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['b'] }] }) }),
      'b',
    ],
    ['nodeName: exists and fits', [schedNode('w', W)], q({ selector: W, nodeName: 'w' }), 'w'],
    ['nodeName: missing node', [schedNode('w', W)], q({ selector: W, nodeName: 'x' }), undefined],
    ['nodeName: lacks the selector', [schedNode('w')], q({ selector: W, nodeName: 'w' }), undefined],
    ['nodeName: cordoned is fine for kubelet', [schedNode('w', W, { unschedulable: true })], q({ selector: W, nodeName: 'w' }), 'w'],
    [
      'nodeName: NoSchedule is not checked by kubelet',
      [schedNode('w', W, { taints: [{ key: 'x', effect: 'NoSchedule' }] })],
      q({ selector: W, nodeName: 'w' }),
      'w',
    ],
    [
      'nodeName: NoExecute blocks',
      [schedNode('w', W, { taints: [{ key: 'x', effect: 'NoExecute' }] })],
      q({ selector: W, nodeName: 'w' }),
      undefined,
    ],
    [
      'nodeName: handler missing',
      [schedNode('w', W, { runtimeHandlers: ['runc'] })],
      q({ selector: W, nodeName: 'w', handler: 'spin' }),
      undefined,
    ],
  ];
  it.each(cases)('%s', (_n, nodes, query, want) => expect(findUsableNode(indexOf(nodes), query)?.name).toBe(want));
});

describe('findUsableNode agrees with the per-node check over every node (property)', () => {
  it('finds a node exactly when one fits, and what it finds fits', () => {
    fc.assert(
      fc.property(nodesArb(), queryArb, (nodes, query) => {
        const found = findUsableNode(indexOf(nodes), query);
        const expected = nodes.some((n) => fits(n, query));
        expect(found !== undefined).toBe(expected);
        if (found !== undefined) expect(fits(found, query)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('the index stays right through updates and deletes', () => {
    fc.assert(
      fc.property(nodesArb(), nodesArb(), fc.array(fc.nat(8)), queryArb, (first, second, deletes, query) => {
        const ix = indexOf(first);
        for (const n of second) ix.upsert(n);
        for (const d of deletes) ix.delete(`n${d}`);
        const live = new Map<string, SchedNode>();
        for (const n of [...first, ...second]) live.set(n.name, n);
        for (const d of deletes) live.delete(`n${d}`);
        expect(ix.size).toBe(live.size);
        expect(findUsableNode(ix, query) !== undefined).toBe([...live.values()].some((n) => fits(n, query)));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('request-path cost follows the selector, not the cluster', () => {
  /** `wasm` Wasm nodes labelled W (zone a/b alternating), plus `other` plain nodes in zone c */
  function cluster(wasm: number, other: number, wasmOpts: Partial<SchedNode> = {}): SchedulingIndex {
    const ix = new SchedulingIndex();
    // the plain nodes first: a search that walked the cluster in insertion order would meet them all
    for (let i = 0; i < other; i++) ix.upsert(schedNode(`p${i}`, { zone: 'c', tier: 'batch', ...(i % 2 ? { gpu: 'y' } : {}) }));
    for (let i = 0; i < wasm; i++) ix.upsert(schedNode(`w${i}`, { ...W, zone: i % 2 ? 'a' : 'b' }, wasmOpts));
    return ix;
  }
  const visits = (ix: SchedulingIndex, query: PlacementQuery): number => {
    const s: SearchStats = { visited: 0, groups: 0 };
    findUsableNode(ix, query, s);
    return s.visited;
  };
  const expr = (key: string, operator: string, values?: string[]): unknown => ({
    matchExpressions: [{ key, operator, ...(values ? { values } : {}) }],
  });
  /** [name, query, Wasm nodes cordoned] */
  const queries: [string, PlacementQuery, boolean][] = [
    ['selector, all Wasm nodes cordoned (none usable)', q({ selector: W }), true],
    ['selector + In zone [a], none usable', q({ selector: W, affinity: terms(expr('zone', 'In', ['a'])) }), true],
    ['NotIn only: zone NotIn [c] (excludes every plain node)', q({ affinity: terms(expr('zone', 'NotIn', ['c'])) }), false],
    ['NotIn only, none usable', q({ affinity: terms(expr('zone', 'NotIn', ['c'])) }), true],
    ['DoesNotExist only: tier (every plain node has it)', q({ affinity: terms(expr('tier', 'DoesNotExist')) }), false],
    ['DoesNotExist only, none usable', q({ affinity: terms(expr('tier', 'DoesNotExist')) }), true],
    [
      "DoesNotExist only, none usable, with the API server's default tolerations",
      q({ affinity: terms(expr('tier', 'DoesNotExist')), tolerations: DEFAULT_TOLERATIONS }),
      true,
    ],
    ['NotIn covering every node (from counts)', q({ affinity: terms(expr('zone', 'NotIn', ['a', 'b', 'c'])) }), false],
    [
      'In zone [a, b] AND wasm NotIn [yes] (none)',
      q({
        affinity: terms({
          matchExpressions: [
            { key: 'zone', operator: 'In', values: ['a', 'b'] },
            { key: 'wasm', operator: 'NotIn', values: ['yes'] },
          ],
        }),
      }),
      false,
    ],
  ];
  it.each(queries)('%s', (_n, query, cordoned) => {
    // same Wasm nodes, 100× more other nodes: the number of nodes checked must not change
    const small = cluster(20, 50, cordoned ? { unschedulable: true } : {});
    const big = cluster(20, 5000, cordoned ? { unschedulable: true } : {});
    const a = visits(small, query);
    const b = visits(big, query);
    expect(b).toBe(a);
    expect(b).toBeLessThanOrEqual(20);
  });
});
