import { describe, it, expect } from 'vitest';
import type { MemoryState } from '../../../src/cluster/memory-state.js';
import { runtimeclassExists as rule } from '../../../src/rules/runtimeclass-exists.js';
import type { PodTarget, WasmIntent } from '../../../src/decide/types.js';
import { node, runtimeClass, seedCluster, stateOf } from '../../harness/fixtures.js';
import { annotated, ctxOf, named, podT, targetOf, workloadObject } from '../helpers.js';

interface Case {
  name: string;
  state: () => MemoryState;
  target?: PodTarget;
  intent: WasmIntent;
  fires: boolean;
  contains?: string[];
  excludes?: string[];
}

const noWasm = () => stateOf([node('p1')], [runtimeClass('runc', 'runc'), runtimeClass('gvisor', 'runsc')]);

const cases: Case[] = [
  { name: 'class exists', state: seedCluster, intent: named('wasm1'), fires: false },
  { name: 'non-Wasm class exists', state: noWasm, intent: named('runc'), fires: false },
  { name: 'no runtimeClassName (annotation only)', state: seedCluster, intent: annotated('wasm2'), fires: false },
  {
    name: 'missing class, Wasm classes exist',
    state: seedCluster,
    intent: named('wasm2'),
    fires: true,
    contains: [
      'Pod default/app names RuntimeClass wasm2 in spec.runtimeClassName, which does not exist.',
      'Wasm RuntimeClasses that exist: wasm1 (handler wasmtime) and wasmtime-spin-v2 (handler spin).',
      'Fix: set spec.runtimeClassName to one of them, or create RuntimeClass wasm2.',
    ],
  },
  {
    name: 'missing class, only non-Wasm classes exist (they are not offered)',
    state: noWasm,
    intent: named('wasm2'),
    fires: true,
    contains: ['The cluster has no Wasm RuntimeClass at all.', 'Fix: create RuntimeClass wasm2 with the handler of your Wasm shim'],
    excludes: ['runc', 'gvisor'],
  },
  {
    name: 'missing class, empty cluster',
    state: () => stateOf([], []),
    intent: named('wasmtime'),
    fires: true,
    contains: ['names RuntimeClass wasmtime', 'no Wasm RuntimeClass at all'],
  },
  {
    name: 'many Wasm classes: the list is cut with "and N more"',
    state: () =>
      stateOf(
        [],
        ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n) => runtimeClass(`rc-${n}`, 'spin')),
      ),
    intent: named('wasm2'),
    fires: true,
    contains: ['rc-a (handler spin), rc-b (handler spin)', 'rc-f (handler spin) and 2 more.'],
    excludes: ['rc-g'],
  },
  {
    name: 'StatefulSet: template field path',
    state: seedCluster,
    target: targetOf('StatefulSet', workloadObject('StatefulSet', { name: 'db' })),
    intent: named('nope'),
    fires: true,
    contains: [
      'StatefulSet default/db names RuntimeClass nope in spec.template.spec.runtimeClassName',
      'Fix: set spec.template.spec.runtimeClassName',
    ],
  },
  {
    name: 'CronJob: job template field path',
    state: seedCluster,
    target: targetOf('CronJob', workloadObject('CronJob', { name: 'tick' })),
    intent: named('nope'),
    fires: true,
    contains: ['in spec.jobTemplate.spec.template.spec.runtimeClassName'],
  },
];

describe('runtimeclass-exists', () => {
  it.each(cases)('$name', ({ state, target, intent, fires, contains, excludes }) => {
    const messages = rule.checks.podTemplate!.CREATE!(target ?? podT(), intent, ctxOf(state()));
    expect(messages.length).toBe(fires ? 1 : 0);
    for (const s of contains ?? []) expect(messages[0]).toContain(s);
    for (const s of excludes ?? []) expect(messages[0]).not.toContain(s);
  });
});
