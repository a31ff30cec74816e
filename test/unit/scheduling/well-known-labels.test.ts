import { describe, expect, it } from 'vitest';
import {
  inReservedNamespace,
  isReservedKey,
  isWellKnownKey,
  reservedRoot,
  WELL_KNOWN_KEYS,
} from '../../../src/scheduling/well-known-labels.js';

describe('reserved keys: only what Kubernetes defines passes', () => {
  const cases: [string, string[], boolean][] = [
    ['kubernetes.io/arch', [], false],
    ['kubernetes.io/os', [], false],
    ['kubernetes.io/hostname', [], false],
    ['node.kubernetes.io/instance-type', [], false],
    ['topology.kubernetes.io/zone', [], false],
    ['failure-domain.beta.kubernetes.io/zone', [], false],
    ['node-role.kubernetes.io/control-plane', [], false],
    ['node-role.kubernetes.io/worker', [], true],
    ['node.kubernetes.io/wasmtime', [], true],
    ['kubernetes.io/wasm', [], true],
    ['wasm.k8s.io/runtime', [], true],
    ['k8s.io/wasm', [], true],
    ['feature.node.kubernetes.io/cpu-cpuid.AVX', [], true],
    ['feature.node.kubernetes.io/cpu-cpuid.AVX', ['feature.node.kubernetes.io/*'], false],
    ['node.kubernetes.io/wasmtime', ['node.kubernetes.io/wasmtime'], false],
    ['a.example.k8s.io/x', ['example.k8s.io/*'], false],
    ['cluster.x-k8s.io/role', [], false],
    ['wasmtime-enabled', [], false],
    ['example.com/kubernetes.io', [], false],
    ['notkubernetes.io/x', [], false],
  ];
  it.each(cases)('%s (allowlist %j) reserved: %s', (key, allow, want) => expect(isReservedKey(key, allow)).toBe(want));

  it('the namespace rule is kubelet’s', () => {
    expect(inReservedNamespace('kubernetes.io/x')).toBe(true);
    expect(inReservedNamespace('a.kubernetes.io/x')).toBe(true);
    expect(inReservedNamespace('ak8s.io/x')).toBe(false);
    expect(reservedRoot('x.k8s.io/y')).toBe('k8s.io');
    expect(reservedRoot('node.kubernetes.io/y')).toBe('kubernetes.io');
    expect(reservedRoot('example.com/y')).toBeUndefined();
  });

  it('every listed key is in a reserved namespace and well known', () => {
    for (const k of WELL_KNOWN_KEYS) {
      expect(inReservedNamespace(k), k).toBe(true);
      expect(isWellKnownKey(k), k).toBe(true);
    }
    expect(new Set(WELL_KNOWN_KEYS).size).toBe(WELL_KNOWN_KEYS.length);
  });
});
