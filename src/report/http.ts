/**
 * A small JSON client for the writes the background audit makes (reports, Lease, Events): plain
 * HTTPS with the credentials and keep-alive agent of kubeconfig.ts's ApiAccess, like the live
 * source. Every call is bounded by a timeout; the caller gets the status and the decoded body and
 * decides what a 404 or 409 means.
 */
import { request as httpsRequest } from 'node:https';
import type { ApiAccess } from '../cluster/kubeconfig.js';

export interface ApiResponse {
  status: number;
  body: unknown;
}

export interface KubeClient {
  request(method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH', path: string, body?: unknown, contentType?: string): Promise<ApiResponse>;
}

/** A Kubernetes Status's message, or the start of the body. */
export function statusMessage(r: ApiResponse): string {
  const b = r.body;
  if (b !== null && typeof b === 'object' && typeof (b as { message?: unknown }).message === 'string')
    return (b as { message: string }).message;
  return typeof b === 'string' ? b.slice(0, 300) : (JSON.stringify(b)?.slice(0, 300) ?? '');
}

export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly response: ApiResponse,
  ) {
    super(`${method} ${path}: HTTP ${response.status}: ${statusMessage(response)}`);
  }
}

/** Throw an ApiError unless the status is 2xx or one of `allowed`. */
export function expectOk(method: string, path: string, r: ApiResponse, ...allowed: number[]): ApiResponse {
  if ((r.status >= 200 && r.status < 300) || allowed.includes(r.status)) return r;
  throw new ApiError(method, path, r);
}

/** 429 (API priority and fairness, storage still initialising): the request was not processed; retried this often. */
const RETRIES_429 = 5;

export function httpClient(api: ApiAccess, timeoutMs = 30_000): KubeClient {
  const once = httpOnce(api, timeoutMs);
  return {
    async request(method, path, body, contentType) {
      for (let attempt = 1; ; attempt++) {
        const r = await once(method, path, body, contentType);
        if (r.status !== 429 || attempt > RETRIES_429) return r;
        const after = Number(r.retryAfter);
        await new Promise((resolve) =>
          setTimeout(resolve, Number.isFinite(after) && after > 0 ? Math.min(after, 10) * 1000 : 500 * attempt),
        );
      }
    },
  };
}

function httpOnce(api: ApiAccess, timeoutMs: number) {
  return async (
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<ApiResponse & { retryAfter?: string }> => {
    {
      const opts = await api.requestOptions();
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string | number> = { ...(opts.headers as Record<string, string>), Accept: 'application/json' };
      if (payload !== undefined) {
        headers['Content-Type'] = contentType;
        headers['Content-Length'] = Buffer.byteLength(payload);
      }
      return new Promise<ApiResponse & { retryAfter?: string }>((resolve, reject) => {
        const req = httpsRequest(
          new URL(api.server + path),
          { ...opts, method, headers, signal: AbortSignal.timeout(timeoutMs) },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('error', reject);
            res.on('end', () => {
              let parsed: unknown = text;
              try {
                parsed = text === '' ? undefined : JSON.parse(text);
              } catch {
                // not JSON (a proxy's error page): keep the text for the message
              }
              const retryAfter = res.headers['retry-after'];
              resolve({ status: res.statusCode ?? 0, body: parsed, ...(retryAfter === undefined ? {} : { retryAfter }) });
            });
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    }
  };
}
