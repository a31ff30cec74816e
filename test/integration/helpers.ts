/** Helpers for the integration tests: real TLS requests, verified against a test CA. */
import { request as httpsRequest, type Agent } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { generateWebhookCerts, type WebhookCerts } from '../../src/certs/generate.js';
import type { ClusterState } from '../../src/cluster/types.js';
import type { Config } from '../../src/config/config.js';
import { buildApp } from '../../src/server/app.js';

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** the body parsed as JSON, or undefined when it is not JSON */
  json: unknown;
}

export interface RequestOptions {
  /** PEM CA the server certificate must chain to (verification stays on) */
  ca: string | Buffer;
  method?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  /** defaults to a fresh connection per request (agent: false) */
  agent?: Agent | false;
  timeoutMs?: number;
}

/** One HTTPS request with certificate verification against `ca`. Resolves with the whole response. */
export function httpsCall(url: string, opts: RequestOptions): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    let responded = false;
    const req = httpsRequest(
      url,
      {
        method: opts.method ?? 'GET',
        ca: opts.ca,
        rejectUnauthorized: true,
        agent: opts.agent ?? false,
        headers: opts.headers ?? {},
        timeout: opts.timeoutMs ?? 15_000,
      },
      (res) => {
        responded = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    // A server may answer (413) and close before the whole body is written: that write error is
    // not the result, the response is.
    req.on('error', (err) => {
      if (!responded) reject(err);
    });
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

export interface PostOptions {
  ca: string | Buffer;
  /** Content-Type header; null sends none. Default application/json. */
  contentType?: string | null;
  /** send these bytes instead of JSON.stringify(body) */
  rawBody?: string | Buffer;
  agent?: Agent | false;
}

export function postJson(url: string, body: unknown, opts: PostOptions): Promise<HttpResult> {
  const payload = opts.rawBody ?? JSON.stringify(body);
  const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(payload) };
  const contentType = opts.contentType === undefined ? 'application/json' : opts.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  return httpsCall(url, { method: 'POST', ca: opts.ca, headers, body: payload, agent: opts.agent ?? false });
}

export function getUrl(url: string, ca: string | Buffer): Promise<HttpResult> {
  return httpsCall(url, { method: 'GET', ca });
}

/** SHA-256 fingerprint of the certificate a new TLS connection is presented (no verification: only reads it). */
export function peerFingerprint(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port, rejectUnauthorized: false }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.on('error', reject);
  });
}

/** A port that was free a moment ago (for child processes that need a fixed --port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestServer {
  app: FastifyInstance;
  url: string;
  port: number;
  certs: WebhookCerts;
  close(): Promise<void>;
}

/** buildApp over HTTPS on 127.0.0.1, port 0, with freshly generated webhook certificates. */
export async function startTestServer(config: Config, state: ClusterState, certs?: WebhookCerts): Promise<TestServer> {
  const c = certs ?? (await generateWebhookCerts('wasmgate', 'wasmgate'));
  const { app } = buildApp({ config, state, https: { cert: c.serving.cert, key: c.serving.key } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('server has no TCP address');
  return { app, url: `https://127.0.0.1:${address.port}`, port: address.port, certs: c, close: () => app.close() };
}

/** Sum of a Prometheus counter's samples whose labels include every pair of `labels`. */
export function counterValue(exposition: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{\s]+(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (m === null) continue;
    const found: Record<string, string> = {};
    for (const pair of (m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) found[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) total += Number(m[2]);
  }
  return total;
}

/** Decode a base64 JSON Patch from an AdmissionResponse. */
export function decodePatch(patch: unknown): unknown {
  if (typeof patch !== 'string') throw new Error(`patch is not a string: ${String(patch)}`);
  return JSON.parse(Buffer.from(patch, 'base64').toString('utf8'));
}

export interface ReviewResponse {
  apiVersion: string;
  kind: string;
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; reason?: string; message: string };
    patch?: string;
    patchType?: string;
    warnings?: string[];
    auditAnnotations?: Record<string, string>;
  };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${String(lastErr)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
