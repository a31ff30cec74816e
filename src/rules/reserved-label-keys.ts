/**
 * reserved-label-keys: node selectors do not use label keys in the namespaces Kubernetes reserves.
 *
 * kubelet's rule (isKubernetesLabel in cmd/kubelet/app/options): a key's prefix is reserved when it
 * is kubernetes.io or ends with .kubernetes.io, or is k8s.io or ends with .k8s.io. So
 * cluster.x-k8s.io is NOT reserved (it ends with x-k8s.io, not .k8s.io). kubelet refuses such keys
 * in --node-labels (apart from its own well-known labels), and NodeRestriction stops a node from
 * setting them on itself, so node provisioning cannot apply them: a selector on one matches
 * nothing, or only nodes an admin labelled by hand.
 */
import type { Labels } from '../cluster/types.js';
import { stringMap } from '../objects/json.js';
import { KUBELET_LABELS } from '../config/config.js';
import { describeTarget, field } from '../decide/format.js';
import { isKubernetesLabel, labelPrefix } from '../decide/labels.js';
import type { PodTemplateCheck, Rule, RuleContext, RuntimeClassCheck } from '../decide/types.js';

/** allowlist entries: an exact key, or "prefix/*" for that namespace and its subdomains */
function isAllowlisted(key: string, allowlist: readonly string[]): boolean {
  const ns = labelPrefix(key);
  return allowlist.some((entry) => {
    if (!entry.endsWith('/*')) return entry === key;
    const allowed = entry.slice(0, -2);
    return ns === allowed || ns.endsWith(`.${allowed}`);
  });
}

/** kubelet's own labels are always allowed; the config's allowlist adds to them */
function isAllowedReservedKey(key: string, ctx: RuleContext): boolean {
  return isAllowlisted(key, KUBELET_LABELS) || isAllowlisted(key, ctx.config.reservedLabelAllowlist);
}

function reservedKeys(selector: Labels | undefined, ctx: RuleContext): string[] {
  return Object.keys(selector ?? {})
    .filter((key) => isKubernetesLabel(key) && !isAllowedReservedKey(key, ctx))
    .sort();
}

function suggestion(key: string): string {
  const name = key.slice(key.indexOf('/') + 1);
  return `wasmgate.dev/${name}`;
}

/** "label kubernetes.io/wasm (in the reserved kubernetes.io namespace: ...)" */
function why(key: string): string {
  const ns = labelPrefix(key);
  const root = ns === 'k8s.io' || ns.endsWith('.k8s.io') ? 'k8s.io' : 'kubernetes.io';
  return `label ${key} (in the reserved ${root} namespace: kubelet refuses it in --node-labels, so node provisioning cannot set it)`;
}

const podTemplate: PodTemplateCheck = (target, _intent, ctx) => {
  const own = stringMap(target.spec['nodeSelector']);
  return reservedKeys(own, ctx).map(
    (key) =>
      `${describeTarget(target)} selects nodes in ${field(target, 'nodeSelector')} by ${why(key)}. ` +
      `Fix: use a key in your own namespace, e.g. ${suggestion(key)}=${own[key]}, on the nodes and in the selector; ` +
      `or, if an admin sets this label deliberately, add ${key} to reservedLabelAllowlist in wasmgate's config.`,
  );
};

const runtimeClass: RuntimeClassCheck = (rc, ctx) => {
  return reservedKeys(rc.nodeSelector, ctx).map(
    (key) =>
      `RuntimeClass ${rc.name} selects nodes in scheduling.nodeSelector by ${why(key)}. Fix: label the Wasm nodes with a key ` +
      `in your own namespace, e.g. ${suggestion(key)}=${rc.nodeSelector?.[key] ?? ''}, and use it in the RuntimeClass; ` +
      `or, if an admin sets this label deliberately, add ${key} to reservedLabelAllowlist in wasmgate's config.`,
  );
};

export const reservedLabelKeys: Rule = {
  id: 'reserved-label-keys',
  summary: 'Node selectors of Wasm pods and of RuntimeClasses avoid the reserved kubernetes.io / k8s.io label namespaces.',
  defaultMode: 'enforce',
  // A RuntimeClass's own keys are checked when the class is admitted (and in audits): its pods'
  // authors cannot change it, so their pods are judged on their own selector only.
  checks: { podTemplate: { CREATE: podTemplate, UPDATE: podTemplate }, RuntimeClass: { CREATE: runtimeClass, UPDATE: runtimeClass } },
};
