/**
 * reserved-label-keys: node selectors use only the keys Kubernetes itself defines in the namespaces
 * it reserves (kubernetes.io, *.kubernetes.io, k8s.io, *.k8s.io; cluster.x-k8s.io is not one), plus
 * the config's reservedLabelAllowlist. The list of defined keys, with its source, is
 * src/scheduling/well-known-labels.ts.
 *
 * kubelet refuses reserved keys in --node-labels apart from its own labels and the
 * node.kubernetes.io / kubelet.kubernetes.io namespaces, and NodeRestriction stops a node from
 * setting them on itself: a selector on one matches nothing, or only nodes an admin labelled by
 * hand. A made-up key in a namespace kubelet may set (node.kubernetes.io/wasmtime) is still a key
 * Kubernetes may define tomorrow: "avoid the kubernetes.io and k8s.io namespaces for your own labels".
 */
import type { Labels } from '../cluster/types.js';
import { describeTarget, field, formatPair } from '../decide/format.js';
import type { PodTemplateCheck, Rule, RuleContext, RuntimeClassCheck } from '../decide/types.js';
import { isReservedKey, labelPrefix, reservedRoot } from '../scheduling/well-known-labels.js';

export function reservedKeys(selector: Labels | undefined, ctx: RuleContext): string[] {
  return Object.keys(selector ?? {})
    .filter((key) => isReservedKey(key, ctx.config.reservedLabelAllowlist))
    .sort();
}

function suggestion(key: string): string {
  const name = key.slice(key.indexOf('/') + 1);
  return `wasmgate.dev/${name}`;
}

/** kubelet accepts these namespaces (and their subdomains) in --node-labels */
function kubeletMaySet(key: string): boolean {
  const ns = labelPrefix(key);
  return ['node.kubernetes.io', 'kubelet.kubernetes.io'].some((allowed) => ns === allowed || ns.endsWith(`.${allowed}`));
}

/** "label kubernetes.io/wasm (in the reserved kubernetes.io namespace: ...)" */
function why(key: string): string {
  const root = reservedRoot(key) ?? 'kubernetes.io';
  return kubeletMaySet(key)
    ? `label ${key} (in the reserved ${root} namespace, which holds only the labels Kubernetes itself defines, and it defines no such label)`
    : `label ${key} (in the reserved ${root} namespace: kubelet refuses it in --node-labels, so node provisioning cannot set it)`;
}

const podTemplate: PodTemplateCheck = (target, _intent, ctx) => {
  const own = target.nodeSelector;
  return reservedKeys(own, ctx).map(
    (key) =>
      `${describeTarget(target)} selects nodes in ${field(target, 'nodeSelector')} by ${why(key)}. ` +
      `Fix: use a key in your own namespace, e.g. ${formatPair(suggestion(key), own[key]!)}, on the nodes and in the selector; ` +
      `or, if an admin sets this label deliberately, add ${key} to reservedLabelAllowlist in wasmgate's config.`,
  );
};

const runtimeClass: RuntimeClassCheck = (rc, ctx) => {
  return reservedKeys(rc.nodeSelector, ctx).map(
    (key) =>
      `RuntimeClass ${rc.name} selects nodes in scheduling.nodeSelector by ${why(key)}. Fix: label the Wasm nodes with a key ` +
      `in your own namespace, e.g. ${formatPair(suggestion(key), rc.nodeSelector?.[key] ?? '')}, and use it in the RuntimeClass; ` +
      `or, if an admin sets this label deliberately, add ${key} to reservedLabelAllowlist in wasmgate's config.`,
  );
};

export const reservedLabelKeys: Rule = {
  id: 'reserved-label-keys',
  summary:
    'Node selectors of Wasm pods and of RuntimeClasses use, in the reserved kubernetes.io / k8s.io namespaces, only the labels Kubernetes defines.',
  defaultMode: 'enforce',
  // A RuntimeClass's own keys are checked when the class is admitted (and in audits and checks):
  // its pods' authors cannot change it, so their pods are judged on their own selector only.
  checks: { podTemplate: { CREATE: podTemplate, UPDATE: podTemplate }, RuntimeClass: { CREATE: runtimeClass, UPDATE: runtimeClass } },
};
