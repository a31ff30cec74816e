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
  limits: Limits;
  /** watch Pods to count them per RuntimeClass (only the node-change and RuntimeClass-delete warnings use the counts) */
  trackPods: boolean;
  imageDetection: ImageDetectionConfig;
  server: ServerConfig;
  audit: AuditConfig;
}

/** The background audit in `serve` (src/report/). */
export interface AuditConfig {
  intervalSeconds: number;
  reportApi: 'auto' | 'wgpolicyk8s.io/v1alpha2' | 'openreports.io/v1alpha1' | 'none';
  pageSize: number;
  events: boolean;
  leaderElection: {
    namespace: string;
    name: string;
    leaseDurationSeconds: number;
    renewDeadlineSeconds: number;
    retryPeriodSeconds: number;
  };
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
  /** after a registry fails to answer, how long it is not contacted; 0: never back off */
  backoffSeconds: number;
  /** RuntimeClass per family; '' = choose by handler */
  classes: { wasm: string; spin: string };
  /** handlers per family: wasm = wasmtime-compatible (runs wasi/wasm images and Wasm artifacts) */
  handlers: { wasm: string[]; spin: string[] };
}

/** How much of one pod spec or RuntimeClass wasmgate reads (src/decide/limits.ts). */
export interface Limits {
  /** entries of a node selector (the pod's, or a RuntimeClass's) */
  nodeSelectorEntries: number;
  tolerations: number;
  /** node affinity terms, counting each term, each of its requirements and each of their values */
  affinityTerms: number;
  /** containers, initContainers and ephemeralContainers together */
  containers: number;
  /** object members and array elements of one request body, counted before it is parsed (src/review/items.ts) */
  jsonItems: number;
}

export interface ServerConfig {
  requestTimeoutSeconds: number;
  headersTimeoutSeconds: number;
  keepAliveTimeoutSeconds: number;
  maxConnections: number;
  drainSeconds: number;
  shutdownTimeoutSeconds: number;
  tls: { minVersion: 'TLSv1.3' | 'TLSv1.2'; clientCAFile?: string };
}

export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze({
  annotations: { runtime: 'wasmgate.dev/runtime', wasmVariant: ['module.wasm.image/variant'] },
  defaultRuntimeClass: '',
  wasmHandlers: ['wasmtime', 'spin', 'spin-v2', 'wasmedge', 'wasmer', 'wws', 'slight', 'lunatic', 'wasm'],
  reservedLabelAllowlist: [],
  rules: {},
  nodes: { requireReady: true },
  unsynced: 'deny',
  // far above any ordinary pod; the schema's maximums keep a raised cap bounded too
  limits: { nodeSelectorEntries: 128, tolerations: 256, affinityTerms: 512, containers: 256, jsonItems: 25000 },
  trackPods: true,
  imageDetection: {
    enabled: false,
    registries: [],
    caFile: '',
    allowPodPullSecrets: false,
    cacheSize: 1000,
    tagTtlSeconds: 300,
    budgetMs: 1000,
    backoffSeconds: 30,
    classes: { wasm: '', spin: '' },
    handlers: { wasm: ['wasmtime', 'wasmedge', 'wasmer', 'wasm'], spin: ['spin', 'spin-v2'] },
  },
  server: {
    requestTimeoutSeconds: 10,
    headersTimeoutSeconds: 5,
    // above kube-apiserver's 90 s idle connection timeout: see src/server/limits.ts
    keepAliveTimeoutSeconds: 120,
    maxConnections: 1000,
    drainSeconds: 5,
    shutdownTimeoutSeconds: 25,
    tls: { minVersion: 'TLSv1.3' as const },
  },
  audit: {
    intervalSeconds: 300,
    reportApi: 'auto' as const,
    pageSize: 100,
    events: true,
    leaderElection: { namespace: '', name: 'wasmgate-audit', leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 },
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
    limits: { ...base.limits, ...user.limits },
    trackPods: user.trackPods ?? base.trackPods,
    imageDetection: mergeImageDetection(base.imageDetection, user.imageDetection, origin),
    server: mergeServer(base.server, user.server, `${origin} is invalid`),
    audit: { ...base.audit, ...user.audit, leaderElection: { ...base.audit.leaderElection, ...user.audit?.leaderElection } },
  };
}

function mergeImageDetection(
  base: ImageDetectionConfig,
  user: Partial<ImageDetectionConfig> | undefined,
  origin: string,
): ImageDetectionConfig {
  const merged: ImageDetectionConfig = {
    ...base,
    ...user,
    classes: { ...base.classes, ...user?.classes },
    handlers: { ...base.handlers, ...user?.handlers },
  };
  if (merged.enabled && merged.registries.length === 0) {
    throw new ConfigError(
      `${origin} is invalid:\n  - imageDetection.registries: list the registries wasmgate may contact when imageDetection.enabled is true (an allowlist; nothing else is contacted)`,
    );
  }
  return merged;
}

/** config.server with the serve command's flags applied over it, checked again. */
export function withServerOverrides(
  config: Config,
  flags: { drainSeconds?: number; shutdownTimeoutSeconds?: number; clientCAFile?: string },
): Config {
  if (Object.keys(flags).length === 0) return config;
  const { clientCAFile, ...timing } = flags;
  const server = mergeServer(
    config.server,
    { ...timing, ...(clientCAFile === undefined ? {} : { tls: { clientCAFile } }) },
    'the serve flags and the config do not fit together',
  );
  return { ...config, server };
}

type UserServer = Partial<Omit<ServerConfig, 'tls'>> & { tls?: Partial<ServerConfig['tls']> };

/** Merge the server section and check what the schema cannot: how its figures relate. */
function mergeServer(base: ServerConfig, user: UserServer | undefined, heading: string): ServerConfig {
  const s: ServerConfig = { ...base, ...user, tls: { ...base.tls, ...user?.tls } };
  const problems: string[] = [];
  if (s.headersTimeoutSeconds > s.requestTimeoutSeconds) {
    problems.push(
      `server.headersTimeoutSeconds (${s.headersTimeoutSeconds}) must not exceed server.requestTimeoutSeconds (${s.requestTimeoutSeconds})`,
    );
  }
  if (s.shutdownTimeoutSeconds <= s.drainSeconds) {
    problems.push(
      `server.shutdownTimeoutSeconds (${s.shutdownTimeoutSeconds}) must exceed server.drainSeconds (${s.drainSeconds}), to leave time for requests in flight`,
    );
  }
  if (problems.length > 0) throw new ConfigError(`${heading}:\n  - ${problems.join('\n  - ')}`);
  return s;
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
