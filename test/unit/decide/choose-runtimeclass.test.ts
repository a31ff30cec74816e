import { describe, it, expect } from 'vitest';
import type { MemoryState } from '../../../src/cluster/memory-state.js';
import type { RuntimeClassInfo } from '../../../src/cluster/types.js';
import type { Config } from '../../../src/config/config.js';
import { chooseRuntimeClass } from '../../../src/decide/choose-runtimeclass.js';
import type { PodTarget } from '../../../src/decide/types.js';
import { config, node, runtimeClass, seedCluster, stateOf } from '../../harness/fixtures.js';
import { ctxOf, intentOf, podT } from '../helpers.js';

const RUNTIME = 'wasmgate.dev/runtime';
const VARIANT = 'module.wasm.image/variant';

/** nodes: spin-ready carries spin=yes; nothing carries spin=never; plain nodes carry nothing */
const NODES = [node('plain-1'), node('spin-ready', { spin: 'yes' }), node('spin-down', { spin: 'down' }, { ready: false })];
const usableSpin = (name: string) => runtimeClass(name, 'spin', { spin: 'yes' });
const unusableSpin = (name: string) => runtimeClass(name, 'spin', { spin: 'never' });
const notReadySpin = (name: string) => runtimeClass(name, 'spin', { spin: 'down' });

interface Case {
  name: string;
  classes: RuntimeClassInfo[];
  state?: () => MemoryState;
  cfg?: Config;
  annotations: Record<string, string>;
  spec?: Record<string, unknown>;
  /** the chosen class, or undefined when the choice fails */
  chosen: string | undefined;
  reason?: string[];
  fix?: string[];
}

const cases: Case[] = [
  // the annotation names a RuntimeClass
  {
    name: 'names a RuntimeClass',
    classes: [usableSpin('a'), usableSpin('b')],
    annotations: { [RUNTIME]: 'b' },
    chosen: 'b',
    reason: ['the annotation names RuntimeClass b'],
  },
  {
    name: 'names a RuntimeClass without usable nodes: still that one',
    classes: [unusableSpin('a'), usableSpin('b')],
    annotations: { [RUNTIME]: 'a' },
    chosen: 'a',
  },
  {
    name: 'names a non-Wasm RuntimeClass explicitly',
    classes: [runtimeClass('runc', 'runc'), usableSpin('b')],
    annotations: { [RUNTIME]: 'runc' },
    chosen: 'runc',
  },
  {
    name: 'a class name wins over a handler of the same name',
    classes: [runtimeClass('spin', 'wasmtime'), usableSpin('a')],
    annotations: { [RUNTIME]: 'spin' },
    chosen: 'spin',
    reason: ['the annotation names RuntimeClass spin'],
  },
  { name: 'value is trimmed', classes: [usableSpin('a')], annotations: { [RUNTIME]: '  a \n' }, chosen: 'a' },
  // the annotation names a handler
  {
    name: 'names a handler: the class with it',
    classes: [runtimeClass('wasm1', 'wasmtime'), usableSpin('s')],
    annotations: { [RUNTIME]: 'wasmtime' },
    chosen: 'wasm1',
    reason: ['the only RuntimeClass with handler wasmtime'],
  },
  {
    name: 'names a handler only an unusable class has: still that one',
    classes: [unusableSpin('s')],
    annotations: { [RUNTIME]: 'spin' },
    chosen: 's',
    reason: ['the only RuntimeClass with handler spin'],
  },
  {
    name: 'several with the handler: the one with usable nodes wins over name order',
    classes: [unusableSpin('a'), usableSpin('b')],
    annotations: { [RUNTIME]: 'spin' },
    chosen: 'b',
    reason: ['the only one of 2 RuntimeClasses with handler spin that has usable nodes'],
  },
  {
    name: 'several with the handler: usable nodes win over the configured default',
    classes: [unusableSpin('a'), usableSpin('b')],
    cfg: config({ defaultRuntimeClass: 'a' }),
    annotations: { [RUNTIME]: 'spin' },
    chosen: 'b',
    reason: ['the only one of 2 RuntimeClasses with handler spin that has usable nodes'],
  },
  {
    name: 'NotReady nodes are not usable',
    classes: [notReadySpin('a'), usableSpin('b')],
    annotations: { [RUNTIME]: 'spin' },
    chosen: 'b',
  },
  {
    name: 'several usable: the configured default wins over name order',
    classes: [usableSpin('a'), usableSpin('z')],
    cfg: config({ defaultRuntimeClass: 'z' }),
    annotations: { [RUNTIME]: 'spin' },
    chosen: 'z',
    reason: ['the configured default, among 2 RuntimeClasses with handler spin that have usable nodes'],
  },
  {
    name: 'several usable, no default: by name',
    classes: [usableSpin('m'), usableSpin('c'), usableSpin('x')],
    annotations: { [RUNTIME]: 'spin' },
    chosen: 'c',
    reason: ['the first by name of 3 RuntimeClasses with handler spin that have usable nodes'],
  },
  {
    name: 'several, some usable, no default: by name among the usable ones',
    classes: [unusableSpin('a'), usableSpin('m'), usableSpin('c')],
    annotations: { [RUNTIME]: 'spin' },
    chosen: 'c',
    reason: ['the first by name of 2 RuntimeClasses with handler spin that have usable nodes'],
  },
  {
    name: 'none usable: the configured default',
    classes: [unusableSpin('a'), unusableSpin('z')],
    cfg: config({ defaultRuntimeClass: 'z' }),
    annotations: { [RUNTIME]: 'spin' },
    chosen: 'z',
    reason: ['the configured default; none of the 2 RuntimeClasses with handler spin has usable nodes'],
  },
  {
    name: 'none usable, no default: by name',
    classes: [unusableSpin('q'), unusableSpin('b')],
    annotations: { [RUNTIME]: 'spin' },
    chosen: 'b',
    reason: ['the first by name; none of the 2 RuntimeClasses with handler spin has usable nodes'],
  },
  {
    name: 'usable depends on the pod: its own selector conflicts with one class',
    classes: [usableSpin('a'), runtimeClass('b', 'spin', { ready: 'yes' })],
    state: () =>
      stateOf(
        [node('n1', { spin: 'yes' }), node('n2', { ready: 'yes', spin: 'no' })],
        [usableSpin('a'), runtimeClass('b', 'spin', { ready: 'yes' })],
      ),
    annotations: { [RUNTIME]: 'spin' },
    spec: { nodeSelector: { spin: 'no' } },
    chosen: 'b',
  },
  {
    name: 'usable depends on the pod: its tolerations',
    classes: [],
    state: () =>
      stateOf(
        [
          node('t1', { shim: 'a' }, { taints: [{ key: 'wasm', effect: 'NoSchedule' }] }),
          node('t2', { shim: 'b' }, { taints: [{ key: 'other', effect: 'NoSchedule' }] }),
        ],
        [runtimeClass('a', 'spin', { shim: 'a' }), runtimeClass('b', 'spin', { shim: 'b' })],
      ),
    annotations: { [RUNTIME]: 'spin' },
    spec: { tolerations: [{ key: 'other', operator: 'Exists' }] },
    chosen: 'b',
  },
  {
    name: 'names neither a class nor a handler, Wasm classes exist',
    classes: [usableSpin('a')],
    annotations: { [RUNTIME]: 'wasmedge' },
    chosen: undefined,
    reason: ['no RuntimeClass is named wasmedge or has handler wasmedge'],
    fix: ['set wasmgate.dev/runtime to a Wasm RuntimeClass that exists (a (handler spin)), or create a RuntimeClass with handler wasmedge'],
  },
  {
    name: 'names neither a class nor a handler, several Wasm classes exist',
    classes: [usableSpin('a'), unusableSpin('b'), runtimeClass('runc', 'runc')],
    annotations: { [RUNTIME]: 'wasmedge' },
    chosen: undefined,
    reason: ['no RuntimeClass is named wasmedge or has handler wasmedge'],
    fix: [
      'set wasmgate.dev/runtime to a Wasm RuntimeClass that exists (one of: a (handler spin) and b (handler spin)), or create a RuntimeClass with handler wasmedge',
    ],
  },
  {
    name: 'names neither a class nor a handler, no Wasm classes',
    classes: [runtimeClass('runc', 'runc')],
    annotations: { [RUNTIME]: 'wasmedge' },
    chosen: undefined,
    fix: ['create a RuntimeClass with handler wasmedge and a scheduling.nodeSelector'],
  },
  // auto
  {
    name: 'auto: the configured default',
    classes: [usableSpin('a'), usableSpin('b')],
    cfg: config({ defaultRuntimeClass: 'b' }),
    annotations: { [RUNTIME]: 'auto' },
    chosen: 'b',
    reason: ['the configured default RuntimeClass'],
  },
  {
    name: 'empty value: the configured default',
    classes: [usableSpin('a'), usableSpin('b')],
    cfg: config({ defaultRuntimeClass: 'b' }),
    annotations: { [RUNTIME]: '' },
    chosen: 'b',
  },
  {
    name: 'crun marker: the configured default',
    classes: [usableSpin('a'), usableSpin('b')],
    cfg: config({ defaultRuntimeClass: 'b' }),
    annotations: { [VARIANT]: 'compat-smart' },
    chosen: 'b',
  },
  {
    name: 'auto: the configured default even without usable nodes',
    classes: [usableSpin('a'), unusableSpin('b')],
    cfg: config({ defaultRuntimeClass: 'b' }),
    annotations: { [RUNTIME]: 'auto' },
    chosen: 'b',
  },
  {
    name: 'auto: the only Wasm class with usable nodes',
    classes: [usableSpin('a'), unusableSpin('b'), notReadySpin('c')],
    annotations: { [RUNTIME]: 'auto' },
    chosen: 'a',
    reason: ['the only Wasm RuntimeClass with usable nodes'],
  },
  {
    name: 'crun marker with empty value: the only usable Wasm class',
    classes: [usableSpin('a'), unusableSpin('b')],
    annotations: { [VARIANT]: '' },
    chosen: 'a',
  },
  {
    name: 'auto: a configured default that does not exist falls back to the only usable class',
    classes: [usableSpin('a'), unusableSpin('b')],
    cfg: config({ defaultRuntimeClass: 'gone' }),
    annotations: { [RUNTIME]: 'auto' },
    chosen: 'a',
  },
  {
    name: 'auto: ambiguous',
    classes: [usableSpin('a'), usableSpin('b'), unusableSpin('c')],
    annotations: { [RUNTIME]: 'auto' },
    chosen: undefined,
    reason: ['2 Wasm RuntimeClasses have usable nodes (a and b), so the choice is ambiguous'],
    fix: ['name one in the wasmgate.dev/runtime annotation, or set defaultRuntimeClass'],
  },
  {
    name: 'auto: ambiguous, and the configured default is missing',
    classes: [usableSpin('a'), usableSpin('b')],
    cfg: config({ defaultRuntimeClass: 'gone' }),
    annotations: { [RUNTIME]: 'auto' },
    chosen: undefined,
    reason: ['the configured default RuntimeClass gone does not exist and 2 Wasm RuntimeClasses have usable nodes'],
  },
  {
    name: 'auto: no Wasm class has usable nodes',
    classes: [unusableSpin('a'), notReadySpin('b')],
    annotations: { [RUNTIME]: 'auto' },
    chosen: undefined,
    reason: ['none of the 2 Wasm RuntimeClasses has a Ready, schedulable node this pod tolerates: a (handler spin) and b (handler spin)'],
    fix: ["label the nodes that have the shim with the RuntimeClass's nodeSelector, or name a RuntimeClass in wasmgate.dev/runtime"],
  },
  {
    name: 'auto: no Wasm classes at all',
    classes: [runtimeClass('runc', 'runc'), runtimeClass('gvisor', 'runsc')],
    annotations: { [RUNTIME]: 'auto' },
    chosen: undefined,
    reason: ['the cluster has no Wasm RuntimeClass (none has a handler among wasmtime, spin, spin-v2, wasmedge and 5 more)'],
    fix: ['create a RuntimeClass whose handler is the containerd runtime of your Wasm shim'],
  },
  {
    name: 'auto: no Wasm classes and a missing default',
    classes: [],
    cfg: config({ defaultRuntimeClass: 'wasm1' }),
    annotations: { [RUNTIME]: 'auto' },
    chosen: undefined,
    reason: ['the configured default RuntimeClass wasm1 does not exist and the cluster has no Wasm RuntimeClass'],
  },
  // a non-Wasm class is never chosen for auto
  {
    name: 'auto: a usable runc class is not a candidate',
    classes: [runtimeClass('runc', 'runc'), usableSpin('a')],
    annotations: { [RUNTIME]: 'auto' },
    chosen: 'a',
  },
  {
    name: 'auto: a usable runc class beside an unusable Wasm class',
    classes: [runtimeClass('runc', 'runc'), unusableSpin('a')],
    annotations: { [RUNTIME]: 'auto' },
    chosen: undefined,
    reason: ['the only Wasm RuntimeClass, a (handler spin), has no Ready, schedulable node this pod tolerates'],
  },
  // a configured default with a non-Wasm handler is skipped for auto
  {
    name: 'auto: a configured default with a non-Wasm handler is skipped for the only usable Wasm class',
    classes: [runtimeClass('runc', 'runc'), usableSpin('a'), unusableSpin('b')],
    cfg: config({ defaultRuntimeClass: 'runc' }),
    annotations: { [RUNTIME]: 'auto' },
    chosen: 'a',
    reason: ['the only Wasm RuntimeClass with usable nodes'],
  },
  {
    name: 'crun marker: a non-Wasm default is skipped too',
    classes: [runtimeClass('gvisor', 'runsc'), usableSpin('a')],
    cfg: config({ defaultRuntimeClass: 'gvisor' }),
    annotations: { [VARIANT]: 'compat' },
    chosen: 'a',
  },
  {
    name: 'auto: a non-Wasm default and two usable Wasm classes: ambiguous, the default named as the problem',
    classes: [runtimeClass('runc', 'runc'), usableSpin('a'), usableSpin('b')],
    cfg: config({ defaultRuntimeClass: 'runc' }),
    annotations: { [RUNTIME]: 'auto' },
    chosen: undefined,
    reason: [
      'the configured default RuntimeClass runc has handler runc, which is not a Wasm handler, and 2 Wasm RuntimeClasses have usable nodes (a and b), so the choice is ambiguous',
    ],
  },
  {
    name: 'auto: a non-Wasm default and no Wasm class',
    classes: [runtimeClass('runc', 'runc')],
    cfg: config({ defaultRuntimeClass: 'runc' }),
    annotations: { [RUNTIME]: 'auto' },
    chosen: undefined,
    reason: [
      'the configured default RuntimeClass runc has handler runc, which is not a Wasm handler, and the cluster has no Wasm RuntimeClass',
    ],
  },
  {
    name: 'auto: a non-Wasm default and only an unusable Wasm class',
    classes: [runtimeClass('runc', 'runc'), unusableSpin('a')],
    cfg: config({ defaultRuntimeClass: 'runc' }),
    annotations: { [RUNTIME]: 'auto' },
    chosen: undefined,
    reason: [
      'the configured default RuntimeClass runc has handler runc, which is not a Wasm handler, and the only Wasm RuntimeClass, a (handler spin), has no Ready, schedulable node this pod tolerates',
    ],
  },
  {
    name: 'auto: a default whose handler is Wasm only by custom wasmHandlers is used',
    classes: [runtimeClass('mine', 'myshim'), usableSpin('a')],
    cfg: config({ wasmHandlers: ['myshim', 'spin'], defaultRuntimeClass: 'mine' }),
    annotations: { [RUNTIME]: 'auto' },
    chosen: 'mine',
    reason: ['the configured default RuntimeClass'],
  },
  {
    name: 'naming a non-Wasm class explicitly still gets it (only the auto default is skipped)',
    classes: [runtimeClass('runc', 'runc'), usableSpin('a')],
    cfg: config({ defaultRuntimeClass: 'runc' }),
    annotations: { [RUNTIME]: 'runc' },
    chosen: 'runc',
    reason: ['the annotation names RuntimeClass runc'],
  },
  { name: 'auto: a lone usable runc class', classes: [runtimeClass('runc', 'runc')], annotations: { [VARIANT]: '' }, chosen: undefined },
  {
    name: 'auto: custom wasmHandlers decide what is Wasm',
    classes: [runtimeClass('mine', 'myshim'), usableSpin('a')],
    cfg: config({ wasmHandlers: ['myshim'] }),
    annotations: { [RUNTIME]: 'auto' },
    chosen: 'mine',
  },
  {
    name: 'the runtime annotation takes precedence over the crun marker',
    classes: [usableSpin('a'), usableSpin('b')],
    annotations: { [RUNTIME]: 'b', [VARIANT]: '' },
    chosen: 'b',
  },
];

function choose(c: Case, target?: PodTarget) {
  const state = c.state?.() ?? stateOf(NODES, c.classes);
  const ctx = ctxOf(state, c.cfg ?? config());
  const t = target ?? podT({ annotations: c.annotations, ...(c.spec ? { spec: c.spec } : {}) });
  return chooseRuntimeClass(t, intentOf(t, ctx), ctx);
}

describe('chooseRuntimeClass', () => {
  it.each(cases)('$name', (c) => {
    const choice = choose(c);
    if (c.chosen === undefined) {
      expect(choice.ok).toBe(false);
      if (choice.ok) return;
      for (const s of c.reason ?? []) expect(choice.reason).toContain(s);
      for (const s of c.fix ?? []) expect(choice.fix).toContain(s);
      expect(choice.fix.length).toBeGreaterThan(0);
    } else {
      expect(choice.ok).toBe(true);
      if (!choice.ok) return;
      expect(choice.runtimeClass.name).toBe(c.chosen);
      for (const s of c.reason ?? []) expect(choice.reason).toContain(s);
    }
  });

  it('is deterministic: the order the classes were stored in does not matter', () => {
    const classes = [usableSpin('d'), usableSpin('a'), unusableSpin('0'), usableSpin('c'), usableSpin('b')];
    const results = new Set<string>();
    for (let i = 0; i < classes.length; i++) {
      const rotated = [...classes.slice(i), ...classes.slice(0, i)];
      for (const order of [rotated, [...rotated].reverse()]) {
        const c: Case = { name: '', classes: order, annotations: { [RUNTIME]: 'spin' }, chosen: undefined };
        const choice = choose(c);
        results.add(choice.ok ? choice.runtimeClass.name : 'none');
      }
    }
    expect([...results]).toEqual(['a']);
  });

  it('the seed cluster: handler wasmtime → wasm1, handler spin → wasmtime-spin-v2', () => {
    const ctx = ctxOf(seedCluster());
    for (const [value, expected] of [
      ['wasmtime', 'wasm1'],
      ['spin', 'wasmtime-spin-v2'],
    ] as const) {
      const t = podT({ annotations: { [RUNTIME]: value } });
      const choice = chooseRuntimeClass(t, intentOf(t, ctx), ctx);
      expect(choice.ok && choice.runtimeClass.name).toBe(expected);
    }
  });
});
