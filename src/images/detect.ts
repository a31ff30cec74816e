/**
 * The one call the HTTP layer makes before the pure decision: does this pod (template) need image
 * detection, and if so, what are its ImageFacts? Takes a structural view of the pod target so it
 * does not depend on where the decision core keeps its types.
 */
import type { Config } from '../config/config.js';
import { containerImages, pullSecretNames, type ImageFacts } from './facts.js';
import type { ImageResolver } from './resolver.js';

export interface DetectionTarget {
  /** "Pod", "Deployment", ... */
  kind: string;
  namespace?: string;
  name?: string;
  /** the pod spec (spec, or spec.template.spec, ...) */
  spec: Record<string, unknown>;
  /** the pod (template) annotations */
  annotations: Record<string, string>;
  /** "spec" or "spec.template.spec", for messages */
  specPath: string;
}

/** Only pods with neither a marker annotation nor a runtimeClassName are detected from their images. */
export function needsDetection(t: Pick<DetectionTarget, 'spec' | 'annotations'>, config: Config): boolean {
  if (!config.imageDetection.enabled) return false;
  const rc = t.spec['runtimeClassName'];
  if (typeof rc === 'string' && rc !== '') return false;
  const { runtime, wasmVariant } = config.annotations;
  if (t.annotations[runtime] !== undefined) return false;
  return !wasmVariant.some((k) => t.annotations[k] !== undefined);
}

export function subjectOf(t: Pick<DetectionTarget, 'kind' | 'namespace' | 'name'>): string {
  const name = t.name ?? '(generated name)';
  return `${t.kind} ${t.namespace === undefined || t.namespace === '' ? name : `${t.namespace}/${name}`}`;
}

/**
 * ImageFacts for a target that needs detection, else undefined. Never throws; waits at most the
 * configured budget (and `signal`).
 */
export async function detectImages(
  t: DetectionTarget,
  config: Config,
  resolver: ImageResolver,
  signal?: AbortSignal,
): Promise<ImageFacts | undefined> {
  if (!needsDetection(t, config)) return undefined;
  const images = containerImages(t.spec);
  if (images.length === 0) return undefined;
  const facts = await resolver.resolve(images, { namespace: t.namespace ?? 'default', pullSecrets: pullSecretNames(t.spec) }, signal);
  return { subject: subjectOf(t), specPath: t.specPath, images: facts };
}
