/** fast-check generators of small clusters and placement queries, shared by the scheduling tests. */
import fc from 'fast-check';
import type { Taint, Toleration } from '../../../src/cluster/types.js';
import { parseTerm } from '../../../src/scheduling/node-affinity.js';
import { DEFAULT_TOLERATIONS } from '../../../src/scheduling/taints.js';
import type { PlacementQuery, SchedNode } from '../../../src/scheduling/types.js';

export const KEYS = ['wasm', 'zone', 'gen', 'tier'] as const;
export const VALUES = ['a', 'b', '1', '3', 'x10'] as const;
export const HANDLERS = ['wasmtime', 'spin', 'runc'] as const;

export function schedNode(name: string, labels: Record<string, string> = {}, o: Partial<SchedNode> = {}): SchedNode {
  return { name, labels: Object.freeze({ ...labels }), taints: [], ready: true, unschedulable: false, runtimeHandlers: [], ...o };
}

const taintArb: fc.Arbitrary<Taint> = fc
  .record({
    key: fc.constantFrom(
      'wasm',
      'gpu',
      'node.kubernetes.io/not-ready',
      'node.kubernetes.io/unreachable',
      'node.kubernetes.io/unschedulable',
    ),
    value: fc.constantFrom(undefined, 'true'),
    effect: fc.constantFrom('NoSchedule', 'NoExecute', 'PreferNoSchedule'),
  })
  .map((t) => (t.value === undefined ? { key: t.key, effect: t.effect } : { key: t.key, value: t.value, effect: t.effect }));

export const tolerationArb: fc.Arbitrary<Toleration> = fc.oneof(
  fc.constant<Toleration>({ operator: 'Exists' }),
  fc
    .record({
      key: fc.constantFrom('wasm', 'gpu', 'node.kubernetes.io/not-ready', 'node.kubernetes.io/unschedulable'),
      operator: fc.constantFrom('Exists', 'Equal'),
      value: fc.constantFrom('true', ''),
      effect: fc.constantFrom('', 'NoSchedule', 'NoExecute'),
    })
    .map((t): Toleration => (t.operator === 'Exists' ? { key: t.key, operator: 'Exists', effect: t.effect } : t)),
);

export const labelsArb = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 3 });

export function nodesArb(max = 8): fc.Arbitrary<SchedNode[]> {
  return fc
    .array(
      fc.record({
        labels: labelsArb,
        taints: fc.array(taintArb, { maxLength: 2 }),
        ready: fc.boolean(),
        unschedulable: fc.boolean(),
        runtimeHandlers: fc.subarray([...HANDLERS]),
      }),
      { maxLength: max },
    )
    .map((list) => list.map((n, i) => schedNode(`n${i}`, n.labels, n)));
}

const exprArb = fc.oneof(
  fc.record({
    key: fc.constantFrom(...KEYS),
    operator: fc.constantFrom('In', 'NotIn'),
    values: fc.uniqueArray(fc.constantFrom(...VALUES), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ key: fc.constantFrom(...KEYS), operator: fc.constantFrom('Exists', 'DoesNotExist') }),
  fc.record({ key: fc.constantFrom(...KEYS), operator: fc.constantFrom('Gt', 'Lt'), values: fc.constantFrom(['0'], ['2'], ['5']) }),
);
const fieldArb = fc.record({
  key: fc.constant('metadata.name'),
  operator: fc.constantFrom('In', 'NotIn'),
  values: fc.constantFrom(['n0'], ['n1'], ['n9']),
});
export const termArb = fc.record({
  matchExpressions: fc.array(exprArb, { maxLength: 3 }),
  matchFields: fc.array(fieldArb, { maxLength: 1 }),
});

export const queryArb: fc.Arbitrary<PlacementQuery> = fc
  .record({
    selector: fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 2 }),
    terms: fc.option(fc.array(termArb, { maxLength: 3 }), { nil: undefined }),
    tolerations: fc.array(tolerationArb, { maxLength: 2 }),
    /** the API server's DefaultTolerationSeconds tolerations, as placementOf adds them */
    defaults: fc.boolean(),
    handler: fc.option(fc.constantFrom(...HANDLERS), { nil: undefined }),
    nodeName: fc.option(fc.constantFrom('n0', 'n1', 'n9'), { freq: 5, nil: undefined }),
    requireReady: fc.boolean(),
  })
  .map((r) => ({
    selector: r.selector,
    affinity: r.terms === undefined ? undefined : { terms: r.terms.map((t, i) => parseTerm(t, i)) },
    tolerations: r.defaults ? [...r.tolerations, ...DEFAULT_TOLERATIONS] : r.tolerations,
    handler: r.handler,
    nodeName: r.nodeName,
    requireReady: r.requireReady,
  }));
