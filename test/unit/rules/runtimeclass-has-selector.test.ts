import { describe, it, expect } from 'vitest';
import { leanRuntimeClass } from '../../../src/cluster/lean.js';
import type { RuntimeClassInfo } from '../../../src/cluster/types.js';
import type { Config } from '../../../src/config/config.js';
import { runtimeclassHasSelector as rule } from '../../../src/rules/runtimeclass-has-selector.js';
import type { PodTarget, WasmIntent } from '../../../src/decide/types.js';
import { config, node, runtimeClass, stateOf } from '../../harness/fixtures.js';
import { annotated, ctxOf, named, podT, targetOf, workloadObject } from '../helpers.js';

const spinOpen = runtimeClass('spin', 'spin');
const wasm1 = runtimeClass('wasm1', 'wasmtime', { 'wasmtime-enabled': 'yes' });
const runc = runtimeClass('runc', 'runc');
const custom = runtimeClass('mine', 'myshim');
const emptySelector = leanRuntimeClass({ metadata: { name: 'empty' }, handler: 'wasmedge', scheduling: { nodeSelector: {} } })!;
const state = () => stateOf([node('n1')], [spinOpen, wasm1, runc, custom, emptySelector]);

interface PodCase {
  name: string;
  target?: PodTarget;
  intent: WasmIntent;
  cfg?: Config;
  fires: boolean;
  contains?: string[];
}

const podCases: PodCase[] = [
  {
    name: 'Wasm class without selector',
    intent: named('spin'),
    fires: true,
    contains: [
      'Pod default/app uses RuntimeClass spin, which has no scheduling.nodeSelector',
      `fail with 'no runtime for "spin" is configured'`,
      'Fix: label the nodes that have the spin shim (e.g. kubectl label nodes <node> spin-enabled=yes) and set scheduling.nodeSelector to that label.',
    ],
  },
  { name: 'Wasm class with selector', intent: named('wasm1'), fires: false },
  { name: 'non-Wasm class without selector', intent: named('runc'), fires: false },
  { name: 'class does not exist', intent: named('gone'), fires: false },
  { name: 'no runtimeClassName', intent: annotated('spin'), fires: false },
  { name: 'empty scheduling.nodeSelector counts as none', intent: named('empty'), fires: true, contains: ['RuntimeClass empty'] },
  { name: 'handler not in wasmHandlers', intent: named('mine'), fires: false },
  {
    name: 'handler added to wasmHandlers',
    intent: named('mine'),
    cfg: config({ wasmHandlers: ['myshim'] }),
    fires: true,
    contains: ['myshim shim'],
  },
  {
    name: 'DaemonSet template',
    target: targetOf('DaemonSet', workloadObject('DaemonSet', { name: 'agent' })),
    intent: named('spin'),
    fires: true,
    contains: ['DaemonSet default/agent uses RuntimeClass spin'],
  },
];

describe('runtimeclass-has-selector: pods', () => {
  it.each(podCases)('$name', ({ target, intent, cfg, fires, contains }) => {
    const messages = rule.checks.podTemplate!.CREATE!(target ?? podT(), intent, ctxOf(state(), cfg ?? config()));
    expect(messages.length).toBe(fires ? 1 : 0);
    for (const s of contains ?? []) expect(messages[0]).toContain(s);
  });
});

interface RcCase {
  name: string;
  rc: RuntimeClassInfo;
  cfg?: Config;
  fires: boolean;
  contains?: string[];
}

const rcCases: RcCase[] = [
  {
    name: 'Wasm class without selector',
    rc: spinOpen,
    fires: true,
    contains: [
      'RuntimeClass spin (handler spin) has no scheduling.nodeSelector',
      `its pods may land on nodes without the spin shim and fail with 'no runtime for "spin" is configured'`,
      'Fix: label the nodes that have the spin shim',
    ],
  },
  { name: 'Wasm class with selector', rc: wasm1, fires: false },
  { name: 'non-Wasm class without selector', rc: runc, fires: false },
  { name: 'empty nodeSelector', rc: emptySelector, fires: true, contains: ['RuntimeClass empty (handler wasmedge)'] },
  {
    name: 'Wasm class with tolerations but no selector',
    rc: runtimeClass('t', 'wasmer', undefined, [{ operator: 'Exists' }]),
    fires: true,
  },
  { name: 'custom handler, default config', rc: custom, fires: false },
  { name: 'custom handler, configured as Wasm', rc: custom, cfg: config({ wasmHandlers: ['myshim'] }), fires: true },
  { name: 'default handler removed from wasmHandlers', rc: spinOpen, cfg: config({ wasmHandlers: ['wasmtime'] }), fires: false },
];

describe('runtimeclass-has-selector: RuntimeClasses', () => {
  it.each(rcCases)('$name', ({ rc, cfg, fires, contains }) => {
    const messages = rule.checks.RuntimeClass!.CREATE!(rc, ctxOf(state(), cfg ?? config()));
    expect(messages.length).toBe(fires ? 1 : 0);
    for (const s of contains ?? []) expect(messages[0]).toContain(s);
  });

  it('warns by default', () => {
    expect(rule.defaultMode).toBe('warn');
  });
});
