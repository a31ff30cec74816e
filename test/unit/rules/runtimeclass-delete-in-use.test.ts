import { describe, it, expect } from 'vitest';
import type { MemoryState } from '../../../src/cluster/memory-state.js';
import { runtimeclassDeleteInUse as rule } from '../../../src/rules/runtimeclass-delete-in-use.js';
import { node, runtimeClass, stateOf } from '../../harness/fixtures.js';
import { ctxOf } from '../helpers.js';

const wasm1 = runtimeClass('wasm1', 'wasmtime', { 'wasmtime-enabled': 'yes' });
const runc = runtimeClass('runc', 'runc');

interface Case {
  name: string;
  state: () => MemoryState;
  rc?: typeof wasm1;
  fires: boolean;
  contains?: string[];
  /** wording-independent checks (the count and its singular/plural) */
  matches?: RegExp[];
}

const cases: Case[] = [
  { name: 'pods are not tracked', state: () => stateOf([node('w1')], [wasm1]), fires: false },
  { name: 'pods tracked, none uses it', state: () => stateOf([node('w1')], [wasm1], {}), fires: false },
  { name: 'pods of another class only', state: () => stateOf([node('w1')], [wasm1], { 'default/a': 'other' }), fires: false },
  {
    name: 'one pod uses it',
    state: () => stateOf([node('w1')], [wasm1], { 'default/a': 'wasm1', 'default/b': 'other' }),
    fires: true,
    contains: [
      'RuntimeClass wasm1 (handler wasmtime) is used by 1 pod that has not finished. Deleting the class does not stop it, ' +
        'but no new pod of this class can be created (pod rejected: RuntimeClass "wasm1" not found), so its workload cannot replace or add pods.',
      'Fix: move the workloads to another RuntimeClass first, or keep the class.',
      `To list the pods: kubectl get pods -A -o jsonpath='{range .items[?(@.spec.runtimeClassName=="wasm1")]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}'`,
    ],
  },
  {
    name: 'three pods use it',
    state: () => stateOf([], [wasm1], { 'default/a': 'wasm1', 'ns2/b': 'wasm1', 'ns3/c': 'wasm1' }),
    fires: true,
    contains: [
      'RuntimeClass wasm1 (handler wasmtime) is used by 3 pods that have not finished. Deleting the class does not stop them, ',
      'so their workloads cannot replace or add pods.',
    ],
  },
  {
    name: 'non-Wasm class in use is reported too',
    state: () => stateOf([], [runc], { 'default/a': 'runc' }),
    rc: runc,
    fires: true,
    contains: ['RuntimeClass runc (handler runc) is used by 1 pod that has not finished.', '@.spec.runtimeClassName=="runc"'],
  },
  {
    name: 'a pod that stopped using the class is not counted',
    state: () => {
      const s = stateOf([], [wasm1], { 'default/a': 'wasm1' });
      s.setPod('default/a', undefined);
      return s;
    },
    fires: false,
  },
];

describe('runtimeclass-delete-in-use', () => {
  it.each(cases)('$name', ({ state, rc, fires, contains, matches }) => {
    const messages = rule.checks.RuntimeClass!.DELETE!(rc ?? wasm1, ctxOf(state()));
    expect(messages.length).toBe(fires ? 1 : 0);
    for (const s of contains ?? []) expect(messages[0]).toContain(s);
    for (const re of matches ?? []) expect(messages[0]).toMatch(re);
  });

  it('warns by default', () => {
    expect(rule.defaultMode).toBe('warn');
  });
});
