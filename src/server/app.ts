/**
 * The HTTP layer: decode and check AdmissionReviews, call the pure decision core, encode the
 * answer. Bad input gets a 4xx naming the problem; nothing here decides anything.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { ClusterState } from '../cluster/types.js';
import type { Config } from '../config/config.js';
import { decodeReview, EnvelopeError } from '../review/envelope.js';
import { unreadReview } from '../review/items.js';
import { encodeResponse } from '../review/response.js';
import { handlesKind, mutate, unreadMode, validate, type Endpoint, type EngineResult } from '../decide/engine.js';
import { clip, LIMITS } from '../decide/limits.js';
import { clientCertProblem, LOG_FIELD_LIMIT, LOG_MESSAGE_LIMIT, mediaProblem } from './input.js';
import type { ImageResolver } from '../images/resolver.js';
import { imageFactsFor } from './images.js';
import { bodyText, decodeSliced, nextTurn, parsedBody } from './body.js';
import { createPrescanner, type Prescanner } from './prescanner.js';
import { createMetrics, type Metrics } from './metrics.js';
import { applyConnectionCap, connectionLimits } from './limits.js';
import { createLifecycle, trackSockets, type Lifecycle } from './shutdown.js';
import { httpsServerOptions, tlsPolicy as readTlsPolicy, type TlsPolicy } from './tls.js';

/** An AdmissionReview may carry object and oldObject of up to 3 MB each, plus the envelope. */
export const BODY_LIMIT = 7 * 1024 * 1024;

export interface AppOptions {
  config: Config;
  state: ClusterState;
  https?: { cert: Buffer; key: Buffer } | { cert: string; key: string };
  /** TLS version floor and client CA; default: read from config.server.tls */
  tlsPolicy?: TlsPolicy;
  logger?: FastifyServerOptions['logger'];
  metrics?: Metrics;
  /** shared with the shutdown (drainAndClose): readiness off, responses close their connections */
  lifecycle?: Lifecycle;
  /** image detection (imageDetection.enabled): /mutate looks up images with it before deciding */
  images?: ImageResolver;
  /** checks large bodies off the main thread; default: one worker, closed with the app */
  prescanner?: Prescanner;
}

export interface BuiltApp {
  app: FastifyInstance;
  metrics: Metrics;
  lifecycle: Lifecycle;
  /** every open TCP socket, for the shutdown deadline */
  sockets: Set<Socket>;
}

function problem(reply: FastifyReply, statusCode: number, message: string): FastifyReply {
  return reply
    .code(statusCode)
    .type('application/json')
    .send({ error: httpReason(statusCode), message });
}

function endpointOf(url: string): Endpoint | undefined {
  const path = url.split('?')[0];
  return path === '/mutate' ? 'mutate' : path === '/validate' ? 'validate' : undefined;
}

function httpReason(code: number): string {
  return (
    {
      400: 'Bad Request',
      403: 'Forbidden',
      404: 'Not Found',
      405: 'Method Not Allowed',
      408: 'Request Timeout',
      413: 'Payload Too Large',
      415: 'Unsupported Media Type',
    }[code] ?? 'Error'
  );
}

const REVIEW_PATHS = new Set(['/mutate', '/validate']);

export function buildApp(opts: AppOptions): BuiltApp {
  const { config, state } = opts;
  const metrics = opts.metrics ?? createMetrics(state);
  const lifecycle = opts.lifecycle ?? createLifecycle();
  const limits = connectionLimits(config.server);
  const policy = opts.https === undefined ? undefined : (opts.tlsPolicy ?? readTlsPolicy(config.server));
  const requireClientCert = policy?.clientCa !== undefined;
  const app = Fastify({
    logger: opts.logger ?? false,
    // one summary line per review instead of fastify's two per request
    logController: new LogController({ disableRequestLogging: true }),
    // no child logger per request: a review's line names its uid, which a request id would only repeat
    childLoggerFactory: (logger) => logger,
    bodyLimit: BODY_LIMIT,
    requestTimeout: limits.requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeout,
    // a request that arrives while closing is served (the shutdown decides when to stop), never 503
    return503OnClosing: false,
    ...(opts.https === undefined || policy === undefined
      ? {}
      : { https: { ...httpsServerOptions({ cert: Buffer.from(opts.https.cert), key: Buffer.from(opts.https.key) }, policy), ...limits } }),
  });
  applyConnectionCap(app.server as import('node:https').Server, config.server);
  const sockets = trackSockets(app);

  // Take the body as text (or, when large, as bytes for the prescanner: src/server/body.ts): the
  // envelope is checked by our own strict Ajv, and request.object is never touched by fastify's
  // coercing, default-filling validator.
  const prescanner = opts.prescanner ?? createPrescanner();
  app.addHook('onClose', async () => prescanner.close());
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/json(;.*)?$/i, { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    try {
      done(null, parsedBody(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  // Checked before the body is read: who may call, and what the body may be. (Hooks here take a
  // callback rather than being async: every request passes through them.)
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const path = request.url.split('?')[0] ?? '';
    if (!REVIEW_PATHS.has(path) || request.method !== 'POST') return done();
    const endpoint = endpointOf(path)!;
    if (requireClientCert) {
      const refused = clientCertProblem(request.raw.socket as TLSSocket, path);
      if (refused !== undefined) {
        metrics.requests.inc({ endpoint, kind: '', result: 'invalid' });
        return void problem(reply.header('connection', 'close'), 403, refused);
      }
    }
    const media = mediaProblem(request.headers);
    if (media !== undefined) {
      metrics.requests.inc({ endpoint, kind: '', result: 'invalid' });
      return void problem(reply, media.status, media.message);
    }
    done();
  });

  // While draining, every response closes its connection: the client's next request opens a new
  // one, through endpoints that no longer list this pod.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (lifecycle.draining) reply.header('connection', 'close');
    done(null, payload);
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
      return problem(reply, 415, `Content-Type must be application/json, got ${clip(request.headers['content-type'] ?? 'none', 128)}`);
    }
    if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      return problem(reply, 400, 'the body is empty; expected an AdmissionReview');
    }
    if (status < 500) return problem(reply, status, err.message);
    request.log.error({ err }, 'unhandled error');
    return problem(reply, 500, 'internal error');
  });

  app.setNotFoundHandler((request, reply) =>
    problem(
      reply,
      404,
      `no route ${request.method} ${clip(request.url.split('?')[0] ?? '', 128)}; wasmgate serves POST /mutate, POST /validate, GET /healthz, /readyz, /metrics`,
    ),
  );

  // labelled children made once: prom-client hashes a label object on every call (bench/results.md)
  const timers = { mutate: metrics.duration.labels({ endpoint: 'mutate' }), validate: metrics.duration.labels({ endpoint: 'validate' }) };
  const handle =
    (endpoint: Endpoint) =>
    async (request: { body: unknown; headers: Record<string, unknown>; log: FastifyInstance['log'] }, reply: FastifyReply) => {
      const end = timers[endpoint].startTimer();
      try {
        return await review(endpoint, request, reply);
      } finally {
        end();
      }
    };

  const review = async (
    endpoint: Endpoint,
    request: { body: unknown; headers: Record<string, unknown>; log: FastifyInstance['log'] },
    reply: FastifyReply,
  ) => {
    if (typeof request.body !== 'string' && !Buffer.isBuffer(request.body)) {
      metrics.requests.inc({ endpoint, kind: '', result: 'invalid' });
      return problem(
        reply,
        415,
        `Content-Type must be application/json, got ${clip(String(request.headers['content-type'] ?? 'none'), 128)}`,
      );
    }
    // bounded work: JSON.parse's cost is in the items it builds; a body with too many is not parsed,
    // and answered as a review (denied by /validate) when its uid can be found, else with a 413
    const body = await bodyText(request.body, config.limits.jsonItems, prescanner);
    // Let go of the body now: fastify keeps the request (its logger listens for the response's
    // 'finish', which a busy TLS socket emits turns later), and a body held that long outlives young
    // garbage collections and is promoted. At 64 connections of 100 KB reviews that was 66 KB
    // promoted per review and 10% more CPU per review (bench/results.md, tenth session).
    request.body = undefined;
    if ('status' in body) {
      metrics.requests.inc({ endpoint, kind: '', result: 'invalid' });
      return problem(reply, body.status, body.message);
    }
    if ('unread' in body) {
      const mode = endpoint === 'validate' ? unreadMode(config, endpoint, body.head) : undefined;
      const verdict = unreadReview(endpoint, body.unread, mode);
      if (mode !== undefined) metrics.findings.inc({ rule: LIMITS, mode });
      // the kind label stays bounded: one wasmgate handles, or none
      const kind = body.head.kind !== undefined && handlesKind(endpoint, body.head.group ?? '', body.head.kind) ? body.head.kind : '';
      metrics.requests.inc({ endpoint, kind, result: verdict.allowed ? 'allowed' : 'denied' });
      request.log.info(
        { uid: body.uid, endpoint, kind, outcome: 'unread' },
        `not read: more than ${config.limits.jsonItems} JSON items; ${verdict.allowed ? 'admitted' : 'denied'}`,
      );
      return reply.send(encodeResponse(body.uid, verdict));
    }
    let req;
    try {
      // a large body with a plan is parsed in slices, a turn of the event loop apart
      req = body.plan === undefined ? decodeReview(body.text) : await decodeSliced(body.text, body.plan);
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
        `/${endpoint} does not handle kind ${clip(req.kind.group === '' ? kind : `${req.kind.group}/${kind}`, 64)}; check the rules of wasmgate's ${endpoint === 'mutate' ? 'Mutating' : 'Validating'}WebhookConfiguration`,
      );
    }
    if (body.large) await nextTurn();
    let result: EngineResult;
    try {
      // bounded by imageDetection.budgetMs (and the request); never throws
      const facts =
        endpoint === 'mutate' && opts.images !== undefined ? await imageFactsFor(req, config, opts.images, reply.raw) : undefined;
      result = endpoint === 'mutate' ? mutate(req, state, config, facts) : validate(req, state, config);
    } catch (err) {
      request.log.error({ err, uid: req.uid, kind: clip(kind, 64) }, 'decision failed');
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
    // A review wasmgate admitted with nothing to say (no finding, no warning; patched or not) is
    // logged at debug: the API server's audit log already records it, patch included, and at info
    // it was a line per pod create, the largest cost per review after JSON.parse (bench/results.md).
    // Denials, warnings, audit findings and errors stay at info.
    const quiet = (outcome === 'allowed' || outcome === 'patched') && result.findings.length === 0 && result.warnings.length === 0;
    const level = quiet ? 'debug' : 'info';
    // bounded: the uid is at most MAX_UID_LENGTH, the kind is one we handle, the rest is clipped
    request.log[level](
      {
        uid: req.uid,
        endpoint,
        kind,
        namespace: clip(req.namespace ?? '', LOG_FIELD_LIMIT),
        name: clip(req.name ?? '', LOG_FIELD_LIMIT),
        operation: req.operation,
        outcome,
      },
      result.allowed ? 'admitted' : `denied: ${clip(result.message ?? '', LOG_MESSAGE_LIMIT)}`,
    );
    return reply.send(encodeResponse(req.uid, result));
  };

  app.post('/mutate', handle('mutate'));
  app.post('/validate', handle('validate'));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (lifecycle.draining)
      return reply.code(503).send({ status: 'shutting down', detail: 'wasmgate received SIGTERM and is draining its connections' });
    const s = state.status();
    // a refused list or watch (RBAC): 503, naming each verb and resource (src/cluster/access.ts)
    if (s.problems !== undefined && s.problems.length > 0)
      return reply.code(503).send({ status: 'access denied', detail: s.detail, problems: s.problems });
    return reply.code(s.synced ? 200 : 503).send({ status: s.synced ? 'ready' : 'not synced', detail: s.detail });
  });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  return { app, metrics, lifecycle, sockets };
}
