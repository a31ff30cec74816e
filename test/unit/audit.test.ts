import { describe, expect, it } from 'vitest';
import { auditObjects, formatAudit } from '../../src/audit/audit.js';
import { config, deploymentObject, podObject, runtimeClassObject, seedCluster } from '../harness/fixtures.js';

const withMeta = (obj: Record<string, unknown>, meta: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  ...obj,
  metadata: { ...(obj['metadata'] as object), ...meta },
  ...extra,
});
const owned = (kind: string, uid: string) => ({ ownerReferences: [{ apiVersion: 'apps/v1', kind, name: 'x', uid, controller: true }] });

describe('audit', () => {
  const broken = { spec: { runtimeClassName: 'wasm2' } };

  it('reports a broken workload once, on its owner; owned ReplicaSets and Pods are skipped', () => {
    const deployment = withMeta(deploymentObject({ name: 'web', ...broken }), { uid: 'd1' });
    const rs = withMeta(deploymentObject({ name: 'web-123', ...broken }), { uid: 'r1', ...owned('Deployment', 'd1') }, { kind: 'ReplicaSet' });
    const pod = withMeta(podObject({ name: 'web-123-abc', ...broken }), { uid: 'p1', ...owned('ReplicaSet', 'r1') });
    const r = auditObjects([deployment, rs, pod], seedCluster(), config());
    expect(r.audited).toBe(1);
    expect(r.deduplicated).toBe(2);
    expect(r.findings.map((f) => `${f.kind} ${f.name} ${f.rule} ${f.mode}`)).toEqual(['Deployment web runtimeclass-exists enforce']);
  });

  it('an orphan (its owner is gone) is reported itself', () => {
    const pod = withMeta(podObject({ name: 'orphan', ...broken }), owned('ReplicaSet', 'gone'));
    const r = auditObjects([pod], seedCluster(), config());
    expect(r.findings.map((f) => f.name)).toEqual(['orphan']);
  });

  it('finished and terminating pods are skipped; non-Wasm objects give no findings', () => {
    const done = { ...podObject({ name: 'done', ...broken }), status: { phase: 'Succeeded' } };
    const going = withMeta(podObject({ name: 'going', ...broken }), { deletionTimestamp: '2026-01-01T00:00:00Z' });
    const plain = podObject({ name: 'plain' });
    const r = auditObjects([done, going, plain], seedCluster(), config());
    expect(r.audited).toBe(1);
    expect(r.findings).toEqual([]);
  });

  it('RuntimeClasses are audited with their own rules, and modes are kept', () => {
    const rc = runtimeClassObject('bad', 'wasmtime', { 'kubernetes.io/wasm': 'yes' });
    const k3s = runtimeClassObject('spin', 'spin');
    const r = auditObjects([rc, k3s], seedCluster(), config({ rules: { 'runtimeclass-has-selector': 'audit' } }));
    expect(r.findings.map((f) => `${f.name} ${f.rule} ${f.mode}`)).toEqual([
      'bad reserved-label-keys enforce',
      'bad runtimeclass-selector-matches warn',
      'spin runtimeclass-has-selector audit',
    ]);
    const text = formatAudit(r);
    expect(text).toContain('ENFORCE RuntimeClass bad: [reserved-label-keys] RuntimeClass bad selects nodes in scheduling.nodeSelector by label kubernetes.io/wasm');
    expect(text.trim().split('\n').pop()).toBe(
      '2 objects audited (0 controller-owned objects reported on their owners), 3 findings: 1 enforce, 1 warn, 1 audit',
    );
  });
});
