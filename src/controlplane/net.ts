/**
 * Loopback networking for the control plane and everything that talks to it: free ports, and the
 * one HTTP(S) request function used by the readiness probes here, by the tests' client
 * (test/harness/http.ts) and by the benchmark's API client (bench/api.ts).
 */
import { request as plainRequest, type Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { request as tlsRequest, type Agent as HttpsAgent } from 'node:https';
import { createServer } from 'node:net';

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

/** Distinct free ports (distinct even if the OS hands the same one out twice in a row). */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

export interface HttpCallOptions {
  method?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  /** PEM CA the server certificate must chain to; verification stays on unless `insecure`. */
  ca?: string | Buffer;
  /** Client certificate and key (PEM). */
  cert?: string;
  key?: string;
  /** Skip server certificate verification (health probes of components with self-made certs). */
  insecure?: boolean;
  /** Default: a fresh connection per request (false). An https.Agent carries its own TLS options. */
  agent?: HttpAgent | HttpsAgent | false;
  /** Destroy the request after this long without activity (default 15 s). */
  timeoutMs?: number;
  /** Keep at most this many characters of the body (default: all). */
  maxBodyChars?: number;
}

export interface HttpCallResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * One HTTP or HTTPS request; resolves with the whole response, rejects on network errors. A
 * server may answer (413) and close before the whole body is written: that write error is not
 * the result, the response is.
 */
export function httpCall(url: string | URL, opts: HttpCallOptions = {}): Promise<HttpCallResult> {
  const u = typeof url === 'string' ? new URL(url) : url;
  const method = opts.method ?? 'GET';
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const common = { method, headers: opts.headers ?? {}, timeout: timeoutMs };
  return new Promise((resolve, reject) => {
    let responded = false;
    const req =
      u.protocol === 'https:'
        ? tlsRequest(u, {
            ...common,
            agent: (opts.agent ?? false) as HttpsAgent | false,
            ...(opts.ca === undefined ? {} : { ca: opts.ca }),
            ...(opts.cert === undefined ? {} : { cert: opts.cert }),
            ...(opts.key === undefined ? {} : { key: opts.key }),
            ...(opts.agent instanceof Object ? {} : { rejectUnauthorized: opts.insecure !== true }),
          })
        : plainRequest(u, { ...common, agent: (opts.agent ?? false) as HttpAgent | false });
    req.on('timeout', () => req.destroy(new Error(`${method} ${u.href} timed out after ${timeoutMs} ms`)));
    req.on('error', (err) => {
      if (!responded) reject(err);
    });
    req.on('response', (res) => {
      responded = true;
      const max = opts.maxBodyChars ?? Infinity;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (text.length < max) text += c;
      });
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: text.slice(0, max) }));
    });
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}
