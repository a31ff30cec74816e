import { describe, it, expect } from 'vitest';
import type { MemoryState } from '../../../src/cluster/memory-state.js';
import { daemonsetSelectsRuntimeNodes as rule } from '../../../src/rules/daemonset-selects-runtime-nodes.js';
import type { PodTarget, WasmIntent } from '../../../src/decide/types.js';
import { node, runtimeClass, seedCluster, stateOf } from '../../harness/fixtures.js';
import { annotated, ctxOf, named, targetOf, workloadObject } from '../helpers.js';

interface Case {
  name: string;
  state?: () => MemoryState;
  target: PodTarget;
  intent: WasmIntent;
  fires: number;
  contains?: string[];
}

const ds = (nodeSelector?: Record<string, string>) =>
  targetOf('DaemonSet', workloadObject('DaemonSet', { name: 'agent', spec: nodeSelector === undefined ? {} : { nodeSelector } }));

const allLabelled = () =>
  stateOf([node('w1', { 'wasmtime-enabled': 'yes' })], [runtimeClass('wasm1', 'wasmtime', { 'wasmtime-enabled': 'yes' })]);
const oneOther = () =>
  stateOf(
    [node('w1', { 'wasmtime-enabled': 'yes' }), node('p1')],
    [runtimeClass('wasm1', 'wasmtime', { 'wasmtime-enabled': 'yes' }), runtimeClass('open', 'spin')],
  );

const inYes = { matchExpressions: [{ key: 'wasmtime-enabled', operator: 'In', values: ['yes'] }] };
const dsAffinity = (terms: object[]): PodTarget =>
  targetOf(
    'DaemonSet',
    workloadObject('DaemonSet', {
      name: 'agent',
      spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } },
    }),
  );

const cases: Case[] = [
  {
    name: 'no nodeSelector: 3 of the seed cluster’s 5 nodes would get a Pending pod',
    target: ds(),
    intent: named('wasm1'),
    fires: 1,
    contains: [
      'DaemonSet default/agent uses RuntimeClass wasm1, whose pods can run only on nodes with wasmtime-enabled=yes, but spec.template.spec.nodeSelector does not select them',
      'so the 3 nodes without the label would each get a pod that stays Pending. Fix: add wasmtime-enabled=yes to spec.template.spec.nodeSelector.',
    ],
  },
  {
    name: 'one other node',
    state: oneOther,
    target: ds(),
    intent: named('wasm1'),
    fires: 1,
    contains: ['so the one node without the label would get a pod that stays Pending'],
  },
  {
    name: 'every node labelled today',
    state: allLabelled,
    target: ds(),
    intent: named('wasm1'),
    fires: 1,
    contains: ['every node carries the label today, but any node that joins without it'],
  },
  { name: 'a different value is still not selecting them', target: ds({ 'wasmtime-enabled': 'no' }), intent: named('wasm1'), fires: 1 },
  { name: 'template selects the class’s nodes', target: ds({ 'wasmtime-enabled': 'yes' }), intent: named('wasm1'), fires: 0 },
  { name: 'template selects them and more', target: ds({ 'wasmtime-enabled': 'yes', zone: 'a' }), intent: named('wasm1'), fires: 0 },
  {
    name: 'template selects them by required node affinity (every term)',
    target: dsAffinity([inYes, inYes]),
    intent: named('wasm1'),
    fires: 0,
  },
  {
    name: 'one affinity term does not require the label',
    target: dsAffinity([inYes, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }]),
    intent: named('wasm1'),
    fires: 1,
  },
  {
    name: 'affinity In with another value too',
    target: dsAffinity([{ matchExpressions: [{ key: 'wasmtime-enabled', operator: 'In', values: ['yes', 'no'] }] }]),
    intent: named('wasm1'),
    fires: 1,
  },
  { name: 'class without a selector', state: oneOther, target: ds(), intent: named('open'), fires: 0 },
  { name: 'class does not exist', target: ds(), intent: named('wasm9'), fires: 0 },
  { name: 'no runtimeClassName yet', target: ds(), intent: annotated('wasm1'), fires: 0 },
  {
    name: 'not a DaemonSet',
    target: targetOf('Deployment', workloadObject('Deployment', { name: 'web' })),
    intent: named('wasm1'),
    fires: 0,
  },
];

describe('daemonset-selects-runtime-nodes', () => {
  it.each(cases)('$name', ({ state, target, intent, fires, contains }) => {
    const messages = rule.checks.podTemplate!.CREATE!(target, intent, ctxOf((state ?? seedCluster)()));
    expect(messages).toHaveLength(fires);
    for (const s of contains ?? []) expect(messages[0]).toContain(s);
  });
});
