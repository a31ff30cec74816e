/**
 * The ClusterRole wasmgate needs, derived from the kinds registry: list and watch on what the live
 * cache watches, list on what the audit lists, nothing else. For `wasmgate manifests` and the Helm
 * chart; test/unit/deploy.test.ts checks every verb against the registry.
 */
import { stringify } from 'yaml';
import { KINDS, verbsOf, type KindRecord } from '../kinds/registry.js';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** One rule per API group and verb set, resources in registry order. */
export function policyRules(kinds: readonly KindRecord[] = KINDS): PolicyRule[] {
  const rules: PolicyRule[] = [];
  for (const k of kinds) {
    const verbs = verbsOf(k);
    if (verbs.length === 0) continue;
    const same = rules.find((r) => r.apiGroups[0] === k.group && r.verbs.join() === verbs.join());
    if (same !== undefined) same.resources.push(k.resource);
    else rules.push({ apiGroups: [k.group], resources: [k.resource], verbs });
  }
  return rules;
}

export function clusterRoles(o: { name?: string } = {}): object[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: o.name ?? 'wasmgate', labels: { 'app.kubernetes.io/name': 'wasmgate' } },
      rules: policyRules(),
    },
  ];
}

/** YAML 1.1, as kubectl reads it. */
export function rbacYaml(o: { name?: string } = {}): string {
  return clusterRoles(o)
    .map((doc) => stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' }))
    .join('---\n');
}
