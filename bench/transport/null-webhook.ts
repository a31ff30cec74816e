/**
 * The null webhook: what any admission webhook on wasmgate's transport costs at least. A fastify
 * HTTPS server with the same TLS files, the same body limit and the same body handling as
 * src/server/app.ts (the body read as a string, then JSON.parse); it checks that the body is an
 * AdmissionReview with a request uid and answers allowed, without deciding anything.
 *
 *   node [v8 flags] --import tsx bench/transport/null-webhook.ts <cert-dir> <port> [--patch]
 *
 * With --patch (bench:apiserver's "null" set-up), /mutate answers a Pod that carries the
 * `wasmgate.dev/runtime` annotation and no runtimeClassName with the JSONPatch wasmgate would send,
 * so that the API server does the same work with the answer (applying a patch); nothing is checked.
 *
 * Prints `listening <url>` on stdout once it listens; exits on SIGTERM/SIGINT or when stdin closes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { BODY_LIMIT } from '../../src/server/app.js';
import { RUNTIME_ANNOTATION } from './pods.js';

const [certDir, portArg, mode] = process.argv.slice(2);
if (certDir === undefined || portArg === undefined || (mode !== undefined && mode !== '--patch')) {
  process.stderr.write('usage: null-webhook.ts <cert-dir> <port> [--patch]\n');
  process.exit(2);
}

const app = Fastify({
  logger: false,
  bodyLimit: BODY_LIMIT,
  https: { cert: readFileSync(join(certDir, 'tls.crt')), key: readFileSync(join(certDir, 'tls.key')) },
});
app.removeAllContentTypeParsers();
app.addContentTypeParser(/^application\/json(;.*)?$/i, { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
  done(null, body);
});

interface Req {
  uid?: unknown;
  object?: { metadata?: { annotations?: Record<string, unknown> }; spec?: { runtimeClassName?: unknown } } | null;
}

/** The patch wasmgate sends for an annotated Pod without runtimeClassName (--patch only). */
function patchFor(req: Req): { patchType: 'JSONPatch'; patch: string } | undefined {
  const rc = req.object?.metadata?.annotations?.[RUNTIME_ANNOTATION];
  if (mode !== '--patch' || typeof rc !== 'string' || req.object?.spec?.runtimeClassName !== undefined) return undefined;
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
  const patch = mutate ? patchFor(req) : undefined;
  return reply
    .code(200)
    .send({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: req.uid, allowed: true, ...patch } });
};
app.post('/mutate', answer(true));
app.post('/validate', answer(false));
app.get('/healthz', async () => ({ status: 'ok' }));

await app.listen({ port: Number(portArg), host: '127.0.0.1' });
process.stdout.write(`listening https://127.0.0.1:${portArg}\n`);
const stop = (): void => void app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
