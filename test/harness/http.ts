/**
 * The tests' HTTPS client and metrics scraper, shared by the integration and e2e tests (bench/api.ts
 * uses the same request function, httpCall from src/controlplane/net.ts). Verification stays on:
 * every call names the CA the server certificate must chain to. Response types come from src/.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Agent } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { httpCall } from '../../src/controlplane/net.js';
import type { AdmissionReviewResponse } from '../../src/review/response.js';

export { freePort } from '../../src/controlplane/net.js';

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
export async function httpsCall(url: string, opts: RequestOptions): Promise<HttpResult> {
  const r = await httpCall(url, {
    method: opts.method ?? 'GET',
    ca: opts.ca,
    headers: opts.headers ?? {},
    agent: opts.agent ?? false,
    timeoutMs: opts.timeoutMs ?? 15_000,
    ...(opts.body === undefined ? {} : { body: opts.body }),
  });
  let json: unknown;
  try {
    json = JSON.parse(r.text);
  } catch {
    json = undefined;
  }
  return { ...r, json };
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

/** The wire answer to an AdmissionReview, as src/review/response.ts encodes it. */
export type ReviewResponse = AdmissionReviewResponse;

/**
 * POSTs an AdmissionReview (an object, or its JSON text as a file holds it) over verified TLS;
 * returns the status and the typed body (undefined when the answer is not JSON).
 */
export async function postReview(
  url: string,
  review: unknown,
  ca: string | Buffer,
): Promise<{ status: number; body: AdmissionReviewResponse | undefined; text: string }> {
  const raw = typeof review === 'string' || Buffer.isBuffer(review) ? review : JSON.stringify(review);
  const r = await postJson(url, undefined, { ca, rawBody: raw });
  return { status: r.status, body: r.json as AdmissionReviewResponse | undefined, text: r.text };
}

/** Decode a base64 JSON Patch from an AdmissionResponse. */
export function decodePatch(patch: unknown): unknown {
  if (typeof patch !== 'string') throw new Error(`patch is not a string: ${String(patch)}`);
  return JSON.parse(Buffer.from(patch, 'base64').toString('utf8'));
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

/** GET /metrics over verified TLS; throws unless it answers 200. */
export async function scrapeMetrics(baseUrl: string, ca: string | Buffer): Promise<string> {
  const r = await getUrl(`${baseUrl}/metrics`, ca);
  if (r.status !== 200) throw new Error(`GET ${baseUrl}/metrics answered ${r.status}: ${r.text.slice(0, 200)}`);
  return r.text;
}

/**
 * Sum of the samples of metric `name` in a Prometheus text exposition whose labels include every
 * pair of `labels` (so `{}` sums them all).
 */
export function metricValue(exposition: string, name: string, labels: Record<string, string> = {}): number {
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
