/**
 * RBAC of the background audit's writer, apart from wasmgate's read-only ClusterRole
 * (src/deploy/rbac.ts): a ClusterRole to write its reports in every namespace, record Events and
 * read a RuntimeClass's uid, and a Role for its Lease in its own namespace. The chart's audit rules
 * come from here (src/deploy/chart.ts, which narrows updates and deletes to wasmgate's own names).
 */
export function auditWriterRbac(o: { namespace: string; serviceAccount?: string; name?: string }): object[] {
  const name = o.name ?? 'wasmgate-audit';
  const labels = { 'app.kubernetes.io/name': 'wasmgate' };
  const subject = { kind: 'ServiceAccount', name: o.serviceAccount ?? 'wasmgate', namespace: o.namespace };
  const reportVerbs = ['get', 'list', 'create', 'update', 'delete'];
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name, labels },
      rules: [
        { apiGroups: ['wgpolicyk8s.io'], resources: ['policyreports', 'clusterpolicyreports'], verbs: reportVerbs },
        { apiGroups: ['openreports.io'], resources: ['reports', 'clusterreports'], verbs: reportVerbs },
        { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
        { apiGroups: ['node.k8s.io'], resources: ['runtimeclasses'], verbs: ['get'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [subject],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace: o.namespace, labels },
      rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: o.namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [subject],
    },
  ];
}
