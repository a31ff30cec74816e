/**
 * The null webhook: what any admission webhook on wasmgate's transport costs at least. A fastify
 * HTTPS server with the same TLS files, the same body limit and the same body handling as
 * src/server/app.ts (the body read as a string, then JSON.parse); it checks that the body is an
 * AdmissionReview with a request uid and answers allowed, without deciding anything.
 *
 *   node [v8 flags] --import tsx bench/transport/null-webhook.ts <cert-dir> <port>
 *
 * Prints `listening <url>` on stdout once it listens; exits on SIGTERM/SIGINT or when stdin closes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { BODY_LIMIT } from '../../src/server/app.js';

const [certDir, portArg] = process.argv.slice(2);
if (certDir === undefined || portArg === undefined) {
  process.stderr.write('usage: null-webhook.ts <cert-dir> <port>\n');
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

const answer = async (request: { body: unknown }, reply: { code(n: number): { send(b: unknown): unknown } }) => {
  let review: unknown;
  try {
    review = JSON.parse(String(request.body));
  } catch {
    return reply.code(400).send({ error: 'Bad Request', message: 'the body is not valid JSON' });
  }
  const req = (review as { request?: { uid?: unknown } } | null)?.request;
  if (typeof req?.uid !== 'string') return reply.code(400).send({ error: 'Bad Request', message: 'not an AdmissionReview' });
  return reply.code(200).send({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: req.uid, allowed: true } });
};
app.post('/mutate', answer);
app.post('/validate', answer);
app.get('/healthz', async () => ({ status: 'ok' }));

await app.listen({ port: Number(portArg), host: '127.0.0.1' });
process.stdout.write(`listening https://127.0.0.1:${portArg}\n`);
const stop = (): void => void app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
