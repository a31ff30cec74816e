/**
 * Random small clusters and Wasm pods for the scheduler-parity test (fast-check). Labels, taints
 * and tolerations come from small alphabets so that matches, conflicts and misses are all common.
 * Pods are tiny (no resource requests) so resource fit never decides.
 */
import fc from 'fast-check';
import type { Taint, Toleration } from '../../src/cluster/types.js';

export const HANDLERS = ['runc', 'wasmtime', 'spin'] as const;

/** per key, the values it takes: gen holds integers (and one non-integer) for Gt / Lt */
export const ALPHABET: Readonly<Record<string, readonly string[]>> = {
  wasm: ['yes', 'no'],
  zone: ['a', 'b'],
  gen: ['1', '3', 'x'],
  tier: ['web'],
};
const KEYS = Object.keys(ALPHABET);

export interface GenNode {
  name: string;
  labels: Record<string, string>;
  taints: Taint[];
  ready: boolean;
  unschedulable: boolean;
  runtimeHandlers: string[];
}

export interface GenClass {
  name: string;
  handler: string;
  scheduling?: { nodeSelector?: Record<string, string>; tolerations?: Toleration[] };
}

export interface GenPod {
  name: string;
  runtimeClassName: string;
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  /** nodeSelectorTerms, or undefined for no required affinity */
  terms?: Record<string, unknown>[];
  nodeName?: string;
}

export interface ParityCase {
  id: string;
  nodes: GenNode[];
  classes: GenClass[];
  pods: GenPod[];
}

const pairArb = fc.constantFrom(...KEYS).chain((k) => fc.constantFrom(...ALPHABET[k]!).map((v) => [k, v] as const));
const selectorArb = (max: number): fc.Arbitrary<Record<string, string>> =>
  fc.array(pairArb, { maxLength: max }).map((pairs) => Object.fromEntries(pairs));

const TAINTS: Taint[] = [
  { key: 'wasm', value: 'true', effect: 'NoSchedule' },
  { key: 'wasm', value: 'true', effect: 'NoExecute' },
  { key: 'gpu', effect: 'PreferNoSchedule' },
  { key: 'dedicated', value: 'infra', effect: 'NoSchedule' },
];

export const TOLERATIONS: Toleration[] = [
  { operator: 'Exists' },
  { key: 'wasm', operator: 'Exists' },
  { key: 'wasm', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists' },
  { key: 'dedicated', value: 'infra' },
  { operator: 'Exists', effect: 'NoExecute' },
];

const nodeArb = fc.record({
  labels: selectorArb(3),
  taints: fc.subarray(TAINTS, { maxLength: 2 }),
  ready: fc.boolean(),
  /** NotReady: the not-ready taint the node lifecycle controller adds (mostly there) */
  notReadyTaint: fc.constantFrom('NoSchedule', 'NoSchedule', 'NoExecute', 'none'),
  unschedulable: fc.boolean(),
  /** cordoned: the unschedulable taint the controller adds (not always there yet) */
  unschedulableTaint: fc.boolean(),
  runtimeHandlers: fc.oneof(fc.constant([] as string[]), fc.subarray([...HANDLERS], { minLength: 1 })),
});

const exprArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.constantFrom(...KEYS).chain((key) =>
    fc.record({
      key: fc.constant(key),
      operator: fc.constantFrom('In', 'NotIn'),
      values: fc.subarray([...ALPHABET[key]!], { minLength: 1 }),
    }),
  ),
  fc.record({ key: fc.constantFrom(...KEYS), operator: fc.constantFrom('Exists', 'DoesNotExist') }),
  fc.record({ key: fc.constant('gen'), operator: fc.constantFrom('Gt', 'Lt'), values: fc.constantFrom(['0'], ['2'], ['3'], ['5']) }),
);

function termArb(nodeNames: string[]): fc.Arbitrary<Record<string, unknown>> {
  const field = fc.record({
    key: fc.constant('metadata.name'),
    operator: fc.constantFrom('In', 'NotIn'),
    values: fc.constantFrom(...nodeNames).map((n) => [n]),
  });
  return fc
    .record({ matchExpressions: fc.array(exprArb, { maxLength: 2 }), matchFields: fc.array(field, { maxLength: 1 }) }, { requiredKeys: [] })
    .map((t) => Object.fromEntries(Object.entries(t).filter(([, v]) => Array.isArray(v) && v.length > 0)));
}

function podArb(caseId: string, nodeNames: string[], classNames: string[]): fc.Arbitrary<Omit<GenPod, 'name'>> {
  return fc.record(
    {
      runtimeClassName: fc.constantFrom(...classNames),
      nodeSelector: selectorArb(1),
      tolerations: fc.subarray(TOLERATIONS, { maxLength: 2 }),
      terms: fc.option(fc.array(termArb(nodeNames), { minLength: 1, maxLength: 2 }), { freq: 2, nil: undefined }),
      // about one pod in six names its node
      nodeName: fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 5 },
        { arbitrary: fc.constantFrom(...nodeNames, `${caseId}-missing`), weight: 1 },
      ),
    },
    { requiredKeys: ['runtimeClassName', 'nodeSelector', 'tolerations'] },
  );
}

const classArb = fc.record(
  {
    handler: fc.constantFrom('wasmtime', 'spin'),
    scheduling: fc.option(fc.record({ nodeSelector: selectorArb(2), tolerations: fc.subarray(TOLERATIONS, { maxLength: 1 }) }), {
      nil: undefined,
    }),
  },
  { requiredKeys: ['handler'] },
);

/** One case: 1-4 nodes, 1-2 RuntimeClasses, 1-3 pods, every name prefixed with the case id. */
export function caseArb(caseId: string): fc.Arbitrary<ParityCase> {
  return fc
    .record({ nodes: fc.array(nodeArb, { minLength: 1, maxLength: 4 }), classes: fc.array(classArb, { minLength: 1, maxLength: 2 }) })
    .chain(({ nodes, classes }) => {
      const nodeNames = nodes.map((_, i) => `${caseId}-n${i}`);
      const classNames = classes.map((_, i) => `${caseId}-rc${i}`);
      return fc.array(podArb(caseId, nodeNames, classNames), { minLength: 1, maxLength: 3 }).map((pods): ParityCase => ({
        id: caseId,
        nodes: nodes.map((n, i) => {
          const taints = [...n.taints];
          if (!n.ready && n.notReadyTaint !== 'none') taints.push({ key: 'node.kubernetes.io/not-ready', effect: n.notReadyTaint });
          if (n.unschedulable && n.unschedulableTaint) taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });
          return {
            name: nodeNames[i]!,
            labels: n.labels,
            taints,
            ready: n.ready,
            unschedulable: n.unschedulable,
            runtimeHandlers: n.runtimeHandlers,
          };
        }),
        classes: classes.map((c, i) => ({ name: classNames[i]!, ...c })),
        pods: pods.map((p, i) => ({ name: `${caseId}-p${i}`, ...p })),
      }));
    });
}

/** `count` cases, reproducible from `seed`. */
export function sampleCases(count: number, seed: number, prefix = 'c'): ParityCase[] {
  const out: ParityCase[] = [];
  for (let i = 0; i < count; i++) out.push(fc.sample(caseArb(`${prefix}${i}`), { numRuns: 1, seed: seed + i })[0]!);
  return out;
}
