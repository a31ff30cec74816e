/**
 * From a pod spec and its RuntimeClass to a PlacementQuery: what kube-apiserver's admission plugins
 * add before the scheduler sees the pod, plus its required node affinity and spec.nodeName:
 *
 * - RuntimeClass: scheduling.nodeSelector merged into nodeSelector (a conflicting key is an error),
 *   scheduling.tolerations appended;
 * - DefaultTolerationSeconds (enabled by default): every pod that does not tolerate them gets
 *   node.kubernetes.io/not-ready:NoExecute and node.kubernetes.io/unreachable:NoExecute for 300 s,
 *   so those two NoExecute taints never keep a new pod off a node (their NoSchedule twins do).
 *   Workload templates do not carry them, but the pods created from them will.
 */
import type { Labels, RuntimeClassInfo, Toleration } from '../cluster/types.js';
import { requiredAffinityOf } from './node-affinity.js';
import { DEFAULT_TOLERATIONS } from './taints.js';
import type { PlacementQuery } from './types.js';

export interface SelectorConflict {
  readonly key: string;
  readonly podValue: string;
  readonly classValue: string;
}

export interface PodPlacement {
  readonly query: PlacementQuery;
  /** keys where the pod's nodeSelector contradicts the RuntimeClass's (the API server refuses the pod) */
  readonly conflicts: readonly SelectorConflict[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function stringMapOf(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

export function tolerationsOf(value: unknown): Toleration[] {
  if (!Array.isArray(value)) return [];
  const out: Toleration[] = [];
  for (const t of value) {
    if (!isRecord(t)) continue;
    const tol: { -readonly [K in keyof Toleration]: Toleration[K] } = {};
    for (const f of ['key', 'operator', 'value', 'effect'] as const) if (typeof t[f] === 'string') tol[f] = t[f];
    if (typeof t['tolerationSeconds'] === 'number') tol.tolerationSeconds = t['tolerationSeconds'];
    out.push(tol);
  }
  return out;
}

export { DEFAULT_TOLERATIONS };

export interface QueryOptions {
  readonly requireReady: boolean;
  /** check the class's handler against the handlers nodes report (default true) */
  readonly checkHandler?: boolean;
}

/** The merged placement of a pod spec under a RuntimeClass (undefined: no class, nothing merged). */
export function placementOf(spec: Readonly<Record<string, unknown>>, rc: RuntimeClassInfo | undefined, o: QueryOptions): PodPlacement {
  const podSelector = stringMapOf(spec['nodeSelector']);
  const selector: Record<string, string> = { ...podSelector };
  const conflicts: SelectorConflict[] = [];
  for (const [key, value] of Object.entries(rc?.nodeSelector ?? {})) {
    const podValue = podSelector[key];
    if (podValue !== undefined && podValue !== value) conflicts.push({ key, podValue, classValue: value });
    else selector[key] = value;
  }
  const nodeName = typeof spec['nodeName'] === 'string' && spec['nodeName'] !== '' ? spec['nodeName'] : undefined;
  return {
    query: {
      selector: selector as Labels,
      affinity: requiredAffinityOf(spec),
      tolerations: [...tolerationsOf(spec['tolerations']), ...(rc?.tolerations ?? []), ...DEFAULT_TOLERATIONS],
      handler: o.checkHandler === false ? undefined : rc?.handler,
      nodeName,
      requireReady: o.requireReady,
    },
    conflicts,
  };
}

/** The query for "does this RuntimeClass have a usable node at all" (no pod constraints). */
export function classQuery(rc: RuntimeClassInfo, o: QueryOptions): PlacementQuery {
  return {
    selector: rc.nodeSelector ?? {},
    affinity: undefined,
    tolerations: [...rc.tolerations, ...DEFAULT_TOLERATIONS],
    handler: o.checkHandler === false ? undefined : rc.handler,
    nodeName: undefined,
    requireReady: o.requireReady,
  };
}
