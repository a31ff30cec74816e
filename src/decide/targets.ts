/**
 * The pod spec inside an admitted object: where it lives comes from the kinds registry
 * (src/kinds/registry.ts, `podSpec`), so a new workload kind needs no change here.
 */
import type { KindRecord } from '../kinds/registry.js';
import { templatePointer } from '../kinds/registry.js';
import type { Labels, Toleration } from '../cluster/types.js';
import { tolerations } from '../cluster/lean.js';
import { isRecord, stringMap } from '../objects/json.js';
import { annotationsOf, controllerOf, generateNameOf, nameOf, namespaceOf } from '../objects/metadata.js';
import type { PlacementCache } from './placement.js';
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
 * One request's pod target. A class, not an object literal with getters: V8 gives every literal
 * with accessors a map of its own, and the scavenger then kept each request's objects alive until a
 * full GC; half of a review's CPU went to GC in bench:transport (issue 13).
 */
class Target implements PodTarget {
  readonly specField: string;
  #annotations: Labels | undefined;
  #selector: Labels | undefined;
  #tolerations: readonly Toleration[] | undefined;
  placements: PlacementCache | undefined = undefined;

  constructor(
    readonly kind: string,
    readonly namespace: string,
    readonly name: string,
    readonly specPointer: string,
    readonly spec: Record<string, unknown>,
    private readonly template: Record<string, unknown>,
    private readonly rawAnnotations: Record<string, unknown>,
    readonly ownedByController: boolean,
  ) {
    this.specField = specPointer.slice(1).replaceAll('/', '.');
  }

  get annotations(): Labels {
    return (this.#annotations ??= Object.freeze(annotationsOf(this.template)));
  }

  annotation(key: string): string | undefined {
    const value = Object.hasOwn(this.rawAnnotations, key) ? this.rawAnnotations[key] : undefined;
    return typeof value === 'string' ? value : undefined;
  }

  get nodeSelector(): Labels {
    return (this.#selector ??= Object.freeze(stringMap(this.spec['nodeSelector'])));
  }

  get tolerations(): readonly Toleration[] {
    return (this.#tolerations ??= Object.freeze(tolerations(this.spec['tolerations'])));
  }
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
  const meta = template['metadata'];
  const rawAnnotations = isRecord(meta) && isRecord(meta['annotations']) ? meta['annotations'] : {};
  return new Target(
    kind.kind,
    namespaceOf(obj) ?? fallback.namespace ?? 'default',
    objectName(obj, fallback.name),
    specPointer,
    spec,
    template,
    rawAnnotations,
    kind.kind === 'Pod' && controllerOf(obj) !== undefined,
  );
}
