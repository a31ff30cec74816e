/**
 * The decision's side of image detection: a pod (template) with neither a marker annotation nor a
 * runtimeClassName, whose images the HTTP layer has already looked up (ImageFacts, resolved before
 * the decision: it stays a pure function of request, cluster state, config and facts).
 */
import { needsDetection, subjectOf } from '../images/detect.js';
import { IMAGE_DETECTION, imageIntent, notLookedUpAudit } from '../images/intent.js';
import type { ImageFacts } from '../images/facts.js';
import { excessFields, podExcess } from './limits.js';
import type { Decision, PodTarget, RuleContext, WasmIntent } from './types.js';

/**
 * What the images ask for: a WasmIntent with the handlers that run them (the caller then chooses
 * the RuntimeClass as for the annotation), or undefined. On the way it records the
 * `image-detection` audit annotation, and for a pod mixing Wasm and non-Wasm containers it denies
 * (`result.allowed` false, the message prefixed `[image-detection]`).
 *
 * A pod over one of the input caps (limits) was not looked up (src/server/images.ts: bounded work,
 * no registry request per container of a pod wasmgate will not judge): it is admitted unchanged,
 * and the audit annotation says which cap; facts passed for it anyway are ignored.
 */
export function intentFromImages(
  target: PodTarget,
  facts: ImageFacts | undefined,
  ctx: RuleContext,
  result: Decision,
): WasmIntent | undefined {
  // detection is only for pods that say nothing themselves, by the HTTP layer's own test
  if (!needsDetection(target, ctx.config)) return undefined;
  const excess = podExcess(target, ctx.config.limits);
  if (excess.length > 0) {
    result.auditAnnotations[IMAGE_DETECTION] = notLookedUpAudit(subjectOf(target), target.specField, excessFields(excess), ctx.config);
    return undefined;
  }
  if (facts === undefined) return undefined;
  const ii = imageIntent(facts, ctx.config);
  if (ii.audit !== undefined) result.auditAnnotations[IMAGE_DETECTION] = ii.audit;
  if (ii.family === 'none') return undefined;
  if (ii.family === 'mixed-denial') {
    result.allowed = false;
    result.message = `[${IMAGE_DETECTION}] ${ii.denial}`;
    return undefined;
  }
  return { value: ii.runtimeClass, handlers: ii.handlers };
}
