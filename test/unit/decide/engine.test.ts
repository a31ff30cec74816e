import { afterEach, describe, it, expect, vi } from 'vitest';
import { applyPatch } from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { handlesKind, mutate, validate } from '../../../src/decide/engine.js';
import { RULES } from '../../../src/rules/registry.js';
import { nodesAvailable } from '../../../src/rules/nodes-available.js';
import type { Rule } from '../../../src/decide/types.js';
import type { JsonPatchOp } from '../../../src/review/response.js';
import {
  config,
  deploymentObject,
  node,
  nodeObject,
  podObject,
  request,
  runtimeClass,
  runtimeClassObject,
  seedCluster,
  stateOf,
} from '../../harness/fixtures.js';
import { SPEC_POINTERS, WORKLOAD_KINDS, unsyncedState, workloadObject } from '../helpers.js';

const RUNTIME = 'wasmgate.dev/runtime';

/** A Pod with fields wasmgate knows nothing about: they must survive the patch untouched. */
function richPod(): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    someTopLevelFutureField: { nested: [1, '2', null, { deep: true }] },
    metadata: {
      name: 'hello',
      namespace: 'apps',
      annotations: { [RUNTIME]: 'wasmtime', 'other/annotation': 'x' },
      labels: { app: 'hello' },
      managedFields: [
        {
          manager: 'kubectl-client-side-apply',
          operation: 'Update',
          apiVersion: 'v1',
          time: '2024-01-01T00:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
        },
      ],
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'hello-abc', uid: 'u-1', controller: true }],
    },
    spec: {
      containers: [
        { name: 'app', image: 'ghcr.io/example/app:1', resources: { limits: { cpu: '100m' } }, env: [{ name: 'N', value: '1' }] },
      ],
      nodeSelector: { 'kubernetes.io/arch': 'amd64' },
      tolerations: [{ key: 'x', operator: 'Exists', effect: 'NoSchedule' }],
      priority: 0,
      someFutureField: { enabled: true, list: ['a', 'b'] },
      overhead: null,
      enableServiceLinks: false,
    },
    status: { phase: 'Pending' },
  };
}

function applied(obj: Record<string, unknown>, patch: JsonPatchOp[] | undefined): Record<string, unknown> {
  return applyPatch(structuredClone(obj), (patch ?? []) as Operation[], true, false).newDocument as Record<string, unknown>;
}

/** `obj` with runtimeClassName set at the pod spec `pointer`, built by hand (not by a patch). */
function withRuntimeClassName(obj: Record<string, unknown>, pointer: string, value: string): Record<string, unknown> {
  const copy = structuredClone(obj);
  let at: Record<string, unknown> = copy;
  for (const part of pointer.split('/').slice(1)) at = at[part] as Record<string, unknown>;
  at['runtimeClassName'] = value;
  return copy;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('handlesKind', () => {
  it.each([
    ['mutate', 'Pod', true],
    ['mutate', 'CronJob', true],
    ['mutate', 'PodTemplate', true],
    ['mutate', 'RuntimeClass', false],
    ['mutate', 'Node', false],
    ['validate', 'RuntimeClass', true],
    ['validate', 'Node', true],
    ['validate', 'Service', false],
    ['validate', 'pod', false],
  ] as const)('%s %s → %s', (endpoint, kind, expected) => {
    const group = ({ CronJob: 'batch', RuntimeClass: 'node.k8s.io' } as Record<string, string>)[kind] ?? '';
    expect(handlesKind(endpoint, group, kind)).toBe(expected);
  });
});

describe('mutate', () => {
  it('Pod CREATE annotated without runtimeClassName: exactly one add op', () => {
    const result = mutate(request(richPod()), seedCluster(), config());
    expect(result.patch).toEqual([{ op: 'add', path: '/spec/runtimeClassName', value: 'wasm1' }]);
    expect(result.allowed).toBe(true);
    expect(result.errors).toEqual([]);
  });

  it('the patch changes nothing but runtimeClassName, unknown fields included', () => {
    const raw = richPod();
    const before = structuredClone(raw);
    const result = mutate(request(raw), seedCluster(), config());
    // the engine does not modify the request object itself
    expect(raw).toEqual(before);
    const after = applied(raw, result.patch);
    expect(after).toEqual(withRuntimeClassName(before, '/spec', 'wasm1'));
    // and, spelled out, the fields most likely to be lost
    const spec = after['spec'] as Record<string, unknown>;
    const meta = after['metadata'] as Record<string, unknown>;
    expect(spec['someFutureField']).toEqual({ enabled: true, list: ['a', 'b'] });
    expect(spec['overhead']).toBeNull();
    expect(spec['nodeSelector']).toEqual({ 'kubernetes.io/arch': 'amd64' });
    expect(spec['tolerations']).toEqual([{ key: 'x', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(meta['managedFields']).toEqual((before['metadata'] as Record<string, unknown>)['managedFields']);
    expect(after['someTopLevelFutureField']).toEqual({ nested: [1, '2', null, { deep: true }] });
  });

  it('records the choice in an audit annotation', () => {
    const result = mutate(request(richPod()), seedCluster(), config());
    expect(result.auditAnnotations).toEqual({ 'runtimeclass-choice': 'wasm1: the only RuntimeClass with handler wasmtime' });
  });

  it('idempotent: runtimeClassName already set → no patch', () => {
    const raw = withRuntimeClassName(richPod(), '/spec', 'wasmtime-spin-v2');
    const result = mutate(request(raw), seedCluster(), config());
    expect(result.patch).toBeUndefined();
    expect(result.auditAnnotations).toEqual({});
  });

  it('idempotent: mutating the mutated object again adds nothing', () => {
    const raw = richPod();
    const once = applied(raw, mutate(request(raw), seedCluster(), config()).patch);
    expect(mutate(request(once), seedCluster(), config()).patch).toBeUndefined();
  });

  it('an empty runtimeClassName counts as unset and is filled in', () => {
    const raw = withRuntimeClassName(richPod(), '/spec', '');
    const result = mutate(request(raw), seedCluster(), config());
    expect(result.patch).toEqual([{ op: 'add', path: '/spec/runtimeClassName', value: 'wasm1' }]);
    expect((applied(raw, result.patch)['spec'] as Record<string, unknown>)['runtimeClassName']).toBe('wasm1');
  });

  it.each([
    ['handler', { [RUNTIME]: 'spin' }, 'wasmtime-spin-v2'],
    ['class name', { [RUNTIME]: 'wasm1' }, 'wasm1'],
    ['auto with a default', { [RUNTIME]: 'auto' }, 'wasm1'],
    ['crun marker with a default', { 'module.wasm.image/variant': 'compat' }, 'wasm1'],
  ])('never touches nodeSelector or tolerations (%s)', (_name, annotations, value) => {
    const raw = podObject({ annotations, spec: { nodeSelector: { 'wasmtime-enabled': 'yes' }, tolerations: [{ operator: 'Exists' }] } });
    const result = mutate(request(raw), seedCluster(), config({ defaultRuntimeClass: 'wasm1' }));
    expect(result.patch).toEqual([{ op: 'add', path: '/spec/runtimeClassName', value }]);
    for (const op of result.patch ?? []) expect(op.path).not.toMatch(/nodeSelector|tolerations/);
  });

  it('Pod UPDATE → no patch', () => {
    const raw = richPod();
    expect(mutate(request(raw, 'UPDATE', raw), seedCluster(), config()).patch).toBeUndefined();
  });

  it('Pod DELETE → no patch', () => {
    expect(mutate(request(null, 'DELETE', richPod()), seedCluster(), config()).patch).toBeUndefined();
  });

  it('a pod without a Wasm annotation → no patch and no annotation', () => {
    const result = mutate(request(podObject()), seedCluster(), config());
    expect(result.patch).toBeUndefined();
    expect(result.auditAnnotations).toEqual({});
  });

  it('a pod with only a runtimeClassName → no patch', () => {
    const result = mutate(request(podObject({ spec: { runtimeClassName: 'wasm1' } })), seedCluster(), config());
    expect(result.patch).toBeUndefined();
  });

  it('a failed choice → no patch, the reason in the audit annotation', () => {
    const result = mutate(request(podObject({ annotations: { [RUNTIME]: 'auto' } })), seedCluster(), config());
    expect(result.patch).toBeUndefined();
    expect(result.allowed).toBe(true);
    expect(result.auditAnnotations['runtimeclass-choice']).toMatch(/^none: 2 Wasm RuntimeClasses have usable nodes/);
  });

  it('auto with a configured default whose handler is not Wasm: patched with the only usable Wasm class', () => {
    const state = stateOf([node('w1', { w: 'y' })], [runtimeClass('runc', 'runc'), runtimeClass('wasm1', 'wasmtime', { w: 'y' })]);
    const result = mutate(request(podObject({ annotations: { [RUNTIME]: 'auto' } })), state, config({ defaultRuntimeClass: 'runc' }));
    expect(result.patch).toEqual([{ op: 'add', path: '/spec/runtimeClassName', value: 'wasm1' }]);
    expect(result.auditAnnotations['runtimeclass-choice']).toMatch(/^wasm1: /);
    expect(result.auditAnnotations['runtimeclass-choice']).toContain('the only Wasm RuntimeClass with usable nodes');
  });

  it('unsynced state → no patch, said in the audit annotation', () => {
    const result = mutate(request(richPod()), unsyncedState(), config());
    expect(result.patch).toBeUndefined();
    expect(result.allowed).toBe(true);
    expect(result.auditAnnotations['runtimeclass-choice']).toContain('not synced');
  });

  it('a Pod with no spec → nothing', () => {
    const raw = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', annotations: { [RUNTIME]: 'wasmtime' } } };
    expect(mutate(request(raw), seedCluster(), config())).toMatchObject({ allowed: true, auditAnnotations: {} });
    expect(mutate(request(raw), seedCluster(), config()).patch).toBeUndefined();
  });

  it('RuntimeClass and Node requests are not mutated', () => {
    expect(mutate(request(runtimeClassObject('x', 'spin')), seedCluster(), config()).patch).toBeUndefined();
    expect(mutate(request(nodeObject('n'), 'UPDATE', nodeObject('n')), seedCluster(), config()).patch).toBeUndefined();
  });

  describe.each(WORKLOAD_KINDS)('%s', (kind) => {
    const pointer = SPEC_POINTERS[kind]!;
    const raw = () => {
      const obj = workloadObject(kind, { name: 'web', annotations: { [RUNTIME]: 'wasmtime' }, spec: { nodeSelector: { zone: 'a' } } });
      obj['somethingNew'] = { keep: 'me' };
      return obj;
    };

    it(`CREATE → patch at ${pointer}/runtimeClassName`, () => {
      const obj = raw();
      const result = mutate(request(obj), seedCluster(), config());
      expect(result.patch).toEqual([{ op: 'add', path: `${pointer}/runtimeClassName`, value: 'wasm1' }]);
      expect(applied(obj, result.patch)).toEqual(withRuntimeClassName(obj, pointer, 'wasm1'));
      expect(result.auditAnnotations['runtimeclass-choice']).toBe('wasm1: the only RuntimeClass with handler wasmtime');
    });

    it('UPDATE → patched too (templates can change)', () => {
      const obj = raw();
      expect(mutate(request(obj, 'UPDATE', obj), seedCluster(), config()).patch).toEqual([
        { op: 'add', path: `${pointer}/runtimeClassName`, value: 'wasm1' },
      ]);
    });

    it('template already has runtimeClassName → no patch', () => {
      const obj = withRuntimeClassName(raw(), pointer, 'wasm1');
      expect(mutate(request(obj), seedCluster(), config()).patch).toBeUndefined();
    });

    it('annotation on the object, not on the template → no patch', () => {
      const obj = workloadObject(kind, { name: 'web' });
      (obj['metadata'] as Record<string, unknown>)['annotations'] = { [RUNTIME]: 'wasmtime' };
      expect(mutate(request(obj), seedCluster(), config()).patch).toBeUndefined();
    });
  });
});

const missingClassPod = () => podObject({ spec: { runtimeClassName: 'wasm2' } });

describe('validate: modes', () => {
  it('enforce (default) denies with the rule id as prefix', () => {
    const r = validate(request(missingClassPod()), seedCluster(), config());
    expect(r.allowed).toBe(false);
    expect(r.message).toMatch(/^\[runtimeclass-exists\] Pod default\/app names RuntimeClass wasm2/);
    expect(r.warnings).toEqual([]);
    expect(r.auditAnnotations).toEqual({});
    expect(r.findings).toEqual([{ rule: 'runtimeclass-exists', mode: 'enforce', message: expect.stringContaining('wasm2') }]);
  });

  it('warn allows with a warning', () => {
    const r = validate(request(missingClassPod()), seedCluster(), config({ rules: { 'runtimeclass-exists': 'warn' } }));
    expect(r.allowed).toBe(true);
    expect(r.message).toBeUndefined();
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^\[runtimeclass-exists\] Pod default\/app names RuntimeClass wasm2/);
    expect(r.auditAnnotations).toEqual({});
  });

  it('audit allows with an audit annotation only', () => {
    const r = validate(request(missingClassPod()), seedCluster(), config({ rules: { 'runtimeclass-exists': 'audit' } }));
    expect(r.allowed).toBe(true);
    expect(r.message).toBeUndefined();
    expect(r.warnings).toEqual([]);
    expect(Object.keys(r.auditAnnotations)).toEqual(['runtimeclass-exists']);
    expect(r.auditAnnotations['runtimeclass-exists']).toMatch(/^Pod default\/app names RuntimeClass wasm2/);
  });

  it('audit: several messages of one rule are joined by newlines (in key order)', () => {
    const raw = podObject({ spec: { runtimeClassName: 'wasm1', nodeSelector: { 'kubernetes.io/a': '1', 'k8s.io/b': '2' } } });
    const r = validate(request(raw), seedCluster(), config({ rules: { 'reserved-label-keys': 'audit', 'nodes-available': 'audit' } }));
    expect(r.allowed).toBe(true);
    const lines = r.auditAnnotations['reserved-label-keys']!.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('by label k8s.io/b (');
    expect(lines[1]).toContain('by label kubernetes.io/a (');
  });

  it('multiple denials are numbered', () => {
    const raw = podObject({ spec: { runtimeClassName: 'wasm1', nodeSelector: { 'kubernetes.io/wasm': 'yes' } } });
    const r = validate(request(raw), seedCluster(), config());
    expect(r.allowed).toBe(false);
    const lines = r.message!.split('\n');
    expect(lines[0]).toBe('2 problems:');
    expect(lines[1]).toMatch(/^1\. \[reserved-label-keys\] /);
    expect(lines[2]).toMatch(/^2\. \[nodes-available\] /);
    expect(lines).toHaveLength(3);
  });

  it('enforce and warn together: denied, and the warning still returned', () => {
    const state = stateOf([node('n1')], [runtimeClass('open', 'spin')]);
    const raw = podObject({ spec: { runtimeClassName: 'open', nodeSelector: { 'kubernetes.io/wasm': 'yes' } } });
    const r = validate(request(raw), state, config({ rules: { 'nodes-available': 'audit' } }));
    expect(r.allowed).toBe(false);
    expect(r.message).toMatch(/^\[reserved-label-keys\] /);
    expect(r.warnings).toEqual([expect.stringMatching(/^\[runtimeclass-has-selector\] /)]);
    expect(Object.keys(r.auditAnnotations)).toEqual(['nodes-available']);
  });

  it('a Wasm pod with a usable class has no findings', () => {
    const r = validate(request(podObject({ spec: { runtimeClassName: 'wasm1' } })), seedCluster(), config());
    expect(r).toMatchObject({ allowed: true, warnings: [], auditAnnotations: {}, findings: [], errors: [] });
  });
});

describe('validate: non-Wasm pods are none of its business', () => {
  it.each([
    ['no annotation, no runtimeClassName', podObject({ spec: { nodeSelector: { 'kubernetes.io/wasm': 'yes' } } })],
    [
      'a runc-handler class',
      podObject({ spec: { runtimeClassName: 'runc', nodeSelector: { 'kubernetes.io/wasm': 'yes', nowhere: 'x' } } }),
    ],
    ['a gVisor class', podObject({ spec: { runtimeClassName: 'gvisor' } })],
  ])('%s → allowed, no findings', (_name, raw) => {
    const state = stateOf([node('n1')], [runtimeClass('runc', 'runc'), runtimeClass('gvisor', 'runsc', { nowhere: 'x' })]);
    const r = validate(request(raw), state, config());
    expect(r).toMatchObject({ allowed: true, warnings: [], auditAnnotations: {}, findings: [] });
    expect(r.message).toBeUndefined();
  });

  it('Pod UPDATE is not checked (the spec is immutable)', () => {
    const raw = missingClassPod();
    expect(validate(request(raw, 'UPDATE', raw), seedCluster(), config()).findings).toEqual([]);
  });

  it('Deployment UPDATE is checked', () => {
    const raw = deploymentObject({ spec: { runtimeClassName: 'wasm2' } });
    const r = validate(request(raw, 'UPDATE', raw), seedCluster(), config());
    expect(r.allowed).toBe(false);
    expect(r.message).toContain('spec.template.spec.runtimeClassName');
  });
});

describe('validate: unsynced state', () => {
  const wasmPod = () => podObject({ annotations: { [RUNTIME]: 'wasmtime' }, spec: { runtimeClassName: 'wasm1' } });

  it('denies Wasm pods by default, saying it is not synced and to retry', () => {
    const r = validate(request(wasmPod()), unsyncedState('waiting for the first list of nodes'), config());
    expect(r.allowed).toBe(false);
    expect(r.message).toBe(
      "wasmgate's view of the cluster is not synced yet (waiting for the first list of nodes), so it cannot check Wasm placement. Retry in a few seconds.",
    );
    expect(r.message).not.toContain('Admitted unchecked');
    expect(r.findings).toEqual([]);
  });

  it('unsynced: allow → allowed with a warning that says it was admitted unchecked', () => {
    const r = validate(request(wasmPod()), unsyncedState(), config({ unsynced: 'allow' }));
    expect(r.allowed).toBe(true);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain('not synced');
    expect(r.warnings[0]).toMatch(/so it cannot check Wasm placement\. Admitted unchecked\.$/);
    expect(r.warnings[0]).not.toContain('Retry');
  });

  it('a non-Wasm pod is allowed silently', () => {
    const r = validate(request(podObject()), unsyncedState(), config());
    expect(r).toMatchObject({ allowed: true, warnings: [] });
  });

  it('RuntimeClass and Node requests are allowed with a warning', () => {
    const rc = validate(request(runtimeClassObject('bad', 'spin', { 'kubernetes.io/x': 'y' })), unsyncedState(), config());
    expect(rc.allowed).toBe(true);
    expect(rc.warnings).toHaveLength(1);
    expect(rc.warnings[0]).toContain('not synced');
    expect(rc.warnings[0]).toMatch(/ Admitted unchecked\.$/);
    const n = validate(request(nodeObject('n1'), 'UPDATE', nodeObject('n1', { w: 'y' })), unsyncedState(), config());
    expect(n.allowed).toBe(true);
    expect(n.warnings).toHaveLength(1);
    expect(n.warnings[0]).toContain('not synced');
    expect(n.warnings[0]).toMatch(/ Admitted unchecked\.$/);
  });
});

describe('validate: RuntimeClasses and Nodes', () => {
  it('RuntimeClass CREATE with a reserved key → denied', () => {
    const r = validate(request(runtimeClassObject('bad', 'wasmtime', { 'kubernetes.io/wasm': 'yes' })), seedCluster(), config());
    expect(r.allowed).toBe(false);
    expect(r.message).toMatch(
      /^\[reserved-label-keys\] RuntimeClass bad selects nodes in scheduling\.nodeSelector by label kubernetes\.io\/wasm \(in the reserved kubernetes\.io namespace: /,
    );
  });

  it('RuntimeClass UPDATE with a reserved key → denied', () => {
    const obj = runtimeClassObject('bad', 'wasmtime', { 'kubernetes.io/wasm': 'yes' });
    expect(validate(request(obj, 'UPDATE', obj), seedCluster(), config()).allowed).toBe(false);
  });

  it('Wasm RuntimeClass without selector → allowed with a warning', () => {
    const r = validate(request(runtimeClassObject('open', 'spin')), seedCluster(), config());
    expect(r.allowed).toBe(true);
    expect(r.warnings).toEqual([
      expect.stringMatching(/^\[runtimeclass-has-selector\] RuntimeClass open \(handler spin\) has no scheduling\.nodeSelector/),
    ]);
  });

  it('RuntimeClass whose selector matches nothing → warning', () => {
    const r = validate(request(runtimeClassObject('edge', 'wasmedge', { 'wasmedge-enabled': 'yes' })), seedCluster(), config());
    expect(r.allowed).toBe(true);
    expect(r.warnings).toEqual([expect.stringMatching(/^\[runtimeclass-selector-matches\] /)]);
  });

  it('RuntimeClass DELETE with pods using it → warning', () => {
    const state = stateOf([node('w1', { w: 'y' })], [runtimeClass('wasm1', 'wasmtime', { w: 'y' })], {
      'default/a': 'wasm1',
      'default/b': 'wasm1',
    });
    const r = validate(request(null, 'DELETE', runtimeClassObject('wasm1', 'wasmtime', { w: 'y' })), state, config());
    expect(r.allowed).toBe(true);
    expect(r.warnings).toEqual([
      expect.stringMatching(/^\[runtimeclass-delete-in-use\] RuntimeClass wasm1 \(handler wasmtime\) is used by 2 [^.]*\bpods\b/),
    ]);
  });

  it('RuntimeClass DELETE without oldObject falls back to the state by name', () => {
    const state = stateOf([], [runtimeClass('wasm1', 'wasmtime')], { 'default/a': 'wasm1' });
    const req = { ...request(null, 'DELETE', runtimeClassObject('wasm1', 'wasmtime')), oldObject: undefined };
    delete req.oldObject;
    const r = validate(req, state, config());
    expect(r.warnings).toHaveLength(1);
  });

  it('RuntimeClass DELETE with no pods using it → nothing', () => {
    const state = stateOf([], [runtimeClass('wasm1', 'wasmtime')], {});
    const r = validate(request(null, 'DELETE', runtimeClassObject('wasm1', 'wasmtime')), state, config());
    expect(r).toMatchObject({ allowed: true, warnings: [], findings: [] });
  });

  it("Node UPDATE removing the last wasm node's label → warning", () => {
    const state = stateOf([node('plain'), node('w1', { w: 'y' })], [runtimeClass('wasm1', 'wasmtime', { w: 'y' })]);
    const r = validate(request(nodeObject('w1'), 'UPDATE', nodeObject('w1', { w: 'y' })), state, config());
    expect(r.allowed).toBe(true);
    expect(r.warnings).toEqual([expect.stringMatching(/^\[node-change-strands-runtimeclass\] This change to Node w1 removes label w=y/)]);
  });

  it('Node UPDATE that keeps another usable node → nothing', () => {
    const state = stateOf([node('w2', { w: 'y' }), node('w1', { w: 'y' })], [runtimeClass('wasm1', 'wasmtime', { w: 'y' })]);
    const r = validate(request(nodeObject('w1'), 'UPDATE', nodeObject('w1', { w: 'y' })), state, config());
    expect(r).toMatchObject({ allowed: true, warnings: [], findings: [] });
  });

  it('Node UPDATE with enforce → denied', () => {
    const state = stateOf([node('w1', { w: 'y' })], [runtimeClass('wasm1', 'wasmtime', { w: 'y' })]);
    const r = validate(
      request(nodeObject('w1'), 'UPDATE', nodeObject('w1', { w: 'y' })),
      state,
      config({ rules: { 'node-change-strands-runtimeclass': 'enforce' } }),
    );
    expect(r.allowed).toBe(false);
    expect(r.message).toMatch(/^\[node-change-strands-runtimeclass\] /);
  });
});

describe('a rule that throws', () => {
  const pod = () => podObject({ annotations: { [RUNTIME]: 'wasmtime' }, spec: { runtimeClassName: 'wasm1' } });

  it('is in RULES (the spy reaches the engine)', () => {
    expect(RULES).toContain(nodesAvailable);
  });

  const failedText = (error: string) => `wasmgate's rule nodes-available failed (an internal error; please report it): ${error}`;

  it('validate denies with the error text when the rule enforces (its default)', () => {
    vi.spyOn(nodesAvailable.checks.podTemplate as Required<NonNullable<Rule['checks']['podTemplate']>>, 'CREATE').mockImplementation(() => {
      throw new Error('index exploded');
    });
    const r = validate(request(pod()), seedCluster(), config());
    expect(r.allowed).toBe(false);
    expect(r.message).toBe(`[nodes-available] ${failedText('index exploded')}`);
    expect(r.findings).toEqual([{ rule: 'nodes-available', mode: 'enforce', message: failedText('index exploded') }]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.rule).toBe('nodes-available');
    expect((r.errors[0]!.error as Error).message).toBe('index exploded');
  });

  it('warn mode: allowed, the failure is a warning (a failing warn rule does not start denying)', () => {
    vi.spyOn(nodesAvailable.checks.podTemplate as Required<NonNullable<Rule['checks']['podTemplate']>>, 'CREATE').mockImplementation(() => {
      throw new Error('index exploded');
    });
    const r = validate(request(pod()), seedCluster(), config({ rules: { 'nodes-available': 'warn' } }));
    expect(r.allowed).toBe(true);
    expect(r.message).toBeUndefined();
    expect(r.warnings).toEqual([`[nodes-available] ${failedText('index exploded')}`]);
    expect(r.auditAnnotations).toEqual({});
    expect(r.findings).toEqual([{ rule: 'nodes-available', mode: 'warn', message: failedText('index exploded') }]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.rule).toBe('nodes-available');
  });

  it('audit mode: allowed, the failure is an audit annotation only', () => {
    vi.spyOn(nodesAvailable.checks.podTemplate as Required<NonNullable<Rule['checks']['podTemplate']>>, 'CREATE').mockImplementation(() => {
      throw 'a string';
    });
    const r = validate(request(pod()), seedCluster(), config({ rules: { 'nodes-available': 'audit' } }));
    expect(r.allowed).toBe(true);
    expect(r.message).toBeUndefined();
    expect(r.warnings).toEqual([]);
    expect(r.auditAnnotations).toEqual({ 'nodes-available': failedText('a string') });
    expect(r.findings).toEqual([{ rule: 'nodes-available', mode: 'audit', message: failedText('a string') }]);
    expect(r.errors).toHaveLength(1);
  });

  it('other rules still run', () => {
    vi.spyOn(nodesAvailable.checks.podTemplate as Required<NonNullable<Rule['checks']['podTemplate']>>, 'CREATE').mockImplementation(() => {
      throw new Error('boom');
    });
    const raw = podObject({ spec: { runtimeClassName: 'wasm1', nodeSelector: { 'kubernetes.io/wasm': 'yes' } } });
    const r = validate(request(raw), seedCluster(), config());
    expect(r.findings.map((f) => f.rule)).toEqual(['reserved-label-keys', 'nodes-available']);
    expect(r.message).toMatch(/^2 problems:/);
  });

  it('mutate: a failing choice → no patch and errors populated', () => {
    const state = seedCluster();
    vi.spyOn(state, 'getRuntimeClass').mockImplementation(() => {
      throw new Error('state exploded');
    });
    const r2 = mutate(request(podObject({ annotations: { [RUNTIME]: 'wasmtime' } })), state, config());
    expect(r2.patch).toBeUndefined();
    expect(r2.allowed).toBe(true);
    expect(r2.errors).toHaveLength(1);
    expect(r2.errors[0]!.rule).toBe('choose-runtimeclass');
    expect(r2.auditAnnotations['runtimeclass-choice']).toBe('none: wasmgate failed to choose: state exploded');
  });

  it('mutate does not run the rules: a throwing rule does not stop the patch', () => {
    vi.spyOn(nodesAvailable.checks.podTemplate as Required<NonNullable<Rule['checks']['podTemplate']>>, 'CREATE').mockImplementation(() => {
      throw new Error('boom');
    });
    const r = mutate(request(podObject({ annotations: { [RUNTIME]: 'wasmtime' } })), seedCluster(), config());
    expect(r.patch).toEqual([{ op: 'add', path: '/spec/runtimeClassName', value: 'wasm1' }]);
    expect(nodesAvailable.checks.podTemplate!.CREATE).not.toHaveBeenCalled();
  });
});
