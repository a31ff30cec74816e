/**
 * Reserved label and annotation keys, and the ones Kubernetes itself defines.
 *
 * Source: "Well-Known Labels, Annotations and Taints",
 * https://kubernetes.io/docs/reference/labels-annotations-taints/ (kubernetes/website,
 * content/en/docs/reference/labels-annotations-taints/_index.md), cross-checked with
 * k8s.io/api/core/v1 well_known_labels.go and well_known_taints.go. That page says: "Kubernetes
 * reserves all labels, annotations and taints in the kubernetes.io and k8s.io namespaces." So a key
 * in those namespaces is only legitimate when Kubernetes defines it: this file is the ONE list
 * wasmgate keeps of them. The config's reservedLabelAllowlist adds to it.
 *
 * The namespace rule is kubelet's isKubernetesLabel (cmd/kubelet/app/options): the prefix is
 * kubernetes.io or ends with .kubernetes.io, or is k8s.io or ends with .k8s.io; cluster.x-k8s.io is
 * therefore not reserved (it ends with x-k8s.io, not .k8s.io).
 */

/** Keys defined on that page: labels, annotations and taint keys. */
export const WELL_KNOWN_KEYS: readonly string[] = [
  // recommended labels (app.kubernetes.io)
  'app.kubernetes.io/component',
  'app.kubernetes.io/created-by',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/name',
  'app.kubernetes.io/part-of',
  'app.kubernetes.io/version',
  // Node labels set by kubelet or a cloud provider
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'kubernetes.io/hostname',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'node.kubernetes.io/windows-build',
  'node.kubernetes.io/exclude-from-external-load-balancers',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'node-role.kubernetes.io/control-plane',
  'node-role.kubernetes.io/master',
  // Node annotations
  'alpha.kubernetes.io/provided-node-ip',
  'volumes.kubernetes.io/controller-managed-attach-detach',
  'kubeadm.alpha.kubernetes.io/cri-socket',
  'scheduler.alpha.kubernetes.io/preferAvoidPods',
  // taints (well_known_taints.go and the page)
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
  'node.kubernetes.io/unschedulable',
  'node.kubernetes.io/memory-pressure',
  'node.kubernetes.io/disk-pressure',
  'node.kubernetes.io/network-unavailable',
  'node.kubernetes.io/pid-pressure',
  'node.kubernetes.io/out-of-service',
  'node.cloudprovider.kubernetes.io/uninitialized',
  'node.cloudprovider.kubernetes.io/shutdown',
  // other objects' labels and annotations
  'kubernetes.io/metadata.name',
  'kubernetes.io/limit-ranger',
  'kubernetes.io/change-cause',
  'kubernetes.io/description',
  'kubernetes.io/enforce-mountable-secrets',
  'kubernetes.io/ingress-bandwidth',
  'kubernetes.io/egress-bandwidth',
  'kubernetes.io/service-name',
  'kubernetes.io/service-account.name',
  'kubernetes.io/service-account.uid',
  'kubernetes.io/legacy-token-last-used',
  'kubernetes.io/ingress.class',
  'kubernetes.io/psp',
  'kubectl.kubernetes.io/restartedAt',
  'kubectl.kubernetes.io/default-container',
  'kubectl.kubernetes.io/default-logs-container',
  'kubectl.kubernetes.io/last-applied-configuration',
  'apf.kubernetes.io/autoupdate-spec',
  'applyset.kubernetes.io/additional-namespaces',
  'applyset.kubernetes.io/contains-group-resources',
  'applyset.kubernetes.io/id',
  'applyset.kubernetes.io/is-parent-type',
  'applyset.kubernetes.io/part-of',
  'applyset.kubernetes.io/tooling',
  'cluster-autoscaler.kubernetes.io/safe-to-evict',
  'cluster-autoscaler.kubernetes.io/enable-ds-eviction',
  'config.kubernetes.io/local-config',
  'internal.config.kubernetes.io/path',
  'internal.config.kubernetes.io/index',
  'addonmanager.kubernetes.io/mode',
  'kube-aggregator.kubernetes.io/automanaged',
  'service.alpha.kubernetes.io/tolerate-unready-endpoints',
  'controller.kubernetes.io/pod-deletion-cost',
  'pv.kubernetes.io/bind-completed',
  'pv.kubernetes.io/bound-by-controller',
  'pv.kubernetes.io/provisioned-by',
  'pv.kubernetes.io/migrated-to',
  'statefulset.kubernetes.io/pod-name',
  'scheduler.alpha.kubernetes.io/node-selector',
  'scheduler.alpha.kubernetes.io/defaultTolerations',
  'scheduler.alpha.kubernetes.io/tolerationsWhitelist',
  'scheduler.alpha.kubernetes.io/critical-pod',
  'volume.beta.kubernetes.io/storage-provisioner',
  'volume.beta.kubernetes.io/storage-class',
  'volume.beta.kubernetes.io/mount-options',
  'volume.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/selected-node',
  'service.kubernetes.io/headless',
  'service.kubernetes.io/service-proxy-name',
  'endpointslice.kubernetes.io/managed-by',
  'endpointslice.kubernetes.io/skip-mirror',
  'endpoints.kubernetes.io/over-capacity',
  'experimental.windows.kubernetes.io/isolation-type',
  'ingressclass.kubernetes.io/is-default-class',
  'storageclass.kubernetes.io/is-default-class',
  'batch.kubernetes.io/job-completion-index',
  'batch.kubernetes.io/job-tracking',
  'batch.kubernetes.io/job-name',
  'batch.kubernetes.io/controller-uid',
  'pod-security.kubernetes.io/enforce',
  'pod-security.kubernetes.io/enforce-version',
  'pod-security.kubernetes.io/audit',
  'pod-security.kubernetes.io/audit-version',
  'pod-security.kubernetes.io/warn',
  'pod-security.kubernetes.io/warn-version',
  'rbac.authorization.kubernetes.io/autoupdate',
  'seccomp.security.alpha.kubernetes.io/pod',
  'snapshot.storage.kubernetes.io/allow-volume-mode-change',
  'kubeadm.kubernetes.io/etcd.advertise-client-urls',
  'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint',
  'kubeadm.kubernetes.io/component-config.hash',
  // audit annotations (linked from the page)
  'authorization.k8s.io/decision',
  'authorization.k8s.io/reason',
  'pod-security.kubernetes.io/audit-violations',
  'pod-security.kubernetes.io/enforce-policy',
  'pod-security.kubernetes.io/exempt',
];

/**
 * Families the page defines by pattern: "prefix/*" covers every name in that exact prefix.
 * internal.config.kubernetes.io/* is a reserved prefix on the page;
 * container.seccomp.security.alpha.kubernetes.io/[NAME], insecure-sha1.invalid-cert.kubernetes.io/$hostname
 * and missing-san.invalid-cert.kubernetes.io/$hostname take a name. node-role.kubernetes.io/<role>
 * is NOT one: the page defines only control-plane (and the deprecated master); other roles are
 * set by hand (kubelet refuses them in --node-labels) and need the allowlist.
 */
export const WELL_KNOWN_PREFIXES: readonly string[] = [
  'internal.config.kubernetes.io/*',
  'container.seccomp.security.alpha.kubernetes.io/*',
  'insecure-sha1.invalid-cert.kubernetes.io/*',
  'missing-san.invalid-cert.kubernetes.io/*',
];

const KNOWN = new Set(WELL_KNOWN_KEYS);
const KNOWN_PREFIXES = new Set(WELL_KNOWN_PREFIXES.map((p) => p.slice(0, -2)));

/** "example.com" for "example.com/name", "" for an unprefixed key */
export function labelPrefix(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

/** The prefix is in a namespace Kubernetes reserves (kubelet's isKubernetesLabel). */
export function inReservedNamespace(key: string): boolean {
  const ns = labelPrefix(key);
  return ns === 'kubernetes.io' || ns.endsWith('.kubernetes.io') || ns === 'k8s.io' || ns.endsWith('.k8s.io');
}

/** "kubernetes.io" or "k8s.io": the reserved root a key falls under (undefined: not reserved). */
export function reservedRoot(key: string): 'kubernetes.io' | 'k8s.io' | undefined {
  if (!inReservedNamespace(key)) return undefined;
  const ns = labelPrefix(key);
  return ns === 'k8s.io' || ns.endsWith('.k8s.io') ? 'k8s.io' : 'kubernetes.io';
}

/** Kubernetes itself defines this key (exactly, or within a family defined by pattern). */
export function isWellKnownKey(key: string): boolean {
  return KNOWN.has(key) || KNOWN_PREFIXES.has(labelPrefix(key));
}

/**
 * Allowlist entries (the config's reservedLabelAllowlist): an exact key, or "prefix/*" for that
 * namespace and its subdomains ("example.k8s.io/*" also allows "a.example.k8s.io/x").
 */
export function isAllowlisted(key: string, allowlist: readonly string[]): boolean {
  const ns = labelPrefix(key);
  return allowlist.some((entry) => {
    if (!entry.endsWith('/*')) return entry === key;
    const allowed = entry.slice(0, -2);
    return ns === allowed || ns.endsWith(`.${allowed}`);
  });
}

/**
 * The key is in a reserved namespace and neither Kubernetes defines it nor the allowlist admits it:
 * node.kubernetes.io/wasmtime is reserved, node.kubernetes.io/instance-type is not.
 */
export function isReservedKey(key: string, allowlist: readonly string[] = []): boolean {
  return inReservedNamespace(key) && !isWellKnownKey(key) && !isAllowlisted(key, allowlist);
}
