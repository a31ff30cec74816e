/**
 * imageIntent: from a pod's ImageFacts to the Wasm intent the images express. Pure: no I/O, no
 * cluster state; the RuntimeClass itself is chosen afterwards by the same selection as the
 * annotation (chooseRuntimeClass), from the handler family and the configured class.
 *
 * - every container Wasm of one family → that family (wasmtime-compatible, or spin);
 * - Wasm and non-Wasm containers together → mixed-denial (one RuntimeClass runs the whole pod);
 * - a mixed index, Wasm containers of two families, or an image that could not be checked next
 *   to a Wasm one → none, with an audit annotation saying why (fail open);
 * - only Linux (or other non-Wasm) images → none, untouched, no annotation.
 */
import type { Config } from '../config/config.js';
import { WASM_KINDS, type ImageKind } from './classify.js';
import type { ImageFact, ImageFacts } from './facts.js';

export const IMAGE_DETECTION = 'image-detection';

export type ImageIntent =
  | { family: 'wasmtime-compatible' | 'spin'; runtimeClass: string; handlers: string[]; audit: string }
  | { family: 'mixed-denial'; denial: string; audit: string }
  | { family: 'none'; audit?: string };

/** "a wasi/wasm image (config os wasip1, architecture wasm)", "a Linux image (config os linux, …)" */
function phrase(kind: ImageKind, evidence: string): string {
  if (kind === 'linux') return `a Linux image (${evidence})`;
  if (kind === 'other') return `not a Wasm image (${evidence})`;
  return `${evidence.startsWith('image index') ? 'an' : 'a'} ${evidence}`;
}

function who(f: ImageFact): string {
  return `${f.init ? 'init container' : 'container'} ${f.container}`;
}

/** "container app: localhost:5000/wasm/hello:v1 (sha256:…) is a wasi/wasm image (config os wasip1, architecture wasm)" */
export function describeFact(f: ImageFact): string {
  if (f.status === 'unknown') return `${who(f)}: ${f.reference ?? f.image} could not be checked (${f.reason})`;
  return `${who(f)}: ${f.reference} (${f.digest}) is ${phrase(f.kind, f.evidence)}`;
}

function list(facts: ImageFact[]): string {
  return facts.map(describeFact).join('; ');
}

function headOf(subject: string, config: Config): string {
  return `${subject} has no runtimeClassName and no ${config.annotations.runtime} annotation`;
}

function fixOf(specPath: string, config: Config): string {
  return `name the RuntimeClass in the ${config.annotations.runtime} annotation or set ${specPath}.runtimeClassName`;
}

/**
 * The audit annotation of a pod (template) over one of wasmgate's input caps (limits): its images
 * are not looked up (src/server/images.ts), as its spec is not judged; `over` says which caps.
 */
export function notLookedUpAudit(subject: string, specPath: string, over: string, config: Config): string {
  return `${headOf(subject, config)}; its images were not looked up, because ${over}. It is admitted unchanged; to run it as Wasm, ${fixOf(specPath, config)}.`;
}

export function imageIntent(facts: ImageFacts, config: Config): ImageIntent {
  const d = config.imageDetection;
  const { subject } = facts;
  const images = facts.images;
  if (images.length === 0) return { family: 'none' };
  const classified = images.filter((f): f is Extract<ImageFact, { status: 'classified' }> => f.status === 'classified');
  const unknown = images.filter((f) => f.status === 'unknown');
  const wasm = classified.filter((f) => WASM_KINDS.has(f.kind));
  const mixedIndex = classified.filter((f) => f.kind === 'mixed-index');
  const plain = classified.filter((f) => !WASM_KINDS.has(f.kind) && f.kind !== 'mixed-index');
  const head = headOf(subject, config);
  const fix = fixOf(facts.specPath, config);

  if (wasm.length === 0) {
    if (mixedIndex.length > 0) {
      return { family: 'none', audit: `${head}; not assigned a Wasm RuntimeClass: ${list(mixedIndex)}. To run it as Wasm, ${fix}.` };
    }
    if (unknown.length > 0) {
      return {
        family: 'none',
        audit: `${head}; image detection could not check its images, so it is admitted unchanged: ${list(unknown)}.`,
      };
    }
    return { family: 'none' };
  }
  const others = [...plain, ...mixedIndex];
  if (others.length > 0) {
    const denial =
      `${subject} mixes Wasm and non-Wasm containers: ${list(wasm)}; but ${list(others)}. ` +
      `One RuntimeClass runs the whole pod, so no runtime fits all its containers. ` +
      `Fix: move the non-Wasm containers to another pod; or, if your Wasm shim also runs Linux containers, ${fix}.`;
    return { family: 'mixed-denial', denial, audit: `${head}; denied: it mixes Wasm and non-Wasm containers: ${list(images)}.` };
  }
  if (unknown.length > 0) {
    return {
      family: 'none',
      audit: `${head}; not assigned a Wasm RuntimeClass: ${list(wasm)}; but ${list(unknown)}. It is admitted unchanged; ${fix} to choose.`,
    };
  }
  const families = new Set(wasm.map((f) => (f.kind === 'spin-app' ? 'spin' : 'wasmtime-compatible')));
  if (families.size > 1) {
    return {
      family: 'none',
      audit: `${head}; not assigned a Wasm RuntimeClass: its containers need different Wasm runtimes: ${list(wasm)}. ${fix[0]!.toUpperCase()}${fix.slice(1)}.`,
    };
  }
  const family = [...families][0] as 'spin' | 'wasmtime-compatible';
  const handlers = family === 'spin' ? d.handlers.spin : d.handlers.wasm;
  const runtimeClass = family === 'spin' ? d.classes.spin : d.classes.wasm;
  const want =
    runtimeClass !== ''
      ? `RuntimeClass ${runtimeClass} (imageDetection.classes.${family === 'spin' ? 'spin' : 'wasm'})`
      : `a RuntimeClass with a ${family === 'spin' ? 'Spin' : 'wasmtime-compatible'} handler (${handlers.join(', ')})`;
  return { family, runtimeClass, handlers, audit: `${head}; its images are Wasm: ${list(wasm)}. Wanted: ${want}.` };
}
