/**
 * Reduce Kubernetes objects (as parsed JSON/YAML) to the lean records decisions need.
 * Shared by the snapshot and live sources, so both see a cluster the same way.
 * Input is untrusted: every field is checked, nothing is assumed.
 */
import { runtimeHandlersOf } from '../scheduling/handlers.js';
import { EMPTY_MAP, isRecord, str, stringMap } from '../objects/json.js';
import { labelsAsSent, labelsOf, nameOf } from '../objects/metadata.js';
import type { Labels, NodeInfo, RuntimeClassInfo, Taint, Toleration } from './types.js';

/** stringMap() answers EMPTY_MAP (frozen) for a map with no entries: no key listing to find out. */
function frozen(map: Labels): Labels {
  return map === EMPTY_MAP ? map : Object.freeze(map);
}

function taints(value: unknown): Taint[] {
  if (!Array.isArray(value)) return [];
  const out: Taint[] = [];
  for (const t of value) {
    if (!isRecord(t)) continue;
    const key = str(t['key']);
    const effect = str(t['effect']);
    if (key === undefined || effect === undefined) continue;
    const value = str(t['value']);
    out.push(value === undefined || value === '' ? { key, effect } : { key, value, effect });
  }
  return out;
}

export function tolerations(value: unknown): Toleration[] {
  if (!Array.isArray(value)) return [];
  const out: Toleration[] = [];
  for (const t of value) {
    if (!isRecord(t)) continue;
    const tol: { -readonly [K in keyof Toleration]: Toleration[K] } = {};
    const key = str(t['key']);
    const operator = str(t['operator']);
    const v = str(t['value']);
    const effect = str(t['effect']);
    if (key !== undefined) tol.key = key;
    if (operator !== undefined) tol.operator = operator;
    if (v !== undefined) tol.value = v;
    if (effect !== undefined) tol.effect = effect;
    if (typeof t['tolerationSeconds'] === 'number') tol.tolerationSeconds = t['tolerationSeconds'];
    out.push(tol);
  }
  return out;
}

function nodeReady(status: unknown): boolean {
  if (!isRecord(status) || !Array.isArray(status['conditions'])) return false;
  for (const c of status['conditions']) {
    if (isRecord(c) && c['type'] === 'Ready') return c['status'] === 'True';
  }
  return false;
}

/**
 * undefined when the object is not a usable Node (no name).
 *
 * `labels: 'lookup'` keeps the Node's label map as sent, unchecked: for a record that is only read
 * by key and compared with a string (`labels[key] === value`), where a value that is not a string
 * equals nothing, as if absent. The Node rules of a review read labels that way, and a Node UPDATE
 * may carry tens of thousands of labels (walking 40,000 of them to check each took 6 ms of the
 * event loop). Records kept in a state (and indexed by label) are always checked.
 */
export function leanNode(obj: unknown, labels: 'checked' | 'lookup' = 'checked'): NodeInfo | undefined {
  const name = nameOf(obj);
  if (!isRecord(obj) || name === undefined) return undefined;
  const spec = isRecord(obj['spec']) ? obj['spec'] : {};
  return {
    name,
    labels: labels === 'lookup' ? (labelsAsSent(obj) as Labels) : frozen(labelsOf(obj)),
    taints: taints(spec['taints']),
    ready: nodeReady(obj['status']),
    unschedulable: spec['unschedulable'] === true,
    runtimeHandlers: runtimeHandlersOf(obj['status']),
  };
}

/** undefined when the object is not a usable RuntimeClass (no name or handler) */
export function leanRuntimeClass(obj: unknown): RuntimeClassInfo | undefined {
  const name = nameOf(obj);
  if (!isRecord(obj) || name === undefined) return undefined;
  const handler = str(obj['handler']);
  if (handler === undefined) return undefined;
  const scheduling = isRecord(obj['scheduling']) ? obj['scheduling'] : undefined;
  const selector = scheduling === undefined ? undefined : stringMap(scheduling['nodeSelector']);
  return {
    name,
    handler,
    labels: frozen(labelsOf(obj)),
    nodeSelector: selector === undefined || selector === EMPTY_MAP ? undefined : Object.freeze(selector),
    tolerations: scheduling === undefined ? [] : tolerations(scheduling['tolerations']),
  };
}

/** The RuntimeClass a running pod uses, or undefined for pods that do not count (terminal or none). */
export function podRuntimeClass(obj: unknown): string | undefined {
  if (!isRecord(obj) || !isRecord(obj['spec'])) return undefined;
  const rc = str(obj['spec']['runtimeClassName']);
  if (rc === undefined || rc === '') return undefined;
  const phase = isRecord(obj['status']) ? str(obj['status']['phase']) : undefined;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  return rc;
}
