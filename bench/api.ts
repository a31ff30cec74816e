/**
 * A minimal JSON client for the API server over node:https with the admin client certificate: a
 * keep-alive agent and a bounded number of requests in flight. Only what the benchmark's setup
 * needs (creating thousands of objects fast); wasmgate's code under test does its own I/O.
 */
import { Agent } from 'node:https';
import { httpCall } from '../src/controlplane/net.js';

export interface ApiResponse {
  status: number;
  body: string;
}

export interface ApiClientOptions {
  server: string;
  ca: string;
  cert: string;
  key: string;
  maxSockets?: number;
  timeoutMs?: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What a test control plane offers a client (src/controlplane's ControlPlane has these). */
export interface AdminAccess {
  server: string;
  caCert: string;
  adminCert: { cert: string; key: string };
}

export class ApiClient {
  private readonly agent: Agent;
  private readonly base: URL;
  private readonly timeoutMs: number;

  constructor(opts: ApiClientOptions) {
    this.base = new URL(opts.server);
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: opts.maxSockets ?? 32,
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
    });
  }

  async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const r = await httpCall(new URL(path, this.base), {
      method,
      agent: this.agent,
      timeoutMs: this.timeoutMs,
      headers: {
        Accept: 'application/json',
        ...(payload === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) }),
      },
      ...(payload === undefined ? {} : { body: payload }),
    });
    return { status: r.status, body: r.text };
  }

  /** A request that must answer with one of `ok`; retried on 429/5xx and connection errors. */
  async must(method: string, path: string, body?: unknown, contentType?: string, ok: number[] = [200, 201]): Promise<ApiResponse> {
    let last: unknown;
    for (let attempt = 0; attempt < 6; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      try {
        const res = await this.request(method, path, body, contentType);
        if (ok.includes(res.status)) return res;
        const err = new ApiError(res.status, `${method} ${path}: HTTP ${res.status}: ${res.body.slice(0, 400)}`);
        if (res.status !== 429 && res.status < 500) throw err;
        last = err;
      } catch (err) {
        if (err instanceof ApiError && err.status !== 429 && err.status < 500) throw err;
        last = err;
      }
    }
    throw last instanceof Error ? last : new Error(String(last));
  }

  async json<T = unknown>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    return JSON.parse((await this.must(method, path, body, contentType)).body) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Run `task(i)` for i in [0, count) with at most `concurrency` in flight; the first error rejects. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined) {
      const i = next++;
      if (i >= count) return;
      try {
        await task(i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failed !== undefined) throw failed;
}

/** A client of `cp`'s API server with its admin certificate. */
export function adminClient(cp: AdminAccess, opts: { maxSockets?: number; timeoutMs?: number } = {}): ApiClient {
  return new ApiClient({ server: cp.server, ca: cp.caCert, cert: cp.adminCert.cert, key: cp.adminCert.key, ...opts });
}
