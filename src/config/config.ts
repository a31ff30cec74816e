/**
 * wasmgate's configuration: one YAML file, validated against config.schema.json with a strict
 * Ajv (no coercion, no defaults written into the input, no removal), then merged over defaults.
 */
import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import schema from './config.schema.json' with { type: 'json' };

export type Mode = 'enforce' | 'warn' | 'audit';
export type RuleId = (typeof schema.properties.rules.propertyNames.enum)[number];

export const RULE_IDS = schema.properties.rules.propertyNames.enum as readonly RuleId[];

export interface Config {
  annotations: { runtime: string; wasmVariant: string[] };
  defaultRuntimeClass: string;
  wasmHandlers: string[];
  reservedLabelAllowlist: string[];
  rules: Partial<Record<RuleId, Mode>>;
  nodes: { requireReady: boolean };
  unsynced: 'deny' | 'allow';
  /** watch Pods to count them per RuntimeClass (only the node-change and RuntimeClass-delete warnings use the counts) */
  trackPods: boolean;
  imageDetection: ImageDetectionConfig;
}

/** Recognising Wasm from the image in the registry (src/images/); off by default. */
export interface ImageDetectionConfig {
  enabled: boolean;
  /** allowlist: host, host:port or *.domain; nothing else is ever contacted */
  registries: string[];
  /** extra CA bundle (PEM file) for registries; '' = Node's roots */
  caFile: string;
  /** a dockerconfigjson Secret with registry credentials */
  credentialsSecret?: { namespace: string; name: string };
  allowPodPullSecrets: boolean;
  cacheSize: number;
  tagTtlSeconds: number;
  budgetMs: number;
  /** RuntimeClass per family; '' = choose by handler */
  classes: { wasm: string; spin: string };
  /** handlers per family: wasm = wasmtime-compatible (runs wasi/wasm images and Wasm artifacts) */
  handlers: { wasm: string[]; spin: string[] };
}

/**
 * Always allowed, in addition to reservedLabelAllowlist: label keys kubelet itself sets (k8s.io/kubelet's well-known labels and its node.kubernetes.io
 * and kubelet.kubernetes.io namespaces). They are in reserved namespaces, but every node carries
 * them legitimately, so selecting on kubernetes.io/arch is not a mistake.
 */
export const KUBELET_LABELS = [
  'kubernetes.io/hostname',
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'node.kubernetes.io/*',
  'kubelet.kubernetes.io/*',
];

export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze({
  annotations: { runtime: 'wasmgate.dev/runtime', wasmVariant: ['module.wasm.image/variant'] },
  defaultRuntimeClass: '',
  wasmHandlers: ['wasmtime', 'spin', 'spin-v2', 'wasmedge', 'wasmer', 'wws', 'slight', 'lunatic', 'wasm'],
  reservedLabelAllowlist: [],
  rules: {},
  nodes: { requireReady: true },
  unsynced: 'deny',
  trackPods: true,
  imageDetection: {
    enabled: false,
    registries: [],
    caFile: '',
    allowPodPullSecrets: false,
    cacheSize: 1000,
    tagTtlSeconds: 300,
    budgetMs: 1000,
    classes: { wasm: '', spin: '' },
    handlers: { wasm: ['wasmtime', 'wasmedge', 'wasmer', 'wasm'], spin: ['spin', 'spin-v2'] },
  },
});

export class ConfigError extends Error {}

const ajv = new Ajv({ allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false, strict: true });
const validate = ajv.compile(schema);

function describe(err: ErrorObject): string {
  const where = err.instancePath === '' ? '' : err.instancePath.slice(1).replaceAll('/', '.');
  switch (err.keyword) {
    case 'additionalProperties': {
      const field = (err.params as { additionalProperty: string }).additionalProperty;
      return `${where === '' ? '' : `${where}.`}${field}: unknown field`;
    }
    case 'propertyNames':
      return `${where}: ${(err.params as { propertyName: string }).propertyName} is not a rule id (known: ${RULE_IDS.join(', ')})`;
    case 'enum':
      return `${where}: must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')}`;
    default:
      return `${where === '' ? '(top level)' : where}: ${err.message ?? 'is invalid'}`;
  }
}

/** Validate a parsed config document and merge it over the defaults. */
export function parseConfig(doc: unknown, origin = 'config'): Config {
  if (doc === null || doc === undefined) return structuredClone(DEFAULT_CONFIG) as Config;
  if (!validate(doc)) {
    // a propertyNames failure comes with the inner enum error for the same key; keep the precise one
    const errors = (validate.errors ?? []).filter((e) => (e as ErrorObject & { propertyName?: string }).propertyName === undefined);
    const lines = [...new Set(errors.map(describe))];
    throw new ConfigError(`${origin} is invalid:\n  - ${lines.join('\n  - ')}`);
  }
  const user = doc as Partial<Config>;
  const base = structuredClone(DEFAULT_CONFIG) as Config;
  return {
    annotations: { ...base.annotations, ...user.annotations },
    defaultRuntimeClass: user.defaultRuntimeClass ?? base.defaultRuntimeClass,
    wasmHandlers: user.wasmHandlers ?? base.wasmHandlers,
    reservedLabelAllowlist: user.reservedLabelAllowlist ?? base.reservedLabelAllowlist,
    rules: { ...user.rules },
    nodes: { ...base.nodes, ...user.nodes },
    unsynced: user.unsynced ?? base.unsynced,
    trackPods: user.trackPods ?? base.trackPods,
    imageDetection: mergeImageDetection(base.imageDetection, user.imageDetection, origin),
  };
}

function mergeImageDetection(base: ImageDetectionConfig, user: Partial<ImageDetectionConfig> | undefined, origin: string): ImageDetectionConfig {
  const merged: ImageDetectionConfig = {
    ...base,
    ...user,
    classes: { ...base.classes, ...user?.classes },
    handlers: { ...base.handlers, ...user?.handlers },
  };
  if (merged.enabled && merged.registries.length === 0) {
    throw new ConfigError(`${origin} is invalid:\n  - imageDetection.registries: list the registries wasmgate may contact when imageDetection.enabled is true (an allowlist; nothing else is contacted)`);
  }
  return merged;
}

export async function loadConfig(path: string | undefined): Promise<Config> {
  if (path === undefined) return parseConfig(undefined);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`config file ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseConfig(doc, `config file ${path}`);
}
