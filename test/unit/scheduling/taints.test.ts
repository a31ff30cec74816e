import { describe, expect, it } from 'vitest';
import type { Taint, Toleration } from '../../../src/cluster/types.js';
import { toleratesTaint, toleratesUnschedulable, untoleratedTaints } from '../../../src/scheduling/taints.js';

const T: Taint = { key: 'wasm', value: 'true', effect: 'NoSchedule' };

describe('Toleration.ToleratesTaint', () => {
  const cases: [string, Toleration, Taint, boolean][] = [
    ['Equal, same key/value/effect', { key: 'wasm', operator: 'Equal', value: 'true', effect: 'NoSchedule' }, T, true],
    ['no operator means Equal', { key: 'wasm', value: 'true', effect: 'NoSchedule' }, T, true],
    ['Equal, other value', { key: 'wasm', operator: 'Equal', value: 'false', effect: 'NoSchedule' }, T, false],
    ['Equal, no value vs a value', { key: 'wasm', operator: 'Equal', effect: 'NoSchedule' }, T, false],
    ['Equal, no value vs no value', { key: 'gpu', operator: 'Equal' }, { key: 'gpu', effect: 'NoExecute' }, true],
    ['Exists ignores the value', { key: 'wasm', operator: 'Exists', effect: 'NoSchedule' }, T, true],
    ['Exists, other key', { key: 'gpu', operator: 'Exists' }, T, false],
    ['Exists with an empty key tolerates everything', { operator: 'Exists' }, { key: 'anything', value: 'x', effect: 'NoExecute' }, true],
    ['empty effect matches every effect', { key: 'wasm', operator: 'Exists' }, { key: 'wasm', effect: 'NoExecute' }, true],
    ['effect must match when set', { key: 'wasm', operator: 'Exists', effect: 'NoExecute' }, T, false],
    ['an unknown operator tolerates nothing', { key: 'wasm', operator: 'Gt', value: '1' }, T, false],
    ['empty key with Equal compares values (upstream)', { value: 'true' }, T, true],
  ];
  it.each(cases)('%s', (_n, tol, taint, want) => expect(toleratesTaint(tol, taint)).toBe(want));
});

describe('the filters', () => {
  const taints: Taint[] = [
    { key: 'a', effect: 'NoSchedule' },
    { key: 'b', effect: 'NoExecute' },
    { key: 'c', effect: 'PreferNoSchedule' },
  ];
  it('TaintToleration: NoSchedule and NoExecute block, PreferNoSchedule never does', () => {
    expect(untoleratedTaints(taints, []).map((t) => t.key)).toEqual(['a', 'b']);
    expect(untoleratedTaints(taints, [{ key: 'a', operator: 'Exists' }]).map((t) => t.key)).toEqual(['b']);
    expect(untoleratedTaints(taints, [{ operator: 'Exists' }])).toEqual([]);
  });
  it("kubelet's rule (spec.nodeName): only NoExecute blocks", () => {
    expect(untoleratedTaints(taints, [], 'kubelet').map((t) => t.key)).toEqual(['b']);
  });
  it('the not-ready taint is judged as a taint', () => {
    const notReady: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' };
    expect(untoleratedTaints([notReady], [])).toHaveLength(1);
    expect(untoleratedTaints([notReady], [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }])).toHaveLength(0);
  });
  it('NodeUnschedulable: tolerating node.kubernetes.io/unschedulable:NoSchedule allows a cordoned node', () => {
    expect(toleratesUnschedulable([])).toBe(false);
    expect(toleratesUnschedulable([{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }])).toBe(true);
    expect(toleratesUnschedulable([{ operator: 'Exists' }])).toBe(true);
    expect(toleratesUnschedulable([{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }])).toBe(false);
  });
});
