/**
 * The HTTP layer: decode and check AdmissionReviews, call the pure decision core, encode the
 * answer. Bad input gets a 4xx naming the problem; nothing here decides anything.
 */
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import type { ClusterState } from '../cluster/types.js';
import type { Config } from '../config/config.js';
import { decodeReview, EnvelopeError } from '../review/envelope.js';
import { encodeResponse } from '../review/response.js';
import { handlesKind, mutate, validate, type Endpoint, type EngineResult } from '../decide/engine.js';
import { createMetrics, type Metrics } from './metrics.js';

/** An AdmissionReview may carry object and oldObject of up to 3 MB each, plus the envelope. */
export const BODY_LIMIT = 7 * 1024 * 1024;

export interface AppOptions {
  config: Config;
  state: ClusterState;
  https?: { cert: Buffer | string; key: Buffer | string };
  logger?: FastifyServerOptions['logger'];
  metrics?: Metrics;
}

function problem(reply: FastifyReply, statusCode: number, message: string): FastifyReply {
  return reply.code(statusCode).type('application/json').send({ error: httpReason(statusCode), message });
}

function endpointOf(url: string): Endpoint | undefined {
  const path = url.split('?')[0];
  return path === '/mutate' ? 'mutate' : path === '/validate' ? 'validate' : undefined;
}

function httpReason(code: number): string {
  return (
    { 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 413: 'Payload Too Large', 415: 'Unsupported Media Type' }[code] ??
    'Error'
  );
}

export function buildApp(opts: AppOptions): { app: FastifyInstance; metrics: Metrics } {
  const { config, state } = opts;
  const metrics = opts.metrics ?? createMetrics(state);
  const app = Fastify({
    logger: opts.logger ?? false,
    // one summary line per review instead of fastify's two per request
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    ...(opts.https === undefined ? {} : { https: opts.https }),
  });

  // Take the body as text: the envelope is checked by our own strict Ajv, and request.object is
  // never touched by fastify's coercing, default-filling validator.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/json(;.*)?$/i, { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    done(null, body);
  });

  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    // body limit and media type are enforced before the route runs: count them here
    const endpoint = endpointOf(request.url);
    if (endpoint !== undefined) metrics.requests.inc({ endpoint, kind: '', result: status < 500 ? 'invalid' : 'error' });
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return problem(reply, 413, `the body is larger than ${BODY_LIMIT} bytes (7 MiB), the most an AdmissionReview can be`);
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return problem(reply, 415, `Content-Type must be application/json, got ${request.headers['content-type'] ?? 'none'}`);
    }
    if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      return problem(reply, 400, 'the body is empty; expected an AdmissionReview');
    }
    if (status < 500) return problem(reply, status, err.message);
    request.log.error({ err }, 'unhandled error');
    return problem(reply, 500, 'internal error');
  });

  app.setNotFoundHandler((request, reply) =>
    problem(reply, 404, `no route ${request.method} ${request.url.split('?')[0]}; wasmgate serves POST /mutate, POST /validate, GET /healthz, /readyz, /metrics`),
  );

  // labelled children made once: prom-client hashes a label object on every call (bench/results.md)
  const timers = { mutate: metrics.duration.labels({ endpoint: 'mutate' }), validate: metrics.duration.labels({ endpoint: 'validate' }) };
  const handle = (endpoint: Endpoint) => async (request: { body: unknown; headers: Record<string, unknown>; log: FastifyInstance['log'] }, reply: FastifyReply) => {
    const end = timers[endpoint].startTimer();
    try {
      return await review(endpoint, request, reply);
    } finally {
      end();
    }
  };

  const review = async (endpoint: Endpoint, request: { body: unknown; headers: Record<string, unknown>; log: FastifyInstance['log'] }, reply: FastifyReply) => {
    if (typeof request.body !== 'string') {
      metrics.requests.inc({ endpoint, kind: '', result: 'invalid' });
      return problem(reply, 415, `Content-Type must be application/json, got ${String(request.headers['content-type'] ?? 'none')}`);
    }
    let req;
    try {
      req = decodeReview(request.body);
    } catch (err) {
      metrics.requests.inc({ endpoint, kind: '', result: 'invalid' });
      if (err instanceof EnvelopeError) return problem(reply, err.statusCode, err.message);
      throw err;
    }
    const kind = req.kind.kind;
    if (!handlesKind(endpoint, req.kind.group, kind)) {
      // the kind label stays bounded: whatever a client sends is not a label value
      metrics.requests.inc({ endpoint, kind: 'unhandled', result: 'invalid' });
      return problem(
        reply,
        400,
        `/${endpoint} does not handle kind ${req.kind.group === '' ? kind : `${req.kind.group}/${kind}`}; check the rules of wasmgate's ${endpoint === 'mutate' ? 'Mutating' : 'Validating'}WebhookConfiguration`,
      );
    }
    let result: EngineResult;
    try {
      result = endpoint === 'mutate' ? mutate(req, state, config) : validate(req, state, config);
    } catch (err) {
      request.log.error({ err, uid: req.uid, kind }, 'decision failed');
      const message = `wasmgate failed to evaluate this ${kind}: ${err instanceof Error ? err.message : String(err)}`;
      result =
        endpoint === 'mutate'
          ? { allowed: true, warnings: [], auditAnnotations: { error: message }, findings: [], errors: [] }
          : { allowed: false, message, warnings: [], auditAnnotations: {}, findings: [], errors: [] };
      metrics.requests.inc({ endpoint, kind, result: 'error' });
      return reply.send(encodeResponse(req.uid, result));
    }
    for (const e of result.errors) request.log.error({ err: e.error, rule: e.rule, uid: req.uid }, 'rule failed');
    for (const f of result.findings) metrics.findings.inc({ rule: f.rule, mode: f.mode });
    const outcome = result.errors.length > 0 ? 'error' : !result.allowed ? 'denied' : result.patch !== undefined ? 'patched' : 'allowed';
    metrics.requests.inc({ endpoint, kind, result: outcome });
    request.log.info(
      { uid: req.uid, endpoint, kind, namespace: req.namespace, name: req.name, operation: req.operation, outcome },
      result.allowed ? 'admitted' : `denied: ${result.message ?? ''}`,
    );
    return reply.send(encodeResponse(req.uid, result));
  };

  app.post('/mutate', handle('mutate'));
  app.post('/validate', handle('validate'));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const s = state.status();
    return reply.code(s.synced ? 200 : 503).send({ status: s.synced ? 'ready' : 'not synced', detail: s.detail });
  });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  return { app, metrics };
}
