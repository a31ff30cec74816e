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
}

export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze({
  annotations: { runtime: 'wasmgate.dev/runtime', wasmVariant: ['module.wasm.image/variant'] },
  defaultRuntimeClass: '',
  wasmHandlers: ['wasmtime', 'spin', 'spin-v2', 'wasmedge', 'wasmer', 'wws', 'slight', 'lunatic', 'wasm'],
  reservedLabelAllowlist: [],
  rules: {},
  nodes: { requireReady: true },
  unsynced: 'deny',
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
  };
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
