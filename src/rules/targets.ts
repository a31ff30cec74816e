/**
 * Where the pod spec lives in each kind wasmgate admits: the dispatch table by resource.
 * Adding a workload kind is one line here.
 */
import { isRecord, str, stringMap } from '../cluster/lean.js';
import type { PodTarget } from './types.js';

/** path from the object root to the pod template (or the Pod itself: []) */
export const POD_TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: [],
  PodTemplate: ['template'],
  Deployment: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

export function handlesPods(kind: string): boolean {
  return Object.hasOwn(POD_TEMPLATE_PATHS, kind);
}

function objectName(obj: Record<string, unknown>, fallbackName: string | undefined): string {
  const meta = isRecord(obj['metadata']) ? obj['metadata'] : {};
  const name = str(meta['name']);
  if (name !== undefined && name !== '') return name;
  if (fallbackName !== undefined && fallbackName !== '') return fallbackName;
  const generate = str(meta['generateName']);
  return generate !== undefined && generate !== '' ? `${generate}*` : '(unnamed)';
}

/**
 * The pod target inside `obj`, or undefined when the object has no pod template at the expected
 * path (a malformed or partial object: nothing to decide on).
 */
export function podTarget(kind: string, obj: unknown, fallback: { name?: string; namespace?: string }): PodTarget | undefined {
  const path = POD_TEMPLATE_PATHS[kind];
  if (path === undefined || !isRecord(obj)) return undefined;
  let template: unknown = obj;
  for (const key of path) {
    template = isRecord(template) ? template[key] : undefined;
  }
  if (!isRecord(template)) return undefined;
  const spec = template['spec'];
  if (!isRecord(spec)) return undefined;
  const templateMeta = isRecord(template['metadata']) ? template['metadata'] : {};
  const objMeta = isRecord(obj['metadata']) ? obj['metadata'] : {};
  const owners = Array.isArray(objMeta['ownerReferences']) ? objMeta['ownerReferences'] : [];
  const specPath = [...path, 'spec'];
  return {
    kind,
    namespace: str(objMeta['namespace']) ?? fallback.namespace ?? 'default',
    name: objectName(obj, fallback.name),
    specPointer: `/${specPath.join('/')}`,
    specField: specPath.join('.'),
    annotations: stringMap(templateMeta['annotations']),
    spec,
    ownedByController: kind === 'Pod' && owners.some((o) => isRecord(o) && o['controller'] === true),
  };
}
