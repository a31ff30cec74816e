import { describe, expect, it } from 'vitest';
import { explainNoNode, nodesMissingHandler } from '../../../src/scheduling/explain.js';
import { SchedulingIndex } from '../../../src/scheduling/node-index.js';
import { parseTerm } from '../../../src/scheduling/node-affinity.js';
import type { PlacementQuery, SchedNode } from '../../../src/scheduling/types.js';
import { schedNode } from './gen.js';

const W = { 'wasmtime-enabled': 'yes' };
const indexOf = (nodes: SchedNode[]): SchedulingIndex => {
  const ix = new SchedulingIndex();
  for (const n of nodes) ix.upsert(n);
  return ix;
};
const q = (o: Partial<PlacementQuery> = {}): PlacementQuery => ({
  selector: W,
  affinity: undefined,
  tolerations: [],
  handler: 'wasmtime',
  nodeName: undefined,
  requireReady: true,
  ...o,
});

describe('explainNoNode', () => {
  const nodes = [
    schedNode('w1', { ...W, zone: 'a' }),
    schedNode('w2', { ...W, zone: 'a' }),
    schedNode('w3', { ...W, zone: 'b' }, { runtimeHandlers: ['runc', 'spin'] }),
    schedNode('p1', { zone: 'c' }),
  ];

  it('counts, per term and expression, the Wasm nodes each one excludes', () => {
    const affinity = {
      terms: [
        parseTerm({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['c'] }] }, 0),
        parseTerm(
          {
            matchExpressions: [
              { key: 'zone', operator: 'Exists' },
              { key: 'zone', operator: 'NotIn', values: ['a', 'b'] },
            ],
          },
          1,
        ),
        parseTerm({}, 2),
      ],
    };
    const r = explainNoNode(indexOf(nodes), q({ affinity }));
    expect(r.totalNodes).toBe(4);
    expect(r.perLabel).toEqual([{ key: 'wasmtime-enabled', value: 'yes', count: 3 }]);
    expect(r.selectorMatches).toBe(3);
    expect(r.labelMatches).toBe(0);
    expect(r.terms).toEqual([
      { index: 0, matches: 0, expressions: [{ field: 'matchExpressions', index: 0, text: 'zone In [c]', excludes: 3 }] },
      {
        index: 1,
        matches: 0,
        expressions: [
          { field: 'matchExpressions', index: 0, text: 'zone Exists', excludes: 0 },
          { field: 'matchExpressions', index: 1, text: 'zone NotIn [a, b]', excludes: 3 },
        ],
      },
      { index: 2, never: 'it is empty', matches: 0, expressions: [] },
    ]);
  });

  it('reports the handler facts: node, labels, handlers reported', () => {
    const r = explainNoNode(indexOf([nodes[2]!]), q());
    expect(r.labelMatches).toBe(1);
    expect(r.handlerMissing).toEqual([{ node: 'w3', labels: { ...W, zone: 'b' }, handlers: ['runc', 'spin'] }]);
  });

  it('sorts nodes by reason', () => {
    const r = explainNoNode(
      indexOf([
        schedNode('w1', W, { ready: false }),
        schedNode('w2', W, { unschedulable: true }),
        schedNode('w3', W, {
          taints: [
            { key: 'gpu', effect: 'NoSchedule' },
            { key: 'soft', effect: 'PreferNoSchedule' },
          ],
        }),
      ]),
      q(),
    );
    expect([r.notReady, r.cordoned, r.tainted, r.usable]).toEqual([
      ['w1'],
      ['w2'],
      [{ node: 'w3', taints: [{ key: 'gpu', effect: 'NoSchedule' }] }],
      [],
    ]);
  });

  it('spec.nodeName: whether the node exists and what it lacks', () => {
    expect(explainNoNode(indexOf(nodes), q({ nodeName: 'gone' })).nodeName).toEqual({
      name: 'gone',
      exists: false,
      missingLabels: [],
      affinityFails: false,
    });
    const r = explainNoNode(indexOf(nodes), q({ nodeName: 'p1' }));
    expect(r.nodeName).toEqual({ name: 'p1', exists: true, missingLabels: ['wasmtime-enabled'], affinityFails: false });
    expect(r.labelMatches).toBe(0);
  });
});

describe('nodesMissingHandler (the audit signal)', () => {
  it('lists nodes whose labels promise the handler and whose kubelet does not report it', () => {
    const ix = indexOf([
      schedNode('a', W, { runtimeHandlers: ['runc', 'wasmtime'] }),
      schedNode('b', W, { runtimeHandlers: ['runc', 'spin'] }),
      schedNode('c', W),
      schedNode('d', {}, { runtimeHandlers: ['runc'] }),
    ]);
    expect(nodesMissingHandler(ix, W, 'wasmtime').map((m) => m.node)).toEqual(['b']);
    expect(nodesMissingHandler(ix, {}, 'wasmtime')).toEqual([]);
  });
});

describe('explainNoNode counts agree with a per-node count (property)', () => {
  it('selector matches, per-expression exclusions, term matches and label matches', async () => {
    const fc = (await import('fast-check')).default;
    const { nodesArb, queryArb } = await import('./gen.js');
    const { matchesField, matchesRequirement, matchesTerm, selectorMismatch } = await import('../../../src/scheduling/node-affinity.js');
    const { labelsFit } = await import('../../../src/scheduling/fit.js');
    fc.assert(
      fc.property(nodesArb(), queryArb, (nodes, query) => {
        const r = explainNoNode(indexOf(nodes), query);
        const domain = nodes.filter(
          (n) => (query.nodeName === undefined || n.name === query.nodeName) && selectorMismatch(query.selector, n.labels) === undefined,
        );
        expect(r.selectorMatches).toBe(domain.length);
        for (const t of r.terms ?? []) {
          const term = query.affinity!.terms[t.index]!;
          expect(t.matches).toBe(domain.filter((n) => matchesTerm(term, n.name, n.labels)).length);
          const want = [
            ...term.matchExpressions.map((e) => domain.filter((n) => !matchesRequirement(e, n.labels)).length),
            ...term.matchFields.map((e) => domain.filter((n) => !matchesField(e, n.name)).length),
          ];
          expect(t.expressions.map((e) => e.excludes)).toEqual(want);
        }
        expect(r.labelMatches).toBe(nodes.filter((n) => labelsFit(n, query)).length);
      }),
      { numRuns: 2000 },
    );
  });
});
