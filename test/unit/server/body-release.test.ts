/**
 * A review lets go of its body once the body is read: fastify keeps the request until the
 * response's 'finish' (its logger listens for it), and a body held that long is promoted by V8's
 * young-generation collections (bench/results.md, tenth session). Observed from an onResponse
 * hook, which runs at 'finish'. In-process: fastify.inject.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/server/app.js';
import { STEP_BYTES } from '../../../src/server/body.js';
import { config, podObject, review, seedCluster } from '../../harness/fixtures.js';

const quiet = new Writable({ write: (_chunk, _enc, done) => done() });

/** A review of `bytes` or more: a pod annotated up to that size. */
function reviewOf(bytes: number, runtimeClassName = 'wasmtime-spin-v2'): string {
  const annotations: Record<string, string> = {};
  for (let i = 0; JSON.stringify(annotations).length < bytes; i++) annotations[`example.com/a${i}`] = 'x'.repeat(200);
  return JSON.stringify(review(podObject({ annotations, spec: { runtimeClassName } })));
}

describe('after a review, fastify no longer holds its body', () => {
  it.each([
    ['a small body (decoded by the content-type parser)', 'validate', reviewOf(5_000), 200],
    ['a large body (bytes for the prescanner)', 'validate', reviewOf(STEP_BYTES + 1024), 200],
    ['an invalid review (a 400)', 'mutate', '{"kind":"AdmissionReview"}', 400],
    ['a denied review', 'validate', reviewOf(5_000, 'nope'), 200],
  ])('%s: /%s', async (_name, endpoint, payload, status) => {
    const { app } = buildApp({ config: config(), state: seedCluster(), logger: { level: 'info', stream: quiet } });
    const seen: unknown[] = [];
    app.addHook('onResponse', (request, _reply, done) => {
      seen.push(request.body);
      done();
    });
    try {
      const res = await app.inject({ method: 'POST', url: `/${endpoint}`, headers: { 'content-type': 'application/json' }, payload });
      expect(res.statusCode).toBe(status);
      expect(seen).toEqual([undefined]);
    } finally {
      await app.close();
    }
  });
});
