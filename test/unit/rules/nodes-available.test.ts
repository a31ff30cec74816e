import { describe, it, expect } from 'vitest';
import type { MemoryState } from '../../../src/cluster/memory-state.js';
import type { NodeInfo, RuntimeClassInfo, Toleration } from '../../../src/cluster/types.js';
import type { Config } from '../../../src/config/config.js';
import { nodesAvailable as rule } from '../../../src/rules/nodes-available.js';
import type { PodTarget, WasmIntent } from '../../../src/decide/types.js';
import { config, node, runtimeClass, seedCluster, stateOf } from '../../harness/fixtures.js';
import { annotated, ctxOf, named, podT, targetOf, workloadObject } from '../helpers.js';

const W = { 'wasmtime-enabled': 'yes' };
const wasm1 = runtimeClass('wasm1', 'wasmtime', W);
const open = runtimeClass('open', 'spin'); // no selector: every node

const NO_SCHEDULE = { key: 'wasm', value: 'true', effect: 'NoSchedule' };
const NO_EXECUTE = { key: 'wasm', value: 'true', effect: 'NoExecute' };
const PREFER = { key: 'wasm', value: 'true', effect: 'PreferNoSchedule' };

/** the cluster: one plain node, plus `wasm` nodes; the classes wasm1 and open */
function cluster(wasm: NodeInfo[], classes: RuntimeClassInfo[] = [wasm1, open]): () => MemoryState {
  return () => stateOf([node('plain-1'), ...wasm], classes);
}

function podWith(tolerations?: Toleration[], nodeSelector?: Record<string, string>): PodTarget {
  return podT({ spec: { ...(tolerations ? { tolerations } : {}), ...(nodeSelector ? { nodeSelector } : {}) } });
}

interface Case {
  name: string;
  state: () => MemoryState;
  cfg?: Config;
  target?: PodTarget;
  intent?: WasmIntent;
  fires: boolean;
  contains?: string[];
  excludes?: string[];
}

const cases: Case[] = [
  // the basics
  { name: 'a Ready, untainted, matching node', state: cluster([node('w1', W)]), fires: false },
  { name: 'no runtimeClassName', state: cluster([]), intent: annotated('wasm1'), fires: false },
  { name: 'class does not exist', state: cluster([]), intent: named('gone'), fires: false },
  {
    name: 'no node matches the selector',
    state: cluster([node('w1', { 'wasmtime-enabled': 'no' })]),
    fires: true,
    contains: [
      'Pod default/app (RuntimeClass wasm1) has no node to run on: no node matches the node selector wasmtime-enabled=yes',
      '(of 2 nodes, 0 nodes carry wasmtime-enabled=yes)',
      'Fix: label the nodes that have the runtime installed: kubectl label nodes <node> wasmtime-enabled=yes.',
    ],
  },
  {
    name: 'per-label counts for a merged selector',
    state: cluster([node('w1', W), node('a1', { 'kubernetes.io/arch': 'arm64' })]),
    target: podWith(undefined, { 'kubernetes.io/arch': 'arm64' }),
    fires: true,
    contains: [
      'no node matches the node selector kubernetes.io/arch=arm64, wasmtime-enabled=yes',
      '(of 3 nodes, 1 node carries kubernetes.io/arch=arm64, 1 node carries wasmtime-enabled=yes)',
      // kubelet sets kubernetes.io/arch; the fix only asks to add the other label
      'kubectl label nodes <node> wasmtime-enabled=yes.',
    ],
    excludes: ['kubectl label nodes <node> kubernetes.io/arch'],
  },
  {
    name: 'only kubelet labels in the selector: no label command',
    state: cluster([node('w1', { 'kubernetes.io/arch': 'amd64' })]),
    target: podWith(undefined, { 'kubernetes.io/arch': 's390x' }),
    intent: named('open'),
    fires: true,
    contains: ['Fix: change the node selector to labels that the nodes with the runtime carry.'],
    excludes: ['kubectl label'],
  },
  {
    name: 'a reserved key that is not kubelet\'s is not suggested as a label either',
    state: cluster([node('w1', W)]),
    target: podWith(undefined, { 'kubernetes.io/wasm': 'yes' }),
    fires: true,
    contains: [
      'no node matches the node selector kubernetes.io/wasm=yes, wasmtime-enabled=yes',
      'Fix: label the nodes that have the runtime installed: kubectl label nodes <node> wasmtime-enabled=yes.',
    ],
    excludes: ['kubernetes.io/wasm=yes wasmtime', '<node> kubernetes.io/wasm'],
  },
  {
    name: 'a reserved key is not suggested even when allowlisted',
    state: cluster([node('w1', W)]),
    cfg: config({ reservedLabelAllowlist: ['kubernetes.io/wasm'] }),
    target: podWith(undefined, { 'kubernetes.io/wasm': 'yes' }),
    fires: true,
    contains: ['kubectl label nodes <node> wasmtime-enabled=yes.'],
    excludes: ['<node> kubernetes.io/wasm'],
  },
  {
    name: 'only reserved keys (kubelet\'s and others) in the selector: no label command',
    state: cluster([node('w1', { 'kubernetes.io/arch': 'amd64' })]),
    target: podWith(undefined, { 'kubernetes.io/arch': 's390x', 'shim.k8s.io/wasm': 'on' }),
    intent: named('open'),
    fires: true,
    contains: ['Fix: change the node selector to labels that the nodes with the runtime carry.'],
    excludes: ['kubectl label'],
  },
  {
    name: 'a reserved key is left out of "label another Ready node" too',
    state: cluster([node('w1', { ...W, 'kubernetes.io/wasm': 'yes' }, { ready: false })]),
    target: podWith(undefined, { 'kubernetes.io/wasm': 'yes' }),
    fires: true,
    contains: ['label another Ready node: kubectl label nodes <node> wasmtime-enabled=yes.'],
    excludes: ['<node> kubernetes.io/wasm'],
  },
  // readiness and cordon
  {
    name: 'the only matching node is NotReady',
    state: cluster([node('w1', W, { ready: false })]),
    fires: true,
    contains: [
      '1 node matches the node selector wasmtime-enabled=yes, but it is NotReady (w1).',
      'Fix: bring it back to Ready; or label another Ready node: kubectl label nodes <node> wasmtime-enabled=yes.',
    ],
    excludes: ['1 is NotReady', 'bring a node'],
  },
  {
    name: 'the only matching node is cordoned',
    state: cluster([node('w1', W, { unschedulable: true })]),
    fires: true,
    contains: ['but it is cordoned (w1).', 'Fix: uncordon it: kubectl uncordon w1; or label another Ready node'],
    excludes: ['1 is cordoned', 'uncordon one'],
  },
  {
    name: 'two matching nodes, both cordoned: counted, "uncordon one"',
    state: cluster([node('w1', W, { unschedulable: true }), node('w2', W, { unschedulable: true })]),
    fires: true,
    contains: ['2 nodes match the node selector wasmtime-enabled=yes, but 2 are cordoned (w1 and w2). Fix: uncordon one: kubectl uncordon w1;'],
  },
  {
    name: 'NotReady, cordoned and tainted, all counted',
    state: cluster([node('w1', W, { ready: false }), node('w2', W, { unschedulable: true }), node('w3', W, { taints: [NO_SCHEDULE] })]),
    fires: true,
    contains: ['3 nodes match the node selector wasmtime-enabled=yes, but 1 is NotReady (w1), 1 is cordoned (w2) and 1 has taints that are not tolerated (w3: wasm=true:NoSchedule).'],
  },
  {
    name: 'several NotReady: plural and sorted names',
    state: cluster([node('w2', W, { ready: false }), node('w1', W, { ready: false })]),
    fires: true,
    contains: ['2 nodes match the node selector wasmtime-enabled=yes, but 2 are NotReady (w1 and w2).'],
  },
  { name: 'requireReady: false counts a NotReady node', state: cluster([node('w1', W, { ready: false })]), cfg: config({ nodes: { requireReady: false } }), fires: false },
  { name: 'requireReady: false counts a cordoned node', state: cluster([node('w1', W, { unschedulable: true })]), cfg: config({ nodes: { requireReady: false } }), fires: false },
  {
    name: 'requireReady: false still honours taints',
    state: cluster([node('w1', W, { ready: false, taints: [NO_SCHEDULE] })]),
    cfg: config({ nodes: { requireReady: false } }),
    fires: true,
    contains: ['but it has taints that are not tolerated (w1: wasm=true:NoSchedule)'],
    excludes: ['NotReady'],
  },
  // taints and tolerations
  {
    name: 'NoSchedule taint blocks',
    state: cluster([node('w1', W, { taints: [NO_SCHEDULE] })]),
    fires: true,
    contains: [
      '1 node matches the node selector wasmtime-enabled=yes, but it has taints that are not tolerated (w1: wasm=true:NoSchedule)',
      "Fix: add the toleration {key: wasm, operator: Equal, value: true, effect: NoSchedule} to spec.tolerations or RuntimeClass wasm1's scheduling.tolerations",
    ],
  },
  {
    name: 'two distinct taints: "the tolerations", plural',
    state: cluster([node('w1', W, { taints: [NO_SCHEDULE] }), node('w2', W, { taints: [{ key: 'gpu', effect: 'NoExecute' }] })]),
    fires: true,
    contains: [
      '2 nodes match the node selector wasmtime-enabled=yes, but 2 have taints that are not tolerated (w1: wasm=true:NoSchedule; w2: gpu:NoExecute)',
      'Fix: add the tolerations {key: wasm, operator: Equal, value: true, effect: NoSchedule} and {key: gpu, operator: Exists, effect: NoExecute} to spec.tolerations',
    ],
  },
  {
    name: 'NoExecute taint blocks',
    state: cluster([node('w1', W, { taints: [NO_EXECUTE] })]),
    fires: true,
    contains: ['w1: wasm=true:NoExecute', '{key: wasm, operator: Equal, value: true, effect: NoExecute}'],
  },
  {
    name: 'a taint without value: toleration with Exists',
    state: cluster([node('w1', W, { taints: [{ key: 'dedicated', effect: 'NoSchedule' }] })]),
    fires: true,
    contains: ['w1: dedicated:NoSchedule', '{key: dedicated, operator: Exists, effect: NoSchedule}'],
  },
  { name: 'PreferNoSchedule does not block', state: cluster([node('w1', W, { taints: [PREFER] })]), fires: false },
  { name: 'toleration Equal with the same value', state: cluster([node('w1', W, { taints: [NO_SCHEDULE] })]), target: podWith([{ key: 'wasm', operator: 'Equal', value: 'true', effect: 'NoSchedule' }]), fires: false },
  { name: 'toleration with no operator means Equal', state: cluster([node('w1', W, { taints: [NO_SCHEDULE] })]), target: podWith([{ key: 'wasm', value: 'true' }]), fires: false },
  {
    name: 'toleration Equal with another value does not tolerate',
    state: cluster([node('w1', W, { taints: [NO_SCHEDULE] })]),
    target: podWith([{ key: 'wasm', operator: 'Equal', value: 'false', effect: 'NoSchedule' }]),
    fires: true,
    contains: ['w1: wasm=true:NoSchedule'],
  },
  {
    name: 'toleration Equal without value does not tolerate a valued taint',
    state: cluster([node('w1', W, { taints: [NO_SCHEDULE] })]),
    target: podWith([{ key: 'wasm', operator: 'Equal', effect: 'NoSchedule' }]),
    fires: true,
  },
  { name: 'toleration Exists with the key tolerates any value', state: cluster([node('w1', W, { taints: [NO_SCHEDULE] })]), target: podWith([{ key: 'wasm', operator: 'Exists' }]), fires: false },
  {
    name: 'toleration Exists with an empty key tolerates every taint',
    state: cluster([node('w1', W, { taints: [NO_SCHEDULE, NO_EXECUTE, { key: 'other', effect: 'NoSchedule' }] })]),
    target: podWith([{ operator: 'Exists' }]),
    fires: false,
  },
  {
    name: 'toleration Exists with empty key but an effect only tolerates that effect',
    state: cluster([node('w1', W, { taints: [NO_SCHEDULE, NO_EXECUTE] })]),
    target: podWith([{ operator: 'Exists', effect: 'NoSchedule' }]),
    fires: true,
    contains: ['w1: wasm=true:NoExecute'],
    excludes: ['wasm=true:NoSchedule'],
  },
  { name: 'effect-less toleration matches any effect', state: cluster([node('w1', W, { taints: [NO_SCHEDULE, NO_EXECUTE] })]), target: podWith([{ key: 'wasm', operator: 'Equal', value: 'true' }]), fires: false },
  {
    name: 'toleration for another effect does not tolerate',
    state: cluster([node('w1', W, { taints: [NO_EXECUTE] })]),
    target: podWith([{ key: 'wasm', operator: 'Equal', value: 'true', effect: 'NoSchedule' }]),
    fires: true,
  },
  {
    name: 'toleration for another key does not tolerate',
    state: cluster([node('w1', W, { taints: [NO_SCHEDULE] })]),
    target: podWith([{ key: 'gpu', operator: 'Exists' }]),
    fires: true,
  },
  {
    name: "the RuntimeClass's tolerations count",
    state: cluster([node('w1', W, { taints: [NO_SCHEDULE] })], [runtimeClass('wasm1', 'wasmtime', W, [{ key: 'wasm', operator: 'Exists', effect: 'NoSchedule' }])]),
    fires: false,
  },
  {
    name: 'pod and class tolerations combine',
    state: cluster([node('w1', W, { taints: [NO_SCHEDULE, { key: 'gpu', effect: 'NoExecute' }] })], [runtimeClass('wasm1', 'wasmtime', W, [{ key: 'wasm', operator: 'Exists' }])]),
    target: podWith([{ key: 'gpu', operator: 'Exists' }]),
    fires: false,
  },
  {
    name: 'condition taint of a NotReady node is not counted again as a taint',
    state: cluster([node('w1', W, { ready: false, taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] })]),
    fires: true,
    contains: ['but it is NotReady (w1).'],
    excludes: ['taint', 'toleration'],
  },
  {
    name: 'condition taint of a cordoned node is not counted again as a taint',
    state: cluster([node('w1', W, { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] })]),
    fires: true,
    contains: ['but it is cordoned (w1).'],
    excludes: ['taint', 'toleration'],
  },
  {
    name: 'unreachable condition taint is not counted as a taint',
    state: cluster([node('w1', W, { ready: false, taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] })]),
    fires: true,
    excludes: ['taint'],
  },
  {
    name: 'requireReady: false: the not-ready condition taint does not block either',
    state: cluster([node('w1', W, { ready: false, taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }] })]),
    cfg: config({ nodes: { requireReady: false } }),
    fires: false,
  },
  {
    name: 'requireReady: false: the unschedulable condition taint does not block either',
    state: cluster([node('w1', W, { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] })]),
    cfg: config({ nodes: { requireReady: false } }),
    fires: false,
  },
  {
    name: 'more than three tainted nodes: three shown and "N more"',
    state: cluster(['w1', 'w2', 'w3', 'w4', 'w5'].map((n) => node(n, W, { taints: [NO_SCHEDULE] }))),
    fires: true,
    contains: ['5 have taints that are not tolerated (w1: wasm=true:NoSchedule; w2: wasm=true:NoSchedule; w3: wasm=true:NoSchedule and 2 more)'],
    excludes: ['w4'],
  },
  // selectors
  {
    name: 'the pod selector narrows the class selector',
    state: cluster([node('w1', { ...W, zone: 'a' }), node('w2', { ...W, zone: 'b' }, { ready: false })]),
    target: podWith(undefined, { zone: 'b' }),
    fires: true,
    contains: ['1 node matches the node selector wasmtime-enabled=yes, zone=b, but it is NotReady (w2). Fix: bring it back to Ready;'],
  },
  { name: 'selector conflict is left to selector-conflict', state: cluster([]), target: podWith(undefined, { 'wasmtime-enabled': 'no' }), fires: false },
  { name: 'empty selector: any usable node', state: cluster([]), intent: named('open'), fires: false },
  { name: 'empty pod selector object', state: cluster([]), target: podWith(undefined, {}), intent: named('open'), fires: false },
  {
    name: 'empty selector, every node unusable',
    state: () => stateOf([node('n1', {}, { ready: false }), node('n2', {}, { unschedulable: true })], [open]),
    intent: named('open'),
    fires: true,
    contains: [
      'Pod default/app (RuntimeClass open) has no node to run on: there is no node selector, so all 2 nodes qualify, but 1 is NotReady (n1) and 1 is cordoned (n2).',
      'Fix: bring a node back to Ready; or uncordon it: kubectl uncordon n2.',
    ],
    excludes: ['kubectl label'],
  },
  {
    name: 'empty selector, the only node unusable',
    state: () => stateOf([node('n1', {}, { unschedulable: true })], [open]),
    intent: named('open'),
    fires: true,
    contains: [
      "Pod default/app (RuntimeClass open) has no node to run on: there is no node selector, so the cluster's only node qualifies, but it is cordoned (n1). Fix: uncordon it: kubectl uncordon n1.",
    ],
    excludes: ['kubectl label'],
  },
  {
    name: 'cluster with zero nodes: join nodes and label them',
    state: () => stateOf([], [wasm1, open]),
    fires: true,
    contains: [
      'Pod default/app (RuntimeClass wasm1) has no node to run on: the cluster has no nodes. ' +
        'Fix: join nodes that have the runtime installed and label them: kubectl label nodes <node> wasmtime-enabled=yes.',
    ],
  },
  {
    name: 'cluster with zero nodes, empty selector: join nodes, nothing to label',
    state: () => stateOf([], [wasm1, open]),
    intent: named('open'),
    fires: true,
    contains: ['the cluster has no nodes. Fix: join nodes that have the runtime installed.'],
    excludes: ['kubectl label'],
  },
  {
    name: 'cluster with zero nodes, only reserved keys: join nodes, nothing to label',
    state: () => stateOf([], [wasm1, open]),
    target: podWith(undefined, { 'kubernetes.io/arch': 'arm64', 'kubernetes.io/wasm': 'yes' }),
    intent: named('open'),
    fires: true,
    contains: ['the cluster has no nodes. Fix: join nodes that have the runtime installed.'],
    excludes: ['kubectl label'],
  },
  {
    name: 'Job: the toleration field names the template',
    state: cluster([node('w1', W, { taints: [NO_SCHEDULE] })]),
    target: targetOf('Job', workloadObject('Job', { name: 'batch' })),
    fires: true,
    contains: ['Job default/batch (RuntimeClass wasm1)', "to spec.template.spec.tolerations or RuntimeClass wasm1's scheduling.tolerations"],
  },
];

describe('nodes-available', () => {
  it.each(cases)('$name', ({ state, cfg, target, intent, fires, contains, excludes }) => {
    const messages = rule.checks.podTemplate!.CREATE!(target ?? podT(), intent ?? named('wasm1'), ctxOf(state(), cfg ?? config()));
    expect(messages.length).toBe(fires ? 1 : 0);
    for (const s of contains ?? []) expect(messages[0]).toContain(s);
    for (const s of excludes ?? []) expect(messages[0]).not.toContain(s);
  });

  it('seed cluster: wasm1 pods tolerate the wasm taint through the class', () => {
    expect(rule.checks.podTemplate!.CREATE!(podT(), named('wasm1'), ctxOf(seedCluster()))).toEqual([]);
  });
});
