/** Small wording helpers so every message names things the same way. */
import type { Labels, RuntimeClassInfo, Toleration, Taint } from '../cluster/types.js';
import { clip, listSome, NAME_SHOWN } from './limits.js';
import type { PodTarget } from './types.js';

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "a, b, c and 2 more" */
export function listNames(names: readonly string[], max = 3): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, max);
  const rest = names.length - shown.length;
  if (rest > 0) return `${shown.join(', ')} and ${rest} more`;
  if (shown.length === 1) return shown[0]!;
  return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

/** Label pairs sorted by key: messages read the same whatever order a manifest or the API server used. */
export function sortedPairs(labels: Labels): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The most of one label key or value a message shows. A valid key has at most 317 characters
 * (253 of prefix, "/", 63 of name) and a valid value 63: only an invalid one is ever clipped, and
 * a 7 MiB value costs a message no more than a short one (each message would otherwise copy it).
 */
export const LABEL_SHOWN = 320;

/** "key=value", each clipped to LABEL_SHOWN characters */
export function formatPair(key: string, value: string): string {
  return `${clip(key, LABEL_SHOWN)}=${clip(value, LABEL_SHOWN)}`;
}

/** "a=1, b=2": at most LIST_ITEMS pairs, then "and N more labels" (src/decide/limits.ts) */
export function formatSelector(selector: Labels): string {
  return listSome(
    sortedPairs(selector).map(([k, v]) => formatPair(k, v)),
    ', ',
  );
}

/** "Pod default/web-1": kind, namespace and name, each name clipped to NAME_SHOWN characters */
export function describeTarget(t: PodTarget): string {
  return `${t.kind} ${clip(t.namespace, NAME_SHOWN)}/${clip(t.name, NAME_SHOWN)}`;
}

export function field(t: PodTarget, name: string): string {
  return `${t.specField}.${name}`;
}

export function describeClass(rc: RuntimeClassInfo): string {
  return `${rc.name} (handler ${rc.handler})`;
}

export function formatTaint(t: Taint): string {
  return `${t.key}${t.value === undefined ? '' : `=${t.value}`}:${t.effect}`;
}

export function tolerationFor(t: Taint): Toleration {
  return t.value === undefined
    ? { key: t.key, operator: 'Exists', effect: t.effect }
    : { key: t.key, operator: 'Equal', value: t.value, effect: t.effect };
}

/** A toleration as the YAML flow mapping users paste: {key: k, operator: Equal, value: v, effect: NoSchedule} */
export function formatToleration(t: Toleration): string {
  const parts: string[] = [];
  if (t.key !== undefined) parts.push(`key: ${t.key}`);
  if (t.operator !== undefined) parts.push(`operator: ${t.operator}`);
  if (t.value !== undefined) parts.push(`value: ${t.value}`);
  if (t.effect !== undefined) parts.push(`effect: ${t.effect}`);
  return `{${parts.join(', ')}}`;
}
