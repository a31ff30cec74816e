/**
 * The null webhook's app: what any admission webhook on wasmgate's transport costs at least. A
 * fastify server with the same body limit and the same body handling as src/server/app.ts (the
 * body read as a string, then JSON.parse); it checks that the body is an AdmissionReview with a
 * request uid and answers allowed, without deciding anything. Served over HTTPS by
 * null-webhook.ts, called in-process by inject.ts.
 *
 * With `patch` (bench:apiserver's "null" set-up), /mutate answers a Pod that carries the
 * `wasmgate.dev/runtime` annotation and no runtimeClassName with the JSONPatch wasmgate would send,
 * so that the API server does the same work with the answer (applying a patch); nothing is checked.
 *
 * With `spinUs` (bench:transport:calibrate only), each review also holds the CPU for that many
 * microseconds, busy-waiting: a webhook that does exactly that much more work than the null one.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { BODY_LIMIT } from '../../src/server/app.js';
import { RUNTIME_ANNOTATION } from './pods.js';

interface Req {
  uid?: unknown;
  object?: { metadata?: { annotations?: Record<string, unknown> }; spec?: { runtimeClassName?: unknown } } | null;
}

/** Busy-waits `us` microseconds. */
function spin(us: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(us * 1000));
  while (process.hrtime.bigint() < end);
}

export function buildNullApp(opts: { https?: { cert: Buffer; key: Buffer }; patch?: boolean; spinUs?: number } = {}): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    ...(opts.https === undefined ? {} : { https: opts.https }),
  }) as unknown as FastifyInstance;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/json(;.*)?$/i, { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    done(null, body);
  });

  /** The patch wasmgate sends for an annotated Pod without runtimeClassName (patch only). */
  function patchFor(req: Req): { patchType: 'JSONPatch'; patch: string } | undefined {
    const rc = req.object?.metadata?.annotations?.[RUNTIME_ANNOTATION];
    if (opts.patch !== true || typeof rc !== 'string' || req.object?.spec?.runtimeClassName !== undefined) return undefined;
    const ops = [{ op: 'add', path: '/spec/runtimeClassName', value: rc }];
    return { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') };
  }

  const answer = (mutate: boolean) => async (request: { body: unknown }, reply: { code(n: number): { send(b: unknown): unknown } }) => {
    let review: unknown;
    try {
      review = JSON.parse(String(request.body));
    } catch {
      return reply.code(400).send({ error: 'Bad Request', message: 'the body is not valid JSON' });
    }
    const req = (review as { request?: Req } | null)?.request;
    if (typeof req?.uid !== 'string') return reply.code(400).send({ error: 'Bad Request', message: 'not an AdmissionReview' });
    if (opts.spinUs !== undefined && opts.spinUs > 0) spin(opts.spinUs);
    const patch = mutate ? patchFor(req) : undefined;
    return reply
      .code(200)
      .send({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: req.uid, allowed: true, ...patch } });
  };
  app.post('/mutate', answer(true));
  app.post('/validate', answer(false));
  app.get('/healthz', async () => ({ status: 'ok' }));
  return app;
}
