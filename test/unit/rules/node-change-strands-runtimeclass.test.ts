import { describe, it, expect } from 'vitest';
import { leanNode } from '../../../src/cluster/lean.js';
import type { MemoryState } from '../../../src/cluster/memory-state.js';
import type { NodeInfo } from '../../../src/cluster/types.js';
import type { Config } from '../../../src/config/config.js';
import { nodeChangeStrandsRuntimeclass as rule } from '../../../src/rules/node-change-strands-runtimeclass.js';
import { config, node, runtimeClass, stateOf } from '../../harness/fixtures.js';
import { ctxOf } from '../helpers.js';

const W = { 'wasmtime-enabled': 'yes' };
const wasm1 = runtimeClass('wasm1', 'wasmtime', W);
const w1 = node('w1', W);
/** w1 with a taint it already had before the change, and a class that tolerates it and wasm */
const w1Tainted = node('w1', W, { taints: [{ key: 'old', effect: 'NoSchedule' }] });
const wasm1Tolerating = runtimeClass('wasm1', 'wasmtime', W, [
  { key: 'wasm', operator: 'Exists' },
  { key: 'old', operator: 'Exists' },
]);

interface Case {
  name: string;
  /** the state before the change (it still holds the old node) */
  state: () => MemoryState;
  oldNode?: NodeInfo;
  newNode: NodeInfo;
  cfg?: Config;
  /** number of messages */
  fires: number;
  contains?: string[];
  excludes?: string[];
  /** wording-independent checks (the count and its singular/plural) */
  matches?: RegExp[];
}

const lastNode =
  (extra: NodeInfo[] = [], classes = [wasm1], pods?: Record<string, string>) =>
  () =>
    stateOf([node('plain-1'), w1, ...extra], classes, pods);

const cases: Case[] = [
  {
    name: 'removing the label from the last node',
    state: lastNode(),
    newNode: node('w1'),
    fires: 1,
    contains: [
      'This change to Node w1 removes label wasmtime-enabled=yes, which leaves RuntimeClass wasm1 (handler wasmtime) with no Ready, schedulable node: new pods of this class will stay Pending.',
      'Fix: revert the change, or first prepare another node with the wasmtime shim and label it: kubectl label nodes <node> wasmtime-enabled=yes.',
    ],
  },
  {
    name: 'changing the label value',
    state: lastNode(),
    newNode: node('w1', { 'wasmtime-enabled': 'no' }),
    fires: 1,
    contains: ['changes label wasmtime-enabled from yes to no'],
  },
  {
    name: 'cordoning the last node',
    state: lastNode(),
    newNode: node('w1', W, { unschedulable: true }),
    fires: 1,
    contains: ['This change to Node w1 cordons it, which leaves RuntimeClass wasm1'],
  },
  {
    name: 'removing the label and cordoning',
    state: lastNode(),
    newNode: node('w1', {}, { unschedulable: true }),
    fires: 1,
    contains: ['removes label wasmtime-enabled=yes and cordons it'],
  },
  {
    name: 'tainting the last node',
    state: lastNode(),
    newNode: node('w1', W, { taints: [{ key: 'maint', effect: 'NoExecute' }] }),
    fires: 1,
    contains: [
      'This change to Node w1 adds the taint maint:NoExecute (not tolerated by its pods), which leaves RuntimeClass wasm1 (handler wasmtime)',
    ],
  },
  {
    name: 'adding several taints: the untolerated ones all named, the tolerated ones left out',
    state: () => stateOf([w1Tainted], [wasm1Tolerating]),
    oldNode: w1Tainted,
    newNode: node('w1', W, {
      taints: [
        { key: 'old', effect: 'NoSchedule' },
        { key: 'wasm', value: 'true', effect: 'NoSchedule' },
        { key: 'maint', effect: 'NoExecute' },
        { key: 'gpu', value: 'a100', effect: 'NoSchedule' },
      ],
    }),
    fires: 1,
    contains: ['adds the taints maint:NoExecute, gpu=a100:NoSchedule (not tolerated by its pods), which leaves RuntimeClass wasm1'],
    excludes: ['old:NoSchedule', 'wasm=true:NoSchedule'],
  },
  {
    name: 'removing the label and tainting: both named',
    state: lastNode(),
    newNode: node('w1', {}, { taints: [{ key: 'maint', effect: 'NoExecute' }] }),
    fires: 1,
    contains: ['removes label wasmtime-enabled=yes and adds the taint maint:NoExecute (not tolerated by its pods)'],
  },
  {
    name: 'the node going NotReady: no label, cordon or taint to name',
    state: lastNode(),
    newNode: node('w1', W, { ready: false }),
    fires: 1,
    contains: ['This change to Node w1 makes it unusable for this class, which leaves RuntimeClass wasm1'],
    excludes: ['adds the taint'],
  },
  {
    name: 'PreferNoSchedule taint does not strand',
    state: lastNode(),
    newNode: node('w1', W, { taints: [{ key: 'maint', effect: 'PreferNoSchedule' }] }),
    fires: 0,
  },
  { name: 'another usable node remains', state: lastNode([node('w2', W)]), newNode: node('w1'), fires: 0 },
  { name: 'the other matching node is NotReady', state: lastNode([node('w2', W, { ready: false })]), newNode: node('w1'), fires: 1 },
  { name: 'the other matching node is cordoned', state: lastNode([node('w2', W, { unschedulable: true })]), newNode: node('w1'), fires: 1 },
  {
    name: 'the other NotReady node counts with requireReady: false',
    state: lastNode([node('w2', W, { ready: false })]),
    newNode: node('w1'),
    cfg: config({ nodes: { requireReady: false } }),
    fires: 0,
  },
  // issue 11: a cordon is judged by the NodeUnschedulable filter, whatever requireReady says
  {
    name: 'cordon with requireReady: false strands the class too',
    state: lastNode(),
    newNode: node('w1', W, { unschedulable: true }),
    cfg: config({ nodes: { requireReady: false } }),
    fires: 1,
  },
  {
    name: 'the node was not usable before (NotReady)',
    state: lastNode(),
    oldNode: node('w1', W, { ready: false }),
    newNode: node('w1'),
    fires: 0,
  },
  {
    name: 'the node was not usable before (label absent)',
    state: lastNode(),
    oldNode: node('w1'),
    newNode: node('w1', { other: 'x' }),
    fires: 0,
  },
  { name: 'an unrelated label change', state: lastNode(), newNode: node('w1', { ...W, team: 'a' }), fires: 0 },
  { name: 'uncordon is fine', state: lastNode(), oldNode: node('w1', W, { unschedulable: true }), newNode: w1, fires: 0 },
  {
    name: 'non-Wasm classes are not considered',
    state: lastNode([], [runtimeClass('kata', 'kata', W)]),
    newNode: node('w1'),
    fires: 0,
  },
  {
    name: 'unfinished pods are counted (several)',
    state: lastNode([], [wasm1], { 'default/a': 'wasm1', 'default/b': 'wasm1', 'default/c': 'other' }),
    newNode: node('w1'),
    fires: 1,
    contains: [
      'with no Ready, schedulable node: it is used by 2 pods that have not finished, and new pods of this class will stay Pending.',
    ],
  },
  {
    name: 'unfinished pods are counted (one)',
    state: lastNode([], [wasm1], { 'default/a': 'wasm1' }),
    newNode: node('w1'),
    fires: 1,
    contains: ['with no Ready, schedulable node: it is used by 1 pod that has not finished, and new pods of this class will stay Pending.'],
  },
  {
    name: 'pods tracked, none of this class: no pod count',
    state: lastNode([], [wasm1], { 'default/c': 'other' }),
    newNode: node('w1'),
    fires: 1,
    contains: ['with no Ready, schedulable node: new pods of this class will stay Pending.'],
    excludes: ['is used by'],
  },
  {
    name: 'two classes stranded at once: one message each',
    state: lastNode([], [wasm1, runtimeClass('wasm2', 'wasmedge', { 'wasmtime-enabled': 'yes' })]),
    newNode: node('w1'),
    fires: 2,
    contains: ['RuntimeClass wasm1'],
  },
  {
    name: 'class without selector: cordoning the last schedulable node',
    state: () => stateOf([node('n1'), node('n2', {}, { ready: false })], [runtimeClass('open', 'spin')]),
    oldNode: node('n1'),
    newNode: node('n1', {}, { unschedulable: true }),
    fires: 1,
    contains: [
      'Node n1 cordons it, which leaves RuntimeClass open (handler spin)',
      'Fix: revert the change, or first prepare another node with the spin shim.',
    ],
    excludes: ['kubectl label'],
  },
  {
    name: 'class tolerations are honoured for the other node',
    state: lastNode(
      [node('w2', W, { taints: [{ key: 'wasm', effect: 'NoSchedule' }] })],
      [runtimeClass('wasm1', 'wasmtime', W, [{ key: 'wasm', operator: 'Exists' }])],
    ),
    newNode: node('w1'),
    fires: 0,
  },
];

describe('node-change-strands-runtimeclass', () => {
  it.each(cases)('$name', ({ state, oldNode, newNode, cfg, fires, contains, excludes, matches }) => {
    const messages = rule.checks.Node!.UPDATE!(oldNode ?? w1, newNode, ctxOf(state(), cfg ?? config()));
    expect(messages).toHaveLength(fires);
    for (const s of contains ?? []) expect(messages[0]).toContain(s);
    for (const s of excludes ?? []) expect(messages[0]).not.toContain(s);
    for (const re of matches ?? []) expect(messages[0]).toMatch(re);
  });
});

describe('node-change-strands-runtimeclass: labels as a review reads them (unchecked, by key)', () => {
  it('a label value that is not a string counts as removed, named without the value', () => {
    const sent = { metadata: { name: 'w1', labels: { 'wasmtime-enabled': ['yes', 'x'.repeat(10_000)] } }, spec: {}, status: {} };
    const newNode = leanNode(sent, 'lookup')!;
    const messages = rule.checks.Node!.UPDATE!(w1, { ...newNode, ready: true }, ctxOf(lastNode()(), config()));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('removes label wasmtime-enabled=yes');
    expect(messages[0]!.length).toBeLessThan(1000);
  });

  it('the map is the one sent, not a copy', () => {
    const labels = { 'wasmtime-enabled': 'yes' };
    expect(leanNode({ metadata: { name: 'w1', labels } }, 'lookup')!.labels).toBe(labels);
    expect(leanNode({ metadata: { name: 'w1' } }, 'lookup')!.labels).toEqual({});
  });
});

describe('node-change-strands-runtimeclass: the handlers kubelet reports (issue 11)', () => {
  const ctx = (nodes: NodeInfo[]) => ctxOf(stateOf(nodes, [runtimeClass('wasm1', 'wasmtime', W)]));
  const check = rule.checks.Node!.UPDATE!;
  it('warns when a label sends a class to a node whose kubelet reports other handlers', () => {
    const before = node('w3', {}, { runtimeHandlers: ['runc', 'spin'] });
    const after = node('w3', W, { runtimeHandlers: ['runc', 'spin'] });
    const messages = check(before, after, ctx([node('w1', W), before]));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('This change to Node w3 labels it wasmtime-enabled=yes');
    expect(messages[0]).toContain('its kubelet reports the runtime handlers runc and spin, not wasmtime');
  });
  it('is silent when the node reports the handler, or reports none', () => {
    for (const handlers of [['runc', 'wasmtime'], []]) {
      const before = node('w3', {}, { runtimeHandlers: handlers });
      expect(check(before, node('w3', W, { runtimeHandlers: handlers }), ctx([node('w1', W), before]))).toEqual([]);
    }
  });
  it("a node missing the handler does not count as the class's last usable node", () => {
    const w1 = node('w1', W);
    const w2 = node('w2', W, { runtimeHandlers: ['runc'] });
    const messages = check(w1, node('w1'), ctx([w1, w2]));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('which leaves RuntimeClass wasm1 (handler wasmtime) with no Ready, schedulable node');
  });
});
