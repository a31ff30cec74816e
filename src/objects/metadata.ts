/**
 * Named accessors for a Kubernetes object's metadata (as Pepr's adjudicators name them), written
 * once for the decision core, the audit and both cluster sources. Every input is untrusted JSON:
 * a missing or malformed field reads as undefined (or empty), never as a crash.
 */
import { EMPTY_MAP, isRecord, str, stringMap } from './json.js';

function metadataOf(obj: unknown): Record<string, unknown> {
  return isRecord(obj) && isRecord(obj['metadata']) ? obj['metadata'] : {};
}

/** metadata.name; undefined when absent or empty */
export function nameOf(obj: unknown): string | undefined {
  const name = str(metadataOf(obj)['name']);
  return name === '' ? undefined : name;
}

export function generateNameOf(obj: unknown): string | undefined {
  const name = str(metadataOf(obj)['generateName']);
  return name === '' ? undefined : name;
}

/** metadata.namespace; undefined when absent or empty (cluster-scoped, or not defaulted yet) */
export function namespaceOf(obj: unknown): string | undefined {
  const ns = str(metadataOf(obj)['namespace']);
  return ns === '' ? undefined : ns;
}

export function labelsOf(obj: unknown): Record<string, string> {
  return stringMap(metadataOf(obj)['labels']);
}

/**
 * metadata.labels as sent, unchecked (EMPTY_MAP when there is no such map): only for reading by key
 * and comparing with a string, where a value that is not a string equals nothing (lean.ts).
 */
export function labelsAsSent(obj: unknown): Readonly<Record<string, unknown>> {
  const labels = metadataOf(obj)['labels'];
  return isRecord(labels) ? labels : EMPTY_MAP;
}

export function annotationsOf(obj: unknown): Record<string, string> {
  return stringMap(metadataOf(obj)['annotations']);
}

export function uidOf(obj: unknown): string | undefined {
  return str(metadataOf(obj)['uid']);
}

export function resourceVersionOf(obj: unknown): string | undefined {
  return str(metadataOf(obj)['resourceVersion']);
}

export function deletionTimestampOf(obj: unknown): string | undefined {
  return str(metadataOf(obj)['deletionTimestamp']);
}

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller: boolean;
}

/** metadata.ownerReferences, dropping malformed entries */
function ownerReferencesOf(obj: unknown): OwnerReference[] {
  const owners = metadataOf(obj)['ownerReferences'];
  if (!Array.isArray(owners)) return [];
  const out: OwnerReference[] = [];
  for (const o of owners) {
    if (!isRecord(o)) continue;
    out.push({
      apiVersion: str(o['apiVersion']) ?? '',
      kind: str(o['kind']) ?? '',
      name: str(o['name']) ?? '',
      uid: str(o['uid']) ?? '',
      controller: o['controller'] === true,
    });
  }
  return out;
}

/** The owner whose controller field is true (at most one, by the API's validation). */
export function controllerOf(obj: unknown): OwnerReference | undefined {
  return ownerReferencesOf(obj).find((o) => o.controller);
}

/** apiVersion split as the API does: "apps/v1" → {group: apps, version: v1}; "v1" → the core group "". */
export function groupVersionOf(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/**
 * The one key for a Pod in a store: namespace/name. A Pod without a namespace is in `default`, as
 * kubectl would create it from that manifest (live Pods always carry their namespace, so only
 * snapshot files hit this rule). Undefined when the Pod has no name.
 */
export function podKey(obj: unknown): string | undefined {
  const name = nameOf(obj);
  return name === undefined ? undefined : `${namespaceOf(obj) ?? 'default'}/${name}`;
}
