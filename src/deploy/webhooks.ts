/**
 * wasmgate's MutatingWebhookConfiguration and ValidatingWebhookConfiguration, generated from the
 * config (the CEL matchConditions name the configured marker annotations). `wasmgate manifests`
 * prints them; deploy/webhooks.yaml holds them for the default config (a test keeps it in sync)
 * for the Helm chart and for plain `kubectl apply`.
 *
 * Choices, each from a lesson peers learned the hard way:
 * - matchConditions: the API server calls wasmgate only for Wasm-marked pods/templates or ones that
 *   name a RuntimeClass; every other pod is admitted without a network round trip. With image
 *   detection on, the MUTATING webhooks also get pods/templates that name no RuntimeClass (their
 *   images say whether they are Wasm), with a timeout above imageDetection.budgetMs.
 * - namespaceSelector excludes kube-system and wasmgate's own namespace: a webhook outage can
 *   never block the control plane or wasmgate's own recovery.
 * - mutation fails open (Ignore): validation still explains what is wrong. Pod validation fails
 *   closed (Fail) but only Wasm pods reach it. Node and RuntimeClass checks only warn, so they fail open.
 */
import { stringify } from 'yaml';
import type { Config } from '../config/config.js';
import { KINDS, templatePointer, type Endpoint, type KindRecord, type WebhookName } from '../kinds/registry.js';

export interface ClientConfig {
  /** https URL base, e.g. https://127.0.0.1:8443 (local) — or a Service */
  url?: string;
  service?: { name: string; namespace: string; port?: number };
  caBundle?: string;
}

export interface WebhookOptions {
  client: ClientConfig;
  /** namespaces never sent to the webhook, besides kube-system */
  excludeNamespaces?: string[];
  /** namespaces carrying this label (any value) are never sent to the webhook either */
  optOutLabel?: string;
  timeoutSeconds?: number;
  /** include the workload-template and Node webhooks (default true) */
  workloads?: boolean;
  nodes?: boolean;
}

function celString(s: string): string {
  return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/**
 * CEL: the pod template `t` (an expression) is marked as Wasm or names a RuntimeClass. With
 * `detect` (image detection, mutating webhooks only): marked as Wasm or names NO RuntimeClass, so
 * plain pods reach wasmgate to have their images looked up.
 */
function templateCondition(t: string, config: Config, detect = false): string {
  const keys = [config.annotations.runtime, ...config.annotations.wasmVariant].map((k) => `${celString(k)} in ${t}.metadata.annotations`);
  const marked = `(has(${t}.metadata) && has(${t}.metadata.annotations) && (${keys.join(' || ')}))`;
  const named = `(has(${t}.spec) && has(${t}.spec.runtimeClassName) && ${t}.spec.runtimeClassName != '')`;
  return `${marked} || ${detect ? `!${named}` : named}`;
}

/** A pointer of the registry (/spec/template) as a CEL path from `object`: object.spec.template. */
function celPath(pointer: string): string {
  return `object${pointer.replaceAll('/', '.')}`;
}

/** The kinds that `webhook` receives on `endpoint`, in registry order. */
function kindsOf(webhook: WebhookName, endpoint: Endpoint): KindRecord[] {
  return KINDS.filter((k: KindRecord) => k.admission?.webhook === webhook && k.admission.endpoints.includes(endpoint));
}

/**
 * CEL: the admitted object's pod template is marked as Wasm or names a RuntimeClass, wherever its
 * kind keeps the template (the registry's pod-spec pointers). The most common place is the last
 * branch; each other place gets a branch on request.kind.kind, in registry order.
 */
function templateConditions(kinds: KindRecord[], config: Config, detect = false): string {
  const byPath = new Map<string, string[]>();
  for (const k of kinds) {
    const path = celPath(templatePointer(k) ?? '');
    byPath.set(path, [...(byPath.get(path) ?? []), k.kind]);
  }
  const paths = [...byPath.keys()];
  if (paths.length === 1 && paths[0] === 'object') return templateCondition('object', config, detect);
  const common = paths.reduce((a, b) => (byPath.get(b)!.length > byPath.get(a)!.length ? b : a));
  const guarded = (path: string): string => `(has(${path}) && (${templateCondition(path, config, detect)}))`;
  const branches = paths
    .filter((path) => path !== common)
    .map(
      (path) =>
        `${byPath
          .get(path)!
          .map((kind) => `request.kind.kind == '${kind}'`)
          .join(' || ')} ? ${guarded(path)} : `,
    );
  return `${branches.join('')}${guarded(common)}`;
}

const NODE_CHANGE =
  '(has(object.metadata.labels) ? object.metadata.labels : {}) != (has(oldObject.metadata.labels) ? oldObject.metadata.labels : {}) || ' +
  '(has(object.spec.unschedulable) && object.spec.unschedulable) != (has(oldObject.spec.unschedulable) && oldObject.spec.unschedulable) || ' +
  '(has(object.spec.taints) ? object.spec.taints : []) != (has(oldObject.spec.taints) ? oldObject.spec.taints : [])';

/** Webhook rules for the kinds `webhook` receives on `endpoint`: one per operation set and API group, resources in registry order. */
function rulesOf(webhook: WebhookName, endpoint: Endpoint): object[] {
  const rules: { operations: string[]; apiGroups: string[]; apiVersions: string[]; resources: string[]; scope: string }[] = [];
  for (const k of kindsOf(webhook, endpoint)) {
    const operations = [...k.admission!.operations];
    const same = rules.find(
      (r) =>
        r.apiGroups[0] === k.group && r.apiVersions[0] === k.version && r.scope === k.scope && r.operations.join() === operations.join(),
    );
    if (same !== undefined) same.resources.push(k.resource);
    else rules.push({ operations, apiGroups: [k.group], apiVersions: [k.version], resources: [k.resource], scope: k.scope });
  }
  return rules;
}

function clientConfig(c: ClientConfig, path: string): object {
  const out: Record<string, unknown> = {};
  if (c.url !== undefined) out['url'] = `${c.url.replace(/\/$/, '')}${path}`;
  else if (c.service !== undefined) out['service'] = { ...c.service, path, port: c.service.port ?? 443 };
  if (c.caBundle !== undefined) out['caBundle'] = c.caBundle;
  return out;
}

export function webhookConfigurations(config: Config, o: WebhookOptions): [object, object] {
  const namespaceSelector = {
    matchExpressions: [
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', ...(o.excludeNamespaces ?? [])] },
      ...(o.optOutLabel === undefined || o.optOutLabel === '' ? [] : [{ key: o.optOutLabel, operator: 'DoesNotExist' }]),
    ],
  };
  const common = { sideEffects: 'None', admissionReviewVersions: ['v1'], timeoutSeconds: o.timeoutSeconds ?? 5, matchPolicy: 'Equivalent' };
  // image detection: mutating webhooks also get unmarked pods, and wait longer than the lookup budget
  const detect = config.imageDetection.enabled;
  const mutatingCommon = detect
    ? { ...common, timeoutSeconds: Math.max(common.timeoutSeconds, Math.ceil(config.imageDetection.budgetMs / 1000) + 1) }
    : common;
  const podsCondition = detect ? 'wasm-or-unnamed-pods' : 'wasm-pods-only';
  const templatesCondition = detect ? 'wasm-or-unnamed-templates' : 'wasm-templates-only';
  const mutating: object[] = [
    {
      name: 'pods.mutate.wasmgate.dev',
      clientConfig: clientConfig(o.client, '/mutate'),
      rules: rulesOf('pods', 'mutate'),
      namespaceSelector,
      matchConditions: [{ name: podsCondition, expression: templateConditions(kindsOf('pods', 'mutate'), config, detect) }],
      failurePolicy: 'Ignore',
      reinvocationPolicy: 'Never',
      ...mutatingCommon,
    },
  ];
  const validating: object[] = [
    {
      name: 'pods.validate.wasmgate.dev',
      clientConfig: clientConfig(o.client, '/validate'),
      rules: rulesOf('pods', 'validate'),
      namespaceSelector,
      matchConditions: [{ name: 'wasm-pods-only', expression: templateConditions(kindsOf('pods', 'validate'), config) }],
      failurePolicy: 'Fail',
      ...common,
    },
    {
      name: 'runtimeclasses.validate.wasmgate.dev',
      clientConfig: clientConfig(o.client, '/validate'),
      rules: rulesOf('runtimeclasses', 'validate'),
      failurePolicy: 'Ignore',
      ...common,
    },
  ];
  if (o.workloads ?? true) {
    mutating.push({
      name: 'workloads.mutate.wasmgate.dev',
      clientConfig: clientConfig(o.client, '/mutate'),
      rules: rulesOf('workloads', 'mutate'),
      namespaceSelector,
      matchConditions: [{ name: templatesCondition, expression: templateConditions(kindsOf('workloads', 'mutate'), config, detect) }],
      failurePolicy: 'Ignore',
      reinvocationPolicy: 'Never',
      ...mutatingCommon,
    });
    validating.push({
      name: 'workloads.validate.wasmgate.dev',
      clientConfig: clientConfig(o.client, '/validate'),
      rules: rulesOf('workloads', 'validate'),
      namespaceSelector,
      matchConditions: [{ name: 'wasm-templates-only', expression: templateConditions(kindsOf('workloads', 'validate'), config) }],
      failurePolicy: 'Fail',
      ...common,
    });
  }
  if (o.nodes ?? true) {
    validating.push({
      name: 'nodes.validate.wasmgate.dev',
      clientConfig: clientConfig(o.client, '/validate'),
      rules: rulesOf('nodes', 'validate'),
      matchConditions: [{ name: 'labels-taints-or-cordon-changed', expression: NODE_CHANGE }],
      failurePolicy: 'Ignore',
      ...common,
    });
  }
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'wasmgate' },
      webhooks: mutating,
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'wasmgate' },
      webhooks: validating,
    },
  ];
}

/** YAML 1.1, as kubectl reads it: strings such as "yes" or "on" come out quoted. */
export function webhookYaml(config: Config, o: WebhookOptions): string {
  return webhookConfigurations(config, o)
    .map((doc) => stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' }))
    .join('---\n');
}
