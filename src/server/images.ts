/**
 * Image detection on the request path (/mutate only): before the pure decision, look up the
 * images of a pod (template) that has neither a marker annotation nor a runtimeClassName. The
 * resolver enforces the time budget and never throws; the lookup also stops when the API server
 * gives up on the request (its connection closes). A pod over one of the input caps (limits) is not
 * looked up: without the cap, one review could name thousands of distinct images, each a registry
 * round trip; the decision records why in its audit annotation (src/decide/from-images.ts).
 */
import type { ServerResponse } from 'node:http';
import type { Config } from '../config/config.js';
import { mutateTarget } from '../decide/engine.js';
import { podExcess } from '../decide/limits.js';
import { detectImages, needsDetection } from '../images/detect.js';
import type { ImageFacts } from '../images/facts.js';
import type { ImageResolver } from '../images/resolver.js';
import type { AdmissionRequest } from '../review/envelope.js';

export async function imageFactsFor(
  req: AdmissionRequest,
  config: Config,
  resolver: ImageResolver,
  response: ServerResponse,
): Promise<ImageFacts | undefined> {
  const t = mutateTarget(req);
  // a marked pod is not detected, so its size is not counted here (the decision counts it)
  if (t === undefined || !needsDetection(t, config) || podExcess(t, config.limits).length > 0) return undefined;
  const ended = new AbortController();
  const onClose = (): void => ended.abort();
  response.once('close', onClose);
  try {
    return await detectImages(
      { kind: t.kind, namespace: t.namespace, name: t.name, spec: t.spec, annotations: t.annotations, specPath: t.specField },
      config,
      resolver,
      ended.signal,
    );
  } finally {
    response.off('close', onClose);
  }
}
