/**
 * wasmgate's MutatingWebhookConfiguration and ValidatingWebhookConfiguration, generated from the
 * config (the CEL matchConditions name the configured marker annotations). `wasmgate manifests`
 * prints them; deploy/webhooks.yaml holds them for the default config (a test keeps it in sync)
 * for the Helm chart and for plain `kubectl apply`.
 *
 * Choices, each from a lesson peers learned the hard way:
 * - matchConditions: the API server calls wasmgate only for Wasm-marked pods/templates or ones that
 *   name a RuntimeClass; every other pod is admitted without a network round trip.
 * - namespaceSelector excludes kube-system and wasmgate's own namespace: a webhook outage can
 *   never block the control plane or wasmgate's own recovery.
 * - mutation fails open (Ignore): validation still explains what is wrong. Pod validation fails
 *   closed (Fail) but only Wasm pods reach it. Node and RuntimeClass checks only warn, so they fail open.
 */
import { stringify } from 'yaml';
import type { Config } from '../config/config.js';

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

/** CEL: the pod template `t` (an expression) is marked as Wasm or names a RuntimeClass. */
function templateCondition(t: string, config: Config): string {
  const keys = [config.annotations.runtime, ...config.annotations.wasmVariant].map((k) => `${celString(k)} in ${t}.metadata.annotations`);
  return (
    `(has(${t}.metadata) && has(${t}.metadata.annotations) && (${keys.join(' || ')})) || ` +
    `(has(${t}.spec) && has(${t}.spec.runtimeClassName) && ${t}.spec.runtimeClassName != '')`
  );
}

function podConditions(config: Config): object[] {
  return [{ name: 'wasm-pods-only', expression: templateCondition('object', config) }];
}

function workloadConditions(config: Config): object[] {
  const expression =
    `request.kind.kind == 'CronJob' ? (has(object.spec.jobTemplate.spec.template) && (${templateCondition('object.spec.jobTemplate.spec.template', config)})) : ` +
    `request.kind.kind == 'PodTemplate' ? (has(object.template) && (${templateCondition('object.template', config)})) : ` +
    `(has(object.spec.template) && (${templateCondition('object.spec.template', config)}))`;
  return [{ name: 'wasm-templates-only', expression }];
}

const NODE_CHANGE =
  "(has(object.metadata.labels) ? object.metadata.labels : {}) != (has(oldObject.metadata.labels) ? oldObject.metadata.labels : {}) || " +
  '(has(object.spec.unschedulable) && object.spec.unschedulable) != (has(oldObject.spec.unschedulable) && oldObject.spec.unschedulable) || ' +
  '(has(object.spec.taints) ? object.spec.taints : []) != (has(oldObject.spec.taints) ? oldObject.spec.taints : [])';

const WORKLOAD_RULES = [
  { apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'] },
  { apiGroups: ['batch'], apiVersions: ['v1'], resources: ['jobs', 'cronjobs'] },
  { apiGroups: [''], apiVersions: ['v1'], resources: ['replicationcontrollers', 'podtemplates'] },
];

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
  const mutating: object[] = [
    {
      name: 'pods.mutate.wasmgate.dev',
      clientConfig: clientConfig(o.client, '/mutate'),
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
      namespaceSelector,
      matchConditions: podConditions(config),
      failurePolicy: 'Ignore',
      reinvocationPolicy: 'Never',
      ...common,
    },
  ];
  const validating: object[] = [
    {
      name: 'pods.validate.wasmgate.dev',
      clientConfig: clientConfig(o.client, '/validate'),
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
      namespaceSelector,
      matchConditions: podConditions(config),
      failurePolicy: 'Fail',
      ...common,
    },
    {
      name: 'runtimeclasses.validate.wasmgate.dev',
      clientConfig: clientConfig(o.client, '/validate'),
      rules: [{ operations: ['CREATE', 'UPDATE', 'DELETE'], apiGroups: ['node.k8s.io'], apiVersions: ['v1'], resources: ['runtimeclasses'], scope: 'Cluster' }],
      failurePolicy: 'Ignore',
      ...common,
    },
  ];
  if (o.workloads ?? true) {
    mutating.push({
      name: 'workloads.mutate.wasmgate.dev',
      clientConfig: clientConfig(o.client, '/mutate'),
      rules: WORKLOAD_RULES.map((r) => ({ operations: ['CREATE', 'UPDATE'], ...r, scope: 'Namespaced' })),
      namespaceSelector,
      matchConditions: workloadConditions(config),
      failurePolicy: 'Ignore',
      reinvocationPolicy: 'Never',
      ...common,
    });
    validating.push({
      name: 'workloads.validate.wasmgate.dev',
      clientConfig: clientConfig(o.client, '/validate'),
      rules: WORKLOAD_RULES.map((r) => ({ operations: ['CREATE', 'UPDATE'], ...r, scope: 'Namespaced' })),
      namespaceSelector,
      matchConditions: workloadConditions(config),
      failurePolicy: 'Fail',
      ...common,
    });
  }
  if (o.nodes ?? true) {
    validating.push({
      name: 'nodes.validate.wasmgate.dev',
      clientConfig: clientConfig(o.client, '/validate'),
      rules: [{ operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['nodes'], scope: 'Cluster' }],
      matchConditions: [{ name: 'labels-taints-or-cordon-changed', expression: NODE_CHANGE }],
      failurePolicy: 'Ignore',
      ...common,
    });
  }
  return [
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'wasmgate' }, webhooks: mutating },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'wasmgate' }, webhooks: validating },
  ];
}

/** YAML 1.1, as kubectl reads it: strings such as "yes" or "on" come out quoted. */
export function webhookYaml(config: Config, o: WebhookOptions): string {
  return webhookConfigurations(config, o)
    .map((doc) => stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' }))
    .join('---\n');
}
