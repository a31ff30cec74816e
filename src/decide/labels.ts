/**
 * Kubernetes' reserved label namespaces, by kubelet's rule (isKubernetesLabel in
 * cmd/kubelet/app/options): a key's prefix is reserved when it is kubernetes.io or ends with
 * .kubernetes.io, or is k8s.io or ends with .k8s.io (so cluster.x-k8s.io is not). Used by the
 * reserved-label-keys rule and by placement's advice (it never suggests labelling nodes with them).
 */

export function labelPrefix(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

export function isKubernetesLabel(key: string): boolean {
  const ns = labelPrefix(key);
  return ns === 'kubernetes.io' || ns.endsWith('.kubernetes.io') || ns === 'k8s.io' || ns.endsWith('.k8s.io');
}
