import { describe, it, expect } from 'vitest';
import type { MemoryState } from '../../../src/cluster/memory-state.js';
import type { RuntimeClassInfo } from '../../../src/cluster/types.js';
import type { Config } from '../../../src/config/config.js';
import { runtimeclassSelectorMatches as rule } from '../../../src/rules/runtimeclass-selector-matches.js';
import { config, node, runtimeClass, seedCluster, stateOf } from '../../harness/fixtures.js';
import { ctxOf } from '../helpers.js';

const W = { 'wasmtime-enabled': 'yes' };
const TAINT = { key: 'wasm', value: 'true', effect: 'NoSchedule' };

interface Case {
  name: string;
  state: () => MemoryState;
  rc: RuntimeClassInfo;
  cfg?: Config;
  fires: boolean;
  contains?: string[];
  excludes?: string[];
}

const cases: Case[] = [
  { name: 'seed class wasm1 (tolerates the wasm taint)', state: seedCluster, rc: runtimeClass('wasm1', 'wasmtime', W, [{ key: 'wasm', operator: 'Equal', value: 'true', effect: 'NoSchedule' }]), fires: false },
  { name: 'no selector', state: () => stateOf([], []), rc: runtimeClass('open', 'spin'), fires: false },
  {
    name: 'selector matches no node',
    state: seedCluster,
    rc: runtimeClass('wasmedge', 'wasmedge', { 'wasmedge-enabled': 'yes' }),
    fires: true,
    contains: [
      "RuntimeClass wasmedge's pods would have no node to run on: no node matches the node selector wasmedge-enabled=yes (of 5 nodes, 0 nodes carry wasmedge-enabled=yes).",
      'Fix: label the nodes that have the runtime installed: kubectl label nodes <node> wasmedge-enabled=yes.',
    ],
  },
  {
    name: 'matching nodes carry a taint the class does not tolerate',
    state: seedCluster,
    rc: runtimeClass('wasm1', 'wasmtime', W),
    fires: true,
    contains: [
      '2 nodes match the node selector wasmtime-enabled=yes, but 2 have taints that are not tolerated (wasm-1: wasm=true:NoSchedule; wasm-2: wasm=true:NoSchedule).',
      'Fix: add the toleration {key: wasm, operator: Equal, value: true, effect: NoSchedule} to its scheduling.tolerations; or label another Ready node: kubectl label nodes <node> wasmtime-enabled=yes.',
    ],
  },
  {
    name: 'the only matching node is NotReady',
    state: () => stateOf([node('w1', W, { ready: false })], []),
    rc: runtimeClass('wasm1', 'wasmtime', W),
    fires: true,
    contains: ["RuntimeClass wasm1's pods would have no node to run on: 1 node matches the node selector wasmtime-enabled=yes, but it is NotReady (w1). Fix: bring it back to Ready;"],
    excludes: ['1 is NotReady', 'bring a node'],
  },
  { name: 'NotReady node with requireReady: false', state: () => stateOf([node('w1', W, { ready: false })], []), rc: runtimeClass('wasm1', 'wasmtime', W), cfg: config({ nodes: { requireReady: false } }), fires: false },
  {
    name: 'cluster with zero nodes',
    state: () => stateOf([], []),
    rc: runtimeClass('wasm1', 'wasmtime', W),
    fires: true,
    contains: [
      "RuntimeClass wasm1's pods would have no node to run on: the cluster has no nodes. " +
        'Fix: join nodes that have the runtime installed and label them: kubectl label nodes <node> wasmtime-enabled=yes.',
    ],
  },
  { name: 'class tolerates with Exists', state: () => stateOf([node('w1', W, { taints: [TAINT] })], []), rc: runtimeClass('wasm1', 'wasmtime', W, [{ key: 'wasm', operator: 'Exists' }]), fires: false },
  {
    name: 'non-Wasm class is checked too',
    state: () => stateOf([node('p1')], []),
    rc: runtimeClass('kata', 'kata', { 'kata-enabled': 'true' }),
    fires: true,
    contains: ["RuntimeClass kata's pods"],
  },
  {
    name: 'a reserved key in the selector is not suggested as a label (reserved-label-keys reports it)',
    state: () => stateOf([node('p1')], []),
    rc: runtimeClass('wasm1', 'wasmtime', { 'kubernetes.io/wasm': 'yes', ...W }),
    fires: true,
    contains: ['Fix: label the nodes that have the runtime installed: kubectl label nodes <node> wasmtime-enabled=yes.'],
    excludes: ['<node> kubernetes.io/wasm'],
  },
];

describe('runtimeclass-selector-matches', () => {
  it.each(cases)('$name', ({ state, rc, cfg, fires, contains, excludes }) => {
    const messages = rule.checks.RuntimeClass!.CREATE!(rc, ctxOf(state(), cfg ?? config()));
    expect(messages.length).toBe(fires ? 1 : 0);
    for (const s of contains ?? []) expect(messages[0]).toContain(s);
    for (const s of excludes ?? []) expect(messages[0]).not.toContain(s);
  });

  it('has no pod checker and warns by default', () => {
    expect(rule.checks.podTemplate).toBeUndefined();
    expect(rule.defaultMode).toBe('warn');
  });
});
