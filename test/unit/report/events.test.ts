import { describe, expect, it } from 'vitest';
import { nodeChangeStrandsRuntimeclass } from '../../../src/rules/node-change-strands-runtimeclass.js';
import { NOTE_LIMIT, StrandTracker, recordStranding, strandEvent, truncateBytes } from '../../../src/report/events.js';
import { config, node, runtimeClass, stateOf } from '../../harness/fixtures.js';
import { FakeApi } from './fake-api.js';

const W = { 'wasmtime-enabled': 'yes' };
const cfg = config();

function cluster() {
  const wasm1 = node('wasm-1', W);
  const state = stateOf([node('plain-1'), wasm1], [runtimeClass('wasm1', 'wasmtime', W), runtimeClass('runc', 'runc', W)], {
    'apps/p1': 'wasm1',
  });
  return { state, wasm1 };
}

describe('Warning Events on stranded RuntimeClasses, once per transition', () => {
  it('a cordon that strands a class yields the node-change warning verbatim, once', () => {
    const { state, wasm1 } = cluster();
    const t = new StrandTracker();
    expect(t.reconcile(state, cfg)).toEqual([]); // baseline
    const cordoned = node('wasm-1', W, { unschedulable: true });
    const expected = nodeChangeStrandsRuntimeclass.checks.Node!.UPDATE!(wasm1, cordoned, { state, config: cfg });
    state.upsertNode(cordoned);
    const got = t.nodeChanged(wasm1, cordoned, state, cfg);
    expect(got).toEqual([{ runtimeClass: 'wasm1', message: expected[0] }]);
    expect(got[0]!.message).toBe(
      'This change to Node wasm-1 cordons it, which leaves RuntimeClass wasm1 (handler wasmtime) with no Ready, schedulable node: it is used by 1 pod that has not finished, and new pods of this class will stay Pending. Fix: revert the change, or first prepare another node with the wasmtime shim and label it: kubectl label nodes <node> wasmtime-enabled=yes.',
    );
    // the same stranding seen again (another node event, the next pass): nothing new
    const tainted = node('wasm-1', W, { unschedulable: true, taints: [{ key: 'x', effect: 'NoSchedule' }] });
    expect(t.nodeChanged(wasm1, tainted, state, cfg)).toEqual([]);
    expect(t.reconcile(state, cfg)).toEqual([]);
    // uncordon re-arms; a second cordon is a second transition
    state.upsertNode(wasm1);
    expect(t.reconcile(state, cfg)).toEqual([]);
    state.upsertNode(cordoned);
    expect(t.nodeChanged(wasm1, cordoned, state, cfg).map((s) => s.runtimeClass)).toEqual(['wasm1']);
  });

  it('a class stranded by a deleted Node is reported at the next pass, with the selector-matches message', () => {
    const { state } = cluster();
    const t = new StrandTracker();
    t.reconcile(state, cfg);
    state.deleteNode('wasm-1');
    const got = t.reconcile(state, cfg);
    expect(got.map((s) => s.runtimeClass)).toEqual(['wasm1']);
    expect(got[0]!.message).toMatch(/^\[?RuntimeClass wasm1's pods would have no node to run on/);
    expect(t.reconcile(state, cfg)).toEqual([]);
  });

  it('a class already stranded when the leader starts is the baseline, not an event; non-Wasm classes are ignored', () => {
    const { state } = cluster();
    state.deleteNode('wasm-1');
    const t = new StrandTracker();
    expect(t.reconcile(state, cfg)).toEqual([]);
    expect(t.reconcile(state, cfg)).toEqual([]);
    t.reset();
    expect(t.reconcile(state, cfg)).toEqual([]);
  });

  it('the Event: events.k8s.io/v1, Warning, regarding the RuntimeClass with its uid, note within 1 kB', async () => {
    const fake = new FakeApi();
    fake.put('/apis/node.k8s.io/v1/runtimeclasses', {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'wasm1', uid: 'rc-uid-1' },
      handler: 'wasmtime',
    });
    await recordStranding(
      fake,
      { runtimeClass: 'wasm1', message: 'stranded. Fix: label a node.' },
      'wasmgate-0_ab12',
      Date.UTC(2026, 10, 28, 21, 0, 0, 5),
    );
    const [ev] = fake.list('/apis/events.k8s.io/v1/events');
    expect(ev).toMatchObject({
      metadata: { namespace: 'default', name: `wasm1.${(BigInt(Date.UTC(2026, 10, 28, 21, 0, 0, 5)) * 1_000_000n).toString(16)}` },
      eventTime: '2026-11-28T21:00:00.005000Z',
      reportingController: 'wasmgate.dev/audit',
      reportingInstance: 'wasmgate-0_ab12',
      action: 'CheckNodes',
      reason: 'NoUsableNode',
      type: 'Warning',
      note: 'stranded. Fix: label a node.',
      regarding: { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', name: 'wasm1', uid: 'rc-uid-1' },
    });
    const long = strandEvent({ name: 'x' }, undefined, 'é'.repeat(2000), 'i', 0);
    expect(Buffer.byteLength(long['note'] as string)).toBeLessThanOrEqual(NOTE_LIMIT);
    expect(truncateBytes('short')).toBe('short');
  });
});
