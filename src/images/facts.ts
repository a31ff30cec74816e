/**
 * ImageFacts: what the registries said about a pod's images, resolved by the HTTP layer BEFORE
 * the pure decision runs (src/images/resolver.ts), so the decision stays a pure function of
 * (request, cluster state, config, facts).
 */
import type { ImageKind } from './classify.js';

export type ImageFact =
  | {
      status: 'classified';
      /** container name, and whether it is an init container */
      container: string;
      init: boolean;
      /** the image as the pod names it */
      image: string;
      /** normalised reference, e.g. docker.io/library/nginx:1.27 */
      reference: string;
      /** digest of the manifest (or index) the reference resolved to */
      digest: string;
      kind: ImageKind;
      /** what was recognised, e.g. "wasi/wasm image (config os wasip1, architecture wasm)" */
      evidence: string;
    }
  | {
      status: 'unknown';
      container: string;
      init: boolean;
      image: string;
      reference?: string;
      /** why: "budget exceeded", "registry localhost:5000 is not in imageDetection.registries", ... */
      reason: string;
    };

export interface ImageFacts {
  /** "Pod apps/hello", "Deployment apps/web": how messages name the object */
  subject: string;
  /** where its pod spec is: "spec" or "spec.template.spec" */
  specPath: string;
  images: ImageFact[];
}

export interface ContainerImage {
  container: string;
  init: boolean;
  image: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The images of a pod spec (init containers first, as they run), skipping entries without one. */
export function containerImages(spec: Record<string, unknown>): ContainerImage[] {
  const out: ContainerImage[] = [];
  for (const [field, init] of [
    ['initContainers', true],
    ['containers', false],
  ] as const) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      if (!isObj(c) || typeof c['image'] !== 'string' || c['image'] === '') continue;
      out.push({ container: typeof c['name'] === 'string' ? c['name'] : '(unnamed)', init, image: c['image'] });
    }
  }
  return out;
}

/** The pod's imagePullSecrets names. */
export function pullSecretNames(spec: Record<string, unknown>): string[] {
  const list = spec['imagePullSecrets'];
  if (!Array.isArray(list)) return [];
  return list.flatMap((s) => (isObj(s) && typeof s['name'] === 'string' && s['name'] !== '' ? [s['name']] : []));
}
