import { describe, expect, it } from 'vitest';
import { auditObjects } from '../../../src/audit/audit.js';
import { handlesKind, mutate, validate } from '../../../src/decide/engine.js';
import { podTarget } from '../../../src/decide/targets.js';
import { KINDS, kindNamed, kindOf, kindOfObject, listPath, verbsOf, type KindRecord } from '../../../src/kinds/registry.js';
import type { AdmissionRequest } from '../../../src/review/envelope.js';
import { config, deploymentObject, podObject, seedCluster } from '../../harness/fixtures.js';
import { SPEC_POINTERS, unsyncedState } from '../helpers.js';

const RUNTIME = 'wasmgate.dev/runtime';

describe('the kinds registry', () => {
  it('is keyed by group and kind together, and kind names are unique', () => {
    expect(new Set(KINDS.map((k: KindRecord) => `${k.group}/${k.kind}`)).size).toBe(KINDS.length);
    expect(new Set(KINDS.map((k: KindRecord) => k.kind)).size).toBe(KINDS.length);
    expect(kindOf('apps', 'Deployment')?.resource).toBe('deployments');
    expect(kindOf('example.com', 'Deployment')).toBeUndefined();
    expect(kindOf('', 'Deployment')).toBeUndefined();
    expect(kindOf('batch', 'CronJob')?.podSpec).toBe('/spec/jobTemplate/spec/template/spec');
    expect(() => kindNamed('Service')).toThrow(/not a kind of wasmgate's registry/);
  });

  it('a manifest is matched by its apiVersion group; without apiVersion, by kind alone', () => {
    expect(kindOfObject({ apiVersion: 'apps/v1', kind: 'Deployment' })?.group).toBe('apps');
    expect(kindOfObject({ apiVersion: 'example.com/v1', kind: 'Deployment' })).toBeUndefined();
    expect(kindOfObject({ apiVersion: 'v1', kind: 'RuntimeClass' })).toBeUndefined();
    expect(kindOfObject({ kind: 'RuntimeClass' })?.group).toBe('node.k8s.io');
    expect(kindOfObject({ apiVersion: 'v1' })).toBeUndefined();
    expect(kindOfObject('Pod')).toBeUndefined();
  });

  it('pod-spec pointers are the ones the engine tests patch (SPEC_POINTERS), for every kind that has one', () => {
    const fromRegistry = Object.fromEntries(
      KINDS.filter((k: KindRecord) => k.podSpec !== undefined).map((k: KindRecord) => [k.kind, k.podSpec]),
    );
    expect(fromRegistry).toEqual(SPEC_POINTERS);
  });

  it('a kind with a pod spec and an admission record: the pointer leads to the spec', () => {
    for (const k of KINDS as readonly KindRecord[]) {
      if (k.podSpec === undefined) continue;
      const obj: Record<string, unknown> = {};
      let at = obj;
      const parts = k.podSpec.split('/').slice(1);
      for (const p of parts) at = (at[p] = {}) as Record<string, unknown>;
      at['runtimeClassName'] = 'x';
      expect(podTarget(k, obj, {})?.spec, k.kind).toEqual({ runtimeClassName: 'x' });
      expect(podTarget(k, obj, {})?.specField).toBe(parts.join('.'));
    }
  });

  it('list paths and RBAC verbs follow from group, resource, watched and audited', () => {
    expect(listPath(kindNamed('Pod'))).toBe('/api/v1/pods');
    expect(listPath(kindNamed('CronJob'))).toBe('/apis/batch/v1/cronjobs');
    expect(listPath(kindNamed('RuntimeClass'))).toBe('/apis/node.k8s.io/v1/runtimeclasses');
    expect(verbsOf(kindNamed('Node'))).toEqual(['list', 'watch']);
    expect(verbsOf(kindNamed('Deployment'))).toEqual(['list']);
  });
});

describe('a custom resource named like a workload kind', () => {
  /** example.com/v1 Deployment with a Wasm-marked template that names a missing RuntimeClass */
  const custom = (): Record<string, unknown> => ({
    ...deploymentObject({
      name: 'mine',
      annotations: { [RUNTIME]: 'wasmtime' },
      spec: { runtimeClassName: 'wasm2', nodeSelector: { 'kubernetes.io/wasm': 'yes' } },
    }),
    apiVersion: 'example.com/v1',
  });
  const req = (operation: AdmissionRequest['operation'] = 'CREATE'): AdmissionRequest => ({
    uid: 'u-custom',
    kind: { group: 'example.com', version: 'v1', kind: 'Deployment' },
    resource: { group: 'example.com', version: 'v1', resource: 'deployments' },
    operation,
    name: 'mine',
    namespace: 'default',
    object: custom(),
  });
  const untouched = { allowed: true, warnings: [], auditAnnotations: {}, findings: [], errors: [] };

  it('the same object as apps/v1 is denied (the test can fail)', () => {
    const r = validate({ ...req(), kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }, seedCluster(), config());
    expect(r.allowed).toBe(false);
  });

  it('mutate and validate allow it untouched, on CREATE and UPDATE, synced or not', () => {
    for (const op of ['CREATE', 'UPDATE'] as const) {
      for (const state of [seedCluster(), unsyncedState()]) {
        expect(mutate(req(op), state, config())).toEqual(untouched);
        expect(validate(req(op), state, config())).toEqual(untouched);
      }
    }
  });

  it.each([
    ['example.com', 'Deployment'],
    ['example.com', 'Pod'],
    ['', 'Deployment'],
    ['apps', 'CronJob'],
    ['node.k8s.io', 'Node'],
  ])('the HTTP layer does not take %s %s (group and kind go together)', (group, kind) => {
    expect(handlesKind('mutate', group, kind)).toBe(false);
    expect(handlesKind('validate', group, kind)).toBe(false);
  });

  it('the audit skips it, and does not take it for the owner of a Pod', () => {
    const obj = { ...custom(), metadata: { name: 'mine', namespace: 'default', uid: 'c1' } };
    const pod = {
      ...podObject({ name: 'mine-abc', spec: { runtimeClassName: 'wasm2' } }),
      metadata: {
        name: 'mine-abc',
        namespace: 'default',
        uid: 'p1',
        ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Deployment', name: 'mine', uid: 'c1', controller: true }],
      },
    };
    const r = auditObjects([obj, pod], seedCluster(), config());
    expect(r.audited).toBe(1);
    expect(r.deduplicated).toBe(0);
    expect(r.findings.map((f) => `${f.kind} ${f.name} ${f.rule}`)).toEqual(['Pod mine-abc runtimeclass-exists']);
  });
});
