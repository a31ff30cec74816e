/**
 * One bounded HTTPS GET: the body is read up to a cap (a larger Content-Length, or more bytes than
 * announced, aborts the response), the call honours an AbortSignal, and redirects are returned to
 * the caller, which checks them against the allowlist. Allowlist checks live in allowlist.ts.
 */
import { request, type Agent } from 'node:https';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { Agent as HttpsAgent } from 'node:https';

export type RegistryErrorCode = 'not-allowed' | 'auth' | 'not-found' | 'network' | 'timeout' | 'too-large' | 'invalid' | 'http';

export class RegistryError extends Error {
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface GetOptions {
  headers: Record<string, string>;
  maxBytes: number;
  signal: AbortSignal;
  agent: Agent;
}

/**
 * Node's roots plus extra CAs, parsed ONCE: an agent given `ca` would build a new secure context —
 * parsing every root certificate — for each new connection (measured: most of a cold lookup).
 */
export function registrySecureContext(extraCa: string): SecureContext {
  return createSecureContext({ ca: [...rootCertificates, extraCa] });
}

/** A keep-alive agent trusting Node's roots plus, when given, extra CAs (private registries). */
export function registryAgent(extraCa?: string): Agent {
  return new HttpsAgent({
    keepAlive: true,
    maxSockets: 16,
    ...(extraCa === undefined || extraCa === '' ? {} : { secureContext: registrySecureContext(extraCa) }),
  });
}

function header(h: Response['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}
export { header };

export function httpsGet(url: URL, opts: GetOptions): Promise<Response> {
  return new Promise((resolve, reject) => {
    if (url.protocol !== 'https:') {
      reject(new RegistryError('not-allowed', `${url.origin} is not HTTPS`));
      return;
    }
    if (opts.signal.aborted) {
      reject(new RegistryError('timeout', `gave up before contacting ${url.host}`));
      return;
    }
    const req = request(url, { method: 'GET', headers: opts.headers, agent: opts.agent, signal: opts.signal }, (res) => {
      const status = res.statusCode ?? 0;
      const length = Number(res.headers['content-length'] ?? NaN);
      // error bodies are read only to drain the socket; cap them small
      const cap = status >= 200 && status < 300 ? opts.maxBytes : Math.min(opts.maxBytes, 64 * 1024);
      if (Number.isFinite(length) && length > cap) {
        res.destroy();
        reject(new RegistryError('too-large', `${url.host}${url.pathname} answered ${length} bytes, more than the ${cap}-byte limit`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > cap) {
          res.destroy();
          reject(new RegistryError('too-large', `${url.host}${url.pathname} sent more than the ${cap}-byte limit`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (err) => reject(networkError(url, err, opts.signal)));
    });
    req.on('error', (err) => reject(networkError(url, err, opts.signal)));
    req.end();
  });
}

function networkError(url: URL, err: Error, signal: AbortSignal): RegistryError {
  if (err instanceof RegistryError) return err;
  if (signal.aborted || err.name === 'AbortError') return new RegistryError('timeout', `${url.host} did not answer in time`);
  const code = (err as NodeJS.ErrnoException).code;
  return new RegistryError('network', `${url.host} is unreachable: ${code ?? err.message}`);
}
