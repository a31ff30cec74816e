import { describe, it, expect } from 'vitest';
import type { MemoryState } from '../../../src/cluster/memory-state.js';
import { selectorConflict as rule } from '../../../src/rules/selector-conflict.js';
import type { PodTarget, WasmIntent } from '../../../src/decide/types.js';
import { node, runtimeClass, seedCluster, stateOf } from '../../harness/fixtures.js';
import { annotated, ctxOf, named, podT, targetOf, workloadObject } from '../helpers.js';

interface Case {
  name: string;
  state?: () => MemoryState;
  target: PodTarget;
  intent: WasmIntent;
  /** number of messages */
  fires: number;
  contains?: string[];
}

const sel = (nodeSelector: Record<string, string>) => podT({ spec: { nodeSelector } });

const twoKeys = () =>
  stateOf([node('w1', { a: '1', b: '1' })], [runtimeClass('multi', 'wasmtime', { a: '1', b: '1' }), runtimeClass('open', 'spin')]);

const cases: Case[] = [
  {
    name: 'pod value contradicts the class value',
    target: sel({ 'wasmtime-enabled': 'no' }),
    intent: named('wasm1'),
    fires: 1,
    contains: [
      'Pod default/app sets spec.nodeSelector wasmtime-enabled=no, but its RuntimeClass wasm1 requires wasmtime-enabled=yes; no node can satisfy both.',
      'Fix: remove wasmtime-enabled from spec.nodeSelector (the RuntimeClass adds it), or set it to yes.',
    ],
  },
  { name: 'pod repeats the class value', target: sel({ 'wasmtime-enabled': 'yes' }), intent: named('wasm1'), fires: 0 },
  { name: 'disjoint keys', target: sel({ 'kubernetes.io/arch': 'arm64' }), intent: named('wasm1'), fires: 0 },
  { name: 'empty pod selector', target: sel({}), intent: named('wasm1'), fires: 0 },
  { name: 'no pod selector', target: podT(), intent: named('wasm1'), fires: 0 },
  { name: 'class without a selector', state: twoKeys, target: sel({ a: '2' }), intent: named('open'), fires: 0 },
  { name: 'class does not exist', target: sel({ 'wasmtime-enabled': 'no' }), intent: named('wasm9'), fires: 0 },
  { name: 'no runtimeClassName yet', target: sel({ 'wasmtime-enabled': 'no' }), intent: annotated('wasm1'), fires: 0 },
  {
    name: 'two conflicting keys: one message each',
    state: twoKeys,
    target: sel({ a: '2', b: '3' }),
    intent: named('multi'),
    fires: 2,
    contains: ['a=2', 'a=1'],
  },
  {
    name: 'one of two keys conflicts',
    state: twoKeys,
    target: sel({ a: '1', b: '3' }),
    intent: named('multi'),
    fires: 1,
    contains: ['b=3', 'requires b=1'],
  },
  {
    name: 'Deployment: template field path',
    target: targetOf('Deployment', workloadObject('Deployment', { name: 'web', spec: { nodeSelector: { 'wasmtime-enabled': 'no' } } })),
    intent: named('wasm1'),
    fires: 1,
    contains: [
      'Deployment default/web sets spec.template.spec.nodeSelector wasmtime-enabled=no',
      'remove wasmtime-enabled from spec.template.spec.nodeSelector',
    ],
  },
];

describe('selector-conflict', () => {
  it.each(cases)('$name', ({ state, target, intent, fires, contains }) => {
    const messages = rule.checks.podTemplate!.CREATE!(target, intent, ctxOf((state ?? seedCluster)()));
    expect(messages).toHaveLength(fires);
    for (const s of contains ?? []) expect(messages[0]).toContain(s);
  });
});
