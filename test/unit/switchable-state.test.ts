import { describe, expect, it } from 'vitest';
import { SwitchableState } from '../../src/cli/switchable-state.js';
import { node, runtimeClass, seedCluster, stateOf } from '../harness/fixtures.js';

describe('SwitchableState (the playground switching from the snapshot to the live cluster)', () => {
  it('answers from its current source, and from the next one after a switch', () => {
    const first = seedCluster();
    const next = stateOf([node('only-1', { 'spin-enabled': 'yes' })], [runtimeClass('spin', 'spin')]);
    const s = new SwitchableState(first);
    expect(s.nodeCount()).toBe(5);
    expect(s.getRuntimeClass('wasm1')?.handler).toBe('wasmtime');
    s.switchTo(next);
    expect(s.current).toBe(next);
    expect(s.nodeCount()).toBe(1);
    expect(s.getRuntimeClass('wasm1')).toBeUndefined();
    expect(s.listRuntimeClasses().map((r) => r.name)).toEqual(['spin']);
    expect([...s.nodesMatching({ 'spin-enabled': 'yes' })].map((n) => n.name)).toEqual(['only-1']);
    expect(s.countWithLabel('spin-enabled', 'yes')).toBe(1);
    expect(s.getNode('only-1')?.name).toBe('only-1');
    expect(s.podsUsingRuntimeClass('spin')).toBe(next.podsUsingRuntimeClass('spin'));
    expect(s.status()).toEqual(next.status());
    expect(s.kind).toBe(next.kind);
  });
});
