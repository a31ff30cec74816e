import { describe, it, expect } from 'vitest';
import type { Config } from '../../../src/config/config.js';
import { runtimeclassAssigned as rule } from '../../../src/rules/runtimeclass-assigned.js';
import type { PodTarget, WasmIntent } from '../../../src/decide/types.js';
import type { MemoryState } from '../../../src/cluster/memory-state.js';
import { config, node, runtimeClass, seedCluster, stateOf } from '../../harness/fixtures.js';
import { annotated, ctxOf, named, podT, targetOf, workloadObject } from '../helpers.js';

interface Case {
  name: string;
  state: () => MemoryState;
  cfg?: Config;
  target?: PodTarget;
  intent: WasmIntent;
  fires: boolean;
  contains?: string[];
}

const wasmOnly = () =>
  stateOf([node('w1', { 'wasmtime-enabled': 'yes' })], [runtimeClass('wasm1', 'wasmtime', { 'wasmtime-enabled': 'yes' })]);

const cases: Case[] = [
  {
    name: 'runtimeClassName already set',
    state: seedCluster,
    intent: { ...annotated('wasmtime'), runtimeClassName: 'wasm1' },
    fires: false,
  },
  { name: 'no annotation, class named by hand', state: seedCluster, intent: named('wasm1'), fires: false },
  {
    name: 'annotation names a handler: the class that would have been chosen is named',
    state: seedCluster,
    intent: annotated('wasmtime'),
    fires: true,
    contains: [
      'Pod default/app is annotated wasmgate.dev/runtime=wasmtime but has no spec.runtimeClassName',
      'would have set RuntimeClass wasm1 (the only RuntimeClass with handler wasmtime)',
      'Fix: set spec.runtimeClassName: wasm1',
      'MutatingWebhookConfiguration',
    ],
  },
  {
    name: 'annotation names a class',
    state: seedCluster,
    intent: annotated('wasmtime-spin-v2'),
    fires: true,
    contains: ['would have set RuntimeClass wasmtime-spin-v2 (the annotation names RuntimeClass wasmtime-spin-v2)'],
  },
  {
    name: 'auto with two usable Wasm classes: ambiguous',
    state: seedCluster,
    intent: annotated('auto'),
    fires: true,
    contains: [
      'none could be chosen',
      '2 Wasm RuntimeClasses have usable nodes (wasm1 and wasmtime-spin-v2), so the choice is ambiguous',
      'Fix: name one in the wasmgate.dev/runtime annotation, or set defaultRuntimeClass',
    ],
  },
  {
    name: 'auto with a configured default that exists',
    state: seedCluster,
    cfg: config({ defaultRuntimeClass: 'wasmtime-spin-v2' }),
    intent: annotated('auto'),
    fires: true,
    contains: ['would have set RuntimeClass wasmtime-spin-v2 (the configured default RuntimeClass)'],
  },
  {
    name: 'auto with a configured default that does not exist and two usable classes',
    state: seedCluster,
    cfg: config({ defaultRuntimeClass: 'gone' }),
    intent: annotated(''),
    fires: true,
    contains: ['the configured default RuntimeClass gone does not exist and 2 Wasm RuntimeClasses have usable nodes'],
  },
  {
    name: 'auto with one usable Wasm class',
    state: wasmOnly,
    intent: annotated('auto'),
    fires: true,
    contains: ['would have set RuntimeClass wasm1 (the only Wasm RuntimeClass with usable nodes)'],
  },
  {
    name: 'crun marker annotation means auto',
    state: wasmOnly,
    intent: annotated('', 'module.wasm.image/variant'),
    fires: true,
    contains: ['is annotated module.wasm.image/variant but has no spec.runtimeClassName', 'would have set RuntimeClass wasm1'],
  },
  {
    name: 'handler that no class has, Wasm classes exist',
    state: seedCluster,
    intent: annotated('wasmedge'),
    fires: true,
    contains: [
      'none could be chosen: no RuntimeClass is named wasmedge or has handler wasmedge',
      'Fix: set wasmgate.dev/runtime to a Wasm RuntimeClass that exists (one of: wasm1 (handler wasmtime) and wasmtime-spin-v2 (handler spin)), or create a RuntimeClass with handler wasmedge',
    ],
  },
  {
    name: 'handler that no class has, no Wasm classes',
    state: () => stateOf([node('p1')], [runtimeClass('runc', 'runc')]),
    intent: annotated('wasmedge'),
    fires: true,
    contains: [
      'no RuntimeClass is named wasmedge or has handler wasmedge',
      'Fix: create a RuntimeClass with handler wasmedge and a scheduling.nodeSelector',
    ],
  },
  {
    name: 'auto, cluster has no Wasm class',
    state: () => stateOf([node('p1')], [runtimeClass('runc', 'runc')]),
    intent: annotated('auto'),
    fires: true,
    contains: [
      'the cluster has no Wasm RuntimeClass (none has a handler among',
      'Fix: create a RuntimeClass whose handler is the containerd runtime',
    ],
  },
  {
    name: 'auto, Wasm classes but none usable',
    state: () => stateOf([node('p1')], [runtimeClass('wasm1', 'wasmtime', { 'wasmtime-enabled': 'yes' })]),
    intent: annotated('auto'),
    fires: true,
    contains: [
      'none could be chosen: the only Wasm RuntimeClass, wasm1 (handler wasmtime), has no Ready, schedulable node this pod tolerates',
      'Fix: label the nodes that have the shim',
    ],
  },
  {
    name: 'auto, several Wasm classes but none usable',
    state: () =>
      stateOf([node('p1')], [runtimeClass('wasm1', 'wasmtime', { 'wasmtime-enabled': 'yes' }), runtimeClass('spin', 'spin', { s: 'y' })]),
    intent: annotated('auto'),
    fires: true,
    contains: [
      'none could be chosen: none of the 2 Wasm RuntimeClasses has a Ready, schedulable node this pod tolerates: spin (handler spin) and wasm1 (handler wasmtime)',
    ],
  },
  {
    name: 'auto with a configured default whose handler is not Wasm: the only usable Wasm class',
    state: () =>
      stateOf(
        [node('w1', { 'wasmtime-enabled': 'yes' })],
        [runtimeClass('runc', 'runc'), runtimeClass('wasm1', 'wasmtime', { 'wasmtime-enabled': 'yes' })],
      ),
    cfg: config({ defaultRuntimeClass: 'runc' }),
    intent: annotated('auto'),
    fires: true,
    contains: ['would have set RuntimeClass wasm1 (the only Wasm RuntimeClass with usable nodes', 'Fix: set spec.runtimeClassName: wasm1'],
  },
  {
    name: 'auto with a configured default whose handler is not Wasm and two usable classes: the default named',
    state: () => {
      const s = seedCluster();
      s.upsertRuntimeClass(runtimeClass('runc', 'runc'));
      return s;
    },
    cfg: config({ defaultRuntimeClass: 'runc' }),
    intent: annotated('auto'),
    fires: true,
    contains: [
      'none could be chosen: the configured default RuntimeClass runc has handler runc, which is not a Wasm handler, ' +
        'and 2 Wasm RuntimeClasses have usable nodes (wasm1 and wasmtime-spin-v2), so the choice is ambiguous',
    ],
  },
  {
    name: 'workload template: field path names the template',
    state: seedCluster,
    target: targetOf('Deployment', workloadObject('Deployment', { name: 'web' })),
    intent: annotated('wasmtime'),
    fires: true,
    contains: [
      'Deployment default/web is annotated',
      'has no spec.template.spec.runtimeClassName',
      'Fix: set spec.template.spec.runtimeClassName: wasm1',
    ],
  },
  {
    name: 'CronJob: field path names the job template',
    state: seedCluster,
    target: targetOf('CronJob', workloadObject('CronJob', { name: 'tick' })),
    intent: annotated('spin'),
    fires: true,
    contains: ['CronJob default/tick', 'spec.jobTemplate.spec.template.spec.runtimeClassName: wasmtime-spin-v2'],
  },
];

describe('runtimeclass-assigned', () => {
  it.each(cases)('$name', ({ state, cfg, target, intent, fires, contains }) => {
    const ctx = ctxOf(state(), cfg ?? config());
    const messages = rule.checks.podTemplate!.CREATE!(target ?? podT(), intent, ctx);
    expect(messages.length).toBe(fires ? 1 : 0);
    for (const s of contains ?? []) expect(messages[0]).toContain(s);
  });

  it('is enforced by default and has only a pod checker', () => {
    expect(rule.defaultMode).toBe('enforce');
    expect(rule.checks.RuntimeClass).toBeUndefined();
    expect(rule.checks.Node).toBeUndefined();
  });
});
