/**
 * Validators built from the CRDs in deploy/crds/ (the projects' own controller-gen output), for
 * tests: the openAPIV3Schema of the served version, with Kubernetes' extension keywords accepted
 * and, where the API server would silently prune unknown fields, unknown fields forbidden instead,
 * so a field wasmgate invented fails the test rather than vanishing in the cluster.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

type Schema = Record<string, unknown>;

function closeObjects(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(closeObjects);
  if (s === null || typeof s !== 'object') return s;
  const out: Schema = {};
  for (const [k, v] of Object.entries(s as Schema))
    out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as Schema).map(([p, ps]) => [p, closeObjects(ps)])) : closeObjects(v);
  if (out['properties'] !== undefined && out['additionalProperties'] === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true)
    out['additionalProperties'] = false;
  return out;
}

export interface Crd {
  group: string;
  kind: string;
  plural: string;
  version: string;
  scope: 'Namespaced' | 'Cluster';
  validate: ValidateFunction;
}

export function loadCrd(file: string, version: string): Crd {
  const doc = parse(readFileSync(file, 'utf8')) as {
    spec: {
      group: string;
      scope: 'Namespaced' | 'Cluster';
      names: { kind: string; plural: string };
      versions: { name: string; served: boolean; schema: { openAPIV3Schema: Schema } }[];
    };
  };
  const v = doc.spec.versions.find((x) => x.name === version && x.served);
  if (v === undefined) throw new Error(`${file} does not serve ${version}`);
  const ajv = new Ajv({ allErrors: true, strict: true });
  (addFormatsModule as unknown as { default: (a: Ajv) => void }).default(ajv);
  for (const k of [
    'x-kubernetes-list-type',
    'x-kubernetes-map-type',
    'x-kubernetes-preserve-unknown-fields',
    'x-kubernetes-int-or-string',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-validations',
    'x-kubernetes-embedded-resource',
  ]) {
    ajv.addKeyword(k);
  }
  return {
    group: doc.spec.group,
    kind: doc.spec.names.kind,
    plural: doc.spec.names.plural,
    version,
    scope: doc.spec.scope,
    validate: ajv.compile(closeObjects(v.schema.openAPIV3Schema) as Schema),
  };
}
