import { describe, expect, it } from 'vitest';
import { auditWriterRbac } from '../../../src/report/rbac.js';
import { reportKinds, REPORT_APIS } from '../../../src/report/policy-report.js';

describe('RBAC of the audit writer', () => {
  const [cr, , role] = auditWriterRbac({ namespace: 'wasmgate' }) as {
    rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  }[];

  it('covers every report kind of both APIs with exactly the writer’s verbs', () => {
    for (const api of REPORT_APIS) {
      const k = reportKinds(api);
      const rule = cr!.rules.find((r) => r.apiGroups[0] === k.group)!;
      expect(rule.resources).toEqual([k.namespaced.plural, k.cluster.plural]);
      expect(rule.verbs).toEqual(['get', 'list', 'create', 'update', 'delete']);
    }
  });

  it('Events: create only; the Lease: get, create, update, in its own namespace only', () => {
    expect(cr!.rules.find((r) => r.apiGroups[0] === 'events.k8s.io')!.verbs).toEqual(['create']);
    expect(role).toMatchObject({ kind: 'Role', metadata: { namespace: 'wasmgate' } });
    expect(role!.rules).toEqual([{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }]);
  });
});
