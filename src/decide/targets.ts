/**
 * The pod spec inside an admitted object: where it lives comes from the kinds registry
 * (src/kinds/registry.ts, `podSpec`), so a new workload kind needs no change here.
 */
import type { KindRecord } from '../kinds/registry.js';
import { templatePointer } from '../kinds/registry.js';
import { isRecord } from '../objects/json.js';
import { annotationsOf, controllerOf, generateNameOf, nameOf, namespaceOf } from '../objects/metadata.js';
import type { PodTarget } from './types.js';

function objectName(obj: unknown, fallbackName: string | undefined): string {
  const name = nameOf(obj);
  if (name !== undefined) return name;
  if (fallbackName !== undefined && fallbackName !== '') return fallbackName;
  const generate = generateNameOf(obj);
  return generate !== undefined ? `${generate}*` : '(unnamed)';
}

/** The value at a JSON pointer (no escapes: the registry's pointers have none), or undefined. */
function at(obj: unknown, pointer: string): unknown {
  let value = obj;
  for (const key of pointer.split('/').slice(1)) value = isRecord(value) ? value[key] : undefined;
  return value;
}

/**
 * The pod target inside `obj`, or undefined when the kind has no pod spec or the object has no
 * pod template at its path (a malformed or partial object: nothing to decide on).
 */
export function podTarget(kind: KindRecord, obj: unknown, fallback: { name?: string; namespace?: string }): PodTarget | undefined {
  const specPointer = kind.podSpec;
  const template = at(obj, templatePointer(kind) ?? '');
  if (specPointer === undefined || !isRecord(obj) || !isRecord(template)) return undefined;
  const spec = template['spec'];
  if (!isRecord(spec)) return undefined;
  return {
    kind: kind.kind,
    namespace: namespaceOf(obj) ?? fallback.namespace ?? 'default',
    name: objectName(obj, fallback.name),
    specPointer,
    specField: specPointer.slice(1).replaceAll('/', '.'),
    annotations: annotationsOf(template),
    spec,
    ownedByController: kind.kind === 'Pod' && controllerOf(obj) !== undefined,
  };
}
