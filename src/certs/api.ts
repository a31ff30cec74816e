/**
 * Plain HTTPS calls to the API server for the certificate controller: one request, JSON in and
 * out, with the credentials and keep-alive agent of an ApiAccess (src/cluster/kubeconfig.ts).
 * Non-2xx answers are returned, not thrown: the caller decides what 404 or 409 mean.
 */
import { request } from 'node:https';
import type { ApiAccess } from '../cluster/kubeconfig.js';

export interface ApiResponse {
  status: number;
  body: unknown;
  /** the API server's Status message for errors, or the raw text */
  message: string;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH';

const TIMEOUT_MS = 30_000;

export async function apiCall(
  api: ApiAccess,
  method: Method,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<ApiResponse> {
  const base = await api.requestOptions();
  const url = new URL(api.server + path);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string | number> = { ...(base.headers as Record<string, string>) };
  if (payload !== undefined) {
    headers['Content-Type'] = contentType;
    headers['Content-Length'] = payload.length;
  }
  return new Promise((resolve, reject) => {
    const req = request(
      { ...base, method, hostname: url.hostname, port: url.port, path: url.pathname + url.search, headers, timeout: TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            /* keep the text */
          }
          const message =
            typeof parsed === 'object' && parsed !== null && typeof (parsed as { message?: unknown }).message === 'string'
              ? (parsed as { message: string }).message
              : text.slice(0, 300);
          resolve({ status: res.statusCode ?? 0, body: parsed, message });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(payload);
  });
}
