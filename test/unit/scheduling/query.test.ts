import { describe, expect, it } from 'vitest';
import type { RuntimeClassInfo } from '../../../src/cluster/types.js';
import { handlerFact, runtimeHandlersOf } from '../../../src/scheduling/handlers.js';
import { classQuery, DEFAULT_TOLERATIONS, placementOf } from '../../../src/scheduling/query.js';

const rc: RuntimeClassInfo = {
  name: 'wasm1',
  handler: 'wasmtime',
  labels: {},
  nodeSelector: { wasm: 'yes', zone: 'a' },
  tolerations: [{ key: 'wasm', operator: 'Exists' }],
};

describe('placementOf: what the RuntimeClass admission plugin merges, plus affinity and nodeName', () => {
  it('merges selectors and tolerations, keeps affinity and nodeName', () => {
    const spec = {
      nodeSelector: { tier: 'x' },
      tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }, 'junk'],
      nodeName: 'n1',
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }],
          },
        },
      },
    };
    const p = placementOf(spec, rc, { requireReady: true });
    expect(p.conflicts).toEqual([]);
    expect(p.query.selector).toEqual({ tier: 'x', wasm: 'yes', zone: 'a' });
    expect(p.query.tolerations).toEqual([
      { key: 'gpu', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'wasm', operator: 'Exists' },
      ...DEFAULT_TOLERATIONS,
    ]);
    expect(p.query.nodeName).toBe('n1');
    expect(p.query.handler).toBe('wasmtime');
    expect(p.query.affinity?.terms).toHaveLength(1);
  });
  it('reports conflicting keys and keeps the pod’s value', () => {
    const p = placementOf({ nodeSelector: { zone: 'b' } }, rc, { requireReady: false });
    expect(p.conflicts).toEqual([{ key: 'zone', podValue: 'b', classValue: 'a' }]);
    expect(p.query.selector).toEqual({ zone: 'b', wasm: 'yes' });
  });
  it('no class: nothing merged, no handler; an empty nodeName is none', () => {
    const p = placementOf({ nodeName: '' }, undefined, { requireReady: true });
    expect(p.query).toEqual({
      selector: {},
      affinity: undefined,
      tolerations: DEFAULT_TOLERATIONS,
      handler: undefined,
      nodeName: undefined,
      requireReady: true,
    });
  });
  it('DefaultTolerationSeconds: the not-ready and unreachable NoExecute taints never block a new pod', () => {
    const q = placementOf({}, undefined, { requireReady: false }).query;
    expect(q.tolerations.map((t) => `${t.key}:${t.effect}`)).toEqual([
      'node.kubernetes.io/not-ready:NoExecute',
      'node.kubernetes.io/unreachable:NoExecute',
    ]);
  });
  it('classQuery and checkHandler: false', () => {
    expect(classQuery(rc, { requireReady: true, checkHandler: false })).toMatchObject({ selector: rc.nodeSelector, handler: undefined });
  });
});

describe('handlers kubelet reports', () => {
  it('reads status.runtimeHandlers names, deduplicated', () => {
    expect(
      runtimeHandlersOf({ runtimeHandlers: [{ name: '' }, { name: 'runc', features: {} }, { name: 'runc' }, { nope: 1 }, 'x'] }),
    ).toEqual(['', 'runc']);
    expect(runtimeHandlersOf({})).toEqual([]);
    expect(runtimeHandlersOf(undefined)).toEqual([]);
  });
  it('judges: reported, missing, unknown (none reported)', () => {
    expect(handlerFact({ runtimeHandlers: ['runc', 'spin'] }, 'spin')).toBe('reported');
    expect(handlerFact({ runtimeHandlers: ['runc', 'spin'] }, 'wasmtime')).toBe('missing');
    expect(handlerFact({ runtimeHandlers: [] }, 'wasmtime')).toBe('unknown');
  });
});

describe('the lean Node keeps the handler names (snapshot and live sources share leanNode)', () => {
  it('reduces status.runtimeHandlers to names', async () => {
    const { leanNode } = await import('../../../src/cluster/lean.js');
    const n = leanNode({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'w1' },
      status: { runtimeHandlers: [{ name: '', features: { recursiveReadOnlyMounts: true } }, { name: 'runc' }, { name: 'wasmtime' }] },
    });
    expect(n?.runtimeHandlers).toEqual(['', 'runc', 'wasmtime']);
    expect(leanNode({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'w2' } })?.runtimeHandlers).toEqual([]);
  });
});
