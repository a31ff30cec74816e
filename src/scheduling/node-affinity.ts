/**
 * Required node affinity, as kube-scheduler's NodeAffinity filter evaluates it
 * (k8s.io/component-helpers/scheduling/corev1/nodeaffinity, GetRequiredNodeAffinity):
 *
 * - the pod's nodeSelector must match (every pair), AND
 * - requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: the terms are ORed; within a
 *   term, matchExpressions (labels) and matchFields (metadata.name) are ANDed;
 * - an empty term matches nothing; a list without terms matches nothing; a term that fails to parse
 *   (unknown operator, wrong value count, Gt/Lt value that is not an integer) never matches;
 * - In: the label exists and its value is listed; NotIn: the label is absent or its value is not
 *   listed; Exists / DoesNotExist; Gt / Lt: the label exists, both it and the single value parse as
 *   base-10 int64 (Go's strconv.ParseInt), and compare strictly (the value must also be a valid
 *   label value, so a signed bound such as -1 makes the term unparseable: it never matches);
 * - matchFields: only In / NotIn with exactly one value, against the node's fields (metadata.name).
 */
import type { Labels } from '../cluster/types.js';
import type { NodeSelectorOperator, RequiredAffinity, Requirement, Term } from './types.js';

const LABEL_OPERATORS: ReadonlySet<string> = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Go's strconv.ParseInt(s, 10, 64): optional sign, decimal digits, int64 range; undefined on error. */
export function parseGoInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

/** A valid label key (a qualified name: optional DNS-subdomain prefix, then a name of ≤ 63 characters). */
export function validLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return false;
  }
  return name.length > 0 && name.length <= 63 && NAME.test(name);
}

export function validLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && NAME.test(value));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

type Parsed = { ok: Requirement } | { error: string };

function parseLabelRequirement(raw: unknown): Parsed {
  if (!isRecord(raw)) return { error: 'a matchExpressions entry is not an object' };
  const key = typeof raw['key'] === 'string' ? raw['key'] : '';
  const operator = typeof raw['operator'] === 'string' ? raw['operator'] : '';
  const values = strings(raw['values']);
  if (!LABEL_OPERATORS.has(operator)) return { error: `operator ${JSON.stringify(operator)} is not supported` };
  if (!validLabelKey(key)) return { error: `key ${JSON.stringify(key)} is not a valid label key` };
  const op = operator as NodeSelectorOperator;
  switch (op) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) return { error: `${op} needs at least one value` };
      if (!values.every(validLabelValue)) return { error: `${op} has a value that is not a valid label value` };
      return { ok: { key, operator: op, values } };
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) return { error: `${op} takes no values` };
      return { ok: { key, operator: op, values } };
    case 'Gt':
    case 'Lt': {
      // labels.NewRequirement: one value that parses as int64 AND is a valid label value (so no sign)
      const bound = values.length === 1 && validLabelValue(values[0]!) ? parseGoInt64(values[0]!) : undefined;
      if (bound === undefined) return { error: `${op} needs exactly one integer value` };
      return { ok: { key, operator: op, values, bound } };
    }
  }
}

function parseFieldRequirement(raw: unknown): Parsed {
  if (!isRecord(raw)) return { error: 'a matchFields entry is not an object' };
  const key = typeof raw['key'] === 'string' ? raw['key'] : '';
  const operator = typeof raw['operator'] === 'string' ? raw['operator'] : '';
  const values = strings(raw['values']);
  if (operator !== 'In' && operator !== 'NotIn') return { error: `matchFields operator ${JSON.stringify(operator)} is not supported` };
  if (values.length !== 1) return { error: `matchFields ${operator} needs exactly one value` };
  return { ok: { key, operator, values } };
}

export function parseTerm(raw: unknown, index: number): Term {
  const exprs = isRecord(raw) && Array.isArray(raw['matchExpressions']) ? raw['matchExpressions'] : [];
  const fields = isRecord(raw) && Array.isArray(raw['matchFields']) ? raw['matchFields'] : [];
  if (exprs.length === 0 && fields.length === 0) return { index, matchExpressions: [], matchFields: [], never: 'it is empty' };
  const matchExpressions: Requirement[] = [];
  const matchFields: Requirement[] = [];
  let never: string | undefined;
  for (const e of exprs) {
    const p = parseLabelRequirement(e);
    if ('ok' in p) matchExpressions.push(p.ok);
    else never ??= p.error;
  }
  for (const f of fields) {
    const p = parseFieldRequirement(f);
    if ('ok' in p) matchFields.push(p.ok);
    else never ??= p.error;
  }
  return never === undefined ? { index, matchExpressions, matchFields } : { index, matchExpressions, matchFields, never };
}

/** spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution; undefined when absent. */
export function requiredAffinityOf(spec: Readonly<Record<string, unknown>>): RequiredAffinity | undefined {
  const affinity = spec['affinity'];
  if (!isRecord(affinity) || !isRecord(affinity['nodeAffinity'])) return undefined;
  const required = affinity['nodeAffinity']['requiredDuringSchedulingIgnoredDuringExecution'];
  if (!isRecord(required)) return undefined;
  const terms = Array.isArray(required['nodeSelectorTerms']) ? required['nodeSelectorTerms'] : [];
  return { terms: terms.map(parseTerm) };
}

export function matchesRequirement(r: Requirement, labels: Labels): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key]! : '';
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(value);
    case 'NotIn':
      return !has || !r.values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || r.bound === undefined) return false;
      const n = parseGoInt64(value);
      if (n === undefined) return false;
      return r.operator === 'Gt' ? n > r.bound : n < r.bound;
    }
  }
}

/** A matchFields requirement against the node's fields: only metadata.name exists. */
export function matchesField(r: Requirement, nodeName: string): boolean {
  const value = r.key === 'metadata.name' ? nodeName : '';
  const equal = value === r.values[0];
  return r.operator === 'In' ? equal : !equal;
}

export function matchesTerm(t: Term, name: string, labels: Labels): boolean {
  if (t.never !== undefined) return false;
  return t.matchExpressions.every((r) => matchesRequirement(r, labels)) && t.matchFields.every((r) => matchesField(r, name));
}

export function matchesAffinity(a: RequiredAffinity | undefined, name: string, labels: Labels): boolean {
  return a === undefined || a.terms.some((t) => matchesTerm(t, name, labels));
}

/** The first selector key the node lacks (or carries with another value); undefined when it matches. */
export function selectorMismatch(selector: Labels, labels: Labels): string | undefined {
  for (const key in selector) if (labels[key] !== selector[key]) return key;
  return undefined;
}

/** "key In [a, b]", "key DoesNotExist", "metadata.name NotIn [n1]": as messages show them. */
export function formatRequirement(r: Requirement): string {
  return r.operator === 'Exists' || r.operator === 'DoesNotExist'
    ? `${r.key} ${r.operator}`
    : `${r.key} ${r.operator} [${r.values.join(', ')}]`;
}
