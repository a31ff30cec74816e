import { describe, expect, it } from 'vitest';
import { stateFromObjects } from '../../../src/cluster/snapshot.js';
import { STORES } from '../../../src/cluster/stores.js';
import {
  annotationsOf,
  controllerOf,
  groupVersionOf,
  labelsOf,
  nameOf,
  namespaceOf,
  podKey,
  uidOf,
} from '../../../src/objects/metadata.js';

describe('object metadata accessors', () => {
  it('read metadata fields and treat malformed input as absent', () => {
    const obj = { metadata: { name: 'a', namespace: 'ns', uid: 'u', labels: { x: 'y', n: 1 }, annotations: { k: 'v' } } };
    expect([nameOf(obj), namespaceOf(obj), uidOf(obj), labelsOf(obj), annotationsOf(obj)]).toEqual([
      'a',
      'ns',
      'u',
      { x: 'y' },
      { k: 'v' },
    ]);
    for (const bad of [null, 'x', [], {}, { metadata: [] }, { metadata: { name: 3, namespace: '' } }]) {
      expect([nameOf(bad), namespaceOf(bad), uidOf(bad), labelsOf(bad), controllerOf(bad)]).toEqual([
        undefined,
        undefined,
        undefined,
        {},
        undefined,
      ]);
    }
  });

  it('the controller owner is the one with controller: true; malformed entries are skipped', () => {
    const obj = {
      metadata: {
        ownerReferences: [
          'x',
          { kind: 'A', uid: '1' },
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r', uid: '2', controller: true },
        ],
      },
    };
    expect(controllerOf(obj)).toEqual({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r', uid: '2', controller: true });
  });

  it('apiVersion splits into group and version; "v1" is the core group', () => {
    expect(groupVersionOf('v1')).toEqual({ group: '', version: 'v1' });
    expect(groupVersionOf('node.k8s.io/v1')).toEqual({ group: 'node.k8s.io', version: 'v1' });
  });
});

describe('podKey: one rule for a missing namespace', () => {
  it('namespace/name; a Pod without namespace is in default, as kubectl would create it', () => {
    expect(podKey({ metadata: { name: 'a', namespace: 'apps' } })).toBe('apps/a');
    expect(podKey({ metadata: { name: 'a' } })).toBe('default/a');
    expect(podKey({ metadata: { name: 'a', namespace: '' } })).toBe('default/a');
    expect(podKey({ metadata: { namespace: 'apps' } })).toBeUndefined();
    expect(podKey({})).toBeUndefined();
  });

  it('the snapshot and the live cache key Pods the same way (one store)', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' }, spec: { runtimeClassName: 'wasm1' } };
    expect(STORES.Pod.key(pod)).toBe('default/a');
    expect(STORES.Pod.reduce(pod)).toEqual(['default/a', 'wasm1']);
    // the same Pod written with and without its namespace is one Pod, not two
    const { state } = stateFromObjects([pod, { ...pod, metadata: { name: 'a', namespace: 'default' } }], 'test');
    expect(state.podsUsingRuntimeClass('wasm1')).toBe(1);
  });
});
