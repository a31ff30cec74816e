/**
 * The test's peer for the registry's token auth mode (docker's token spec): a small HTTPS token
 * server on loopback. It is NOT part of wasmgate; it stands in for Docker Hub's auth.docker.io,
 * Harbor's or GitLab's token service so the real registry can run in token mode here.
 *
 * GET /token?service=S&scope=repository:NAME:ACTIONS → {"token", "access_token", "expires_in"}: a
 * JWT signed ES256 with a key the registry trusts through a JWKS file (registry config
 * auth.token.jwks; the `kid` header names the key). Basic credentials are checked against
 * `users`; anonymous callers get only what `anonymousPull` allows.
 */
import { createServer, type Server } from 'node:https';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { TestPki } from './harness.js';

export interface TokenServer {
  url: string;
  host: string;
  /** requests received, by outcome */
  requests: Array<{ user: string; scope: string; granted: boolean }>;
  close: () => Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function jwt(key: KeyObject, kid: string, claims: Record<string, unknown>): string {
  const head = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid }));
  const body = b64url(JSON.stringify(claims));
  const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key, dsaEncoding: 'ieee-p1363' });
  return `${head}.${body}.${b64url(sig)}`;
}

export async function startTokenServer(opts: {
  pki: TestPki;
  port: number;
  service: string;
  issuer: string;
  jwksFile: string;
  users: Record<string, string>;
  anonymousPull?: boolean;
}): Promise<TokenServer> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = 'wasmgate-test-key';
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'ES256' };
  await writeFile(opts.jwksFile, JSON.stringify({ keys: [jwk] }));
  const requests: TokenServer['requests'] = [];
  const server: Server = createServer({ cert: opts.pki.leaf.cert, key: opts.pki.leaf.key }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    if (url.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    let user = '';
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const [u, p] = Buffer.from(auth.slice(6), 'base64').toString().split(/:(.*)/s) as [string, string];
      if (opts.users[u] === undefined || opts.users[u] !== p) {
        requests.push({ user: u, scope: url.searchParams.getAll('scope').join(' '), granted: false });
        res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
      user = u;
    }
    const access = url.searchParams.getAll('scope').flatMap((s) => {
      const m = /^repository:([^:]+):(.+)$/.exec(s);
      if (m === null) return [];
      const actions = user !== '' ? m[2]!.split(',') : opts.anonymousPull ? m[2]!.split(',').filter((a) => a === 'pull') : [];
      return actions.length === 0 ? [] : [{ type: 'repository', name: m[1]!, actions }];
    });
    if (user === '' && !opts.anonymousPull) {
      requests.push({ user, scope: url.searchParams.getAll('scope').join(' '), granted: false });
      res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const token = jwt(privateKey, kid, {
      iss: opts.issuer,
      sub: user,
      aud: url.searchParams.get('service') ?? opts.service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    });
    requests.push({ user, scope: url.searchParams.getAll('scope').join(' '), granted: true });
    res
      .writeHead(200, { 'Content-Type': 'application/json' })
      .end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(opts.port, '127.0.0.1', resolve));
  const host = `127.0.0.1:${opts.port}`;
  return {
    url: `https://${host}/token`,
    host,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
