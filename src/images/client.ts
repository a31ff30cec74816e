/**
 * A minimal OCI Distribution (registry API v2) client for reading manifests and small blobs over
 * HTTPS: anonymous access, the `WWW-Authenticate: Bearer realm,service,scope` token flow (with
 * basic credentials at the realm when there are any), and basic auth. Every URL passes the
 * allowlist first (allowlist.ts); responses are capped; what is fetched by digest is verified.
 */
import { createHash } from 'node:crypto';
import type { Agent } from 'node:https';
import { LRUCache } from 'lru-cache';
import { urlAllowed, type Allowlist } from './allowlist.js';
import { MANIFEST_ACCEPT } from './classify.js';
import type { Credential } from './credentials.js';
import { RegistryError, header, httpsGet, type Response } from './http.js';
import { apiHost, isDigest } from './reference.js';

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_TOKEN_BYTES = 256 * 1024;
const MAX_REDIRECTS = 3;

export interface Repo {
  registry: string;
  repository: string;
}

export interface FetchedManifest {
  digest: string;
  contentType: string | undefined;
  body: unknown;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse `Bearer realm="https://auth/token",service="registry",scope="repository:a/b:pull"`. */
export function parseChallenge(value: string): Challenge | undefined {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(value);
  if (m === null) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*,?/g;
  for (let p = re.exec(m[2]!); p !== null; p = re.exec(m[2]!))
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  return { scheme: m[1]!.toLowerCase(), params };
}

export function digestOf(body: Buffer, algorithm: string): string {
  return `${algorithm}:${createHash(algorithm).update(body).digest('hex')}`;
}

function verify(body: Buffer, expected: string, what: string): void {
  const alg = expected.split(':')[0]!;
  const got = digestOf(body, alg);
  if (got !== expected) throw new RegistryError('invalid', `${what}: content digest ${got} does not match ${expected}`);
}

export interface ClientOptions {
  allowed: Allowlist;
  agent: Agent;
  /** token cache entries */
  maxTokens?: number;
}

export class RegistryClient {
  private readonly tokens: LRUCache<string, string>;
  /** registries that answered with a Basic challenge: send credentials up front next time */
  private readonly basicHosts = new Set<string>();

  constructor(private readonly opts: ClientOptions) {
    this.tokens = new LRUCache({ max: opts.maxTokens ?? 256 });
  }

  private base(repo: Repo): string {
    return `https://${apiHost(repo.registry)}/v2/${repo.repository}`;
  }

  async manifest(repo: Repo, ref: string, cred: Credential | undefined, signal: AbortSignal): Promise<FetchedManifest> {
    const url = new URL(`${this.base(repo)}/manifests/${ref}`);
    const res = await this.get(url, repo, { Accept: MANIFEST_ACCEPT }, MAX_MANIFEST_BYTES, cred, signal);
    if (res.status === 404) throw new RegistryError('not-found', `${repo.registry}/${repo.repository}: manifest ${ref} not found`);
    if (res.status !== 200) throw new RegistryError('http', `${repo.registry}/${repo.repository}: manifest ${ref}: HTTP ${res.status}`);
    let digest: string;
    if (isDigest(ref)) {
      verify(res.body, ref, `${repo.registry}/${repo.repository}@${ref}`);
      digest = ref;
    } else {
      const announced = header(res.headers, 'docker-content-digest');
      const alg = announced !== undefined && isDigest(announced) ? announced.split(':')[0]! : 'sha256';
      digest = digestOf(res.body, alg);
      if (announced !== undefined && isDigest(announced) && announced !== digest) {
        throw new RegistryError(
          'invalid',
          `${repo.registry}/${repo.repository}:${ref}: Docker-Content-Digest ${announced} does not match the content (${digest})`,
        );
      }
    }
    let body: unknown;
    try {
      body = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new RegistryError('invalid', `${repo.registry}/${repo.repository}: manifest ${ref} is not JSON`);
    }
    return { digest, contentType: header(res.headers, 'content-type'), body };
  }

  /** A small blob (an image config), verified against its digest. */
  async blob(repo: Repo, digest: string, maxBytes: number, cred: Credential | undefined, signal: AbortSignal): Promise<Buffer> {
    if (!isDigest(digest)) throw new RegistryError('invalid', `${JSON.stringify(digest)} is not a digest`);
    const res = await this.get(new URL(`${this.base(repo)}/blobs/${digest}`), repo, {}, maxBytes, cred, signal);
    if (res.status === 404) throw new RegistryError('not-found', `${repo.registry}/${repo.repository}: blob ${digest} not found`);
    if (res.status !== 200) throw new RegistryError('http', `${repo.registry}/${repo.repository}: blob ${digest}: HTTP ${res.status}`);
    verify(res.body, digest, `blob ${digest}`);
    return res.body;
  }

  /** GET with the auth dance and allowlisted redirects. */
  private async get(
    url: URL,
    repo: Repo,
    headers: Record<string, string>,
    maxBytes: number,
    cred: Credential | undefined,
    signal: AbortSignal,
  ): Promise<Response> {
    const scope = `repository:${repo.repository}:pull`;
    const registryHost = url.host;
    let current = url;
    let retriedAuth = false;
    for (let hop = 0; hop <= MAX_REDIRECTS;) {
      if (!urlAllowed(current, this.opts.allowed)) {
        throw new RegistryError(
          'not-allowed',
          `${current.protocol === 'https:' ? current.host : current.origin} is not in imageDetection.registries (no request was sent)`,
        );
      }
      const sameHost = current.host === registryHost;
      const h: Record<string, string> = { 'User-Agent': 'wasmgate', ...headers };
      if (sameHost) {
        const auth = this.authorization(registryHost, scope, cred);
        if (auth !== undefined) h['Authorization'] = auth;
      }
      const res = await httpsGet(current, { headers: h, maxBytes, signal, agent: this.opts.agent });
      if (res.status === 401 && sameHost && !retriedAuth) {
        retriedAuth = true;
        await this.answerChallenge(res, registryHost, scope, cred, signal);
        continue;
      }
      if (res.status === 401 || res.status === 403) {
        throw new RegistryError(
          'auth',
          `${registryHost} refused ${repo.repository} (HTTP ${res.status})${cred === undefined ? ': no credentials for this registry' : ': the credentials were not accepted'}`,
        );
      }
      if ([301, 302, 303, 307, 308].includes(res.status)) {
        const location = header(res.headers, 'location');
        if (location === undefined) throw new RegistryError('invalid', `${current.host} redirected without a Location`);
        current = new URL(location, current);
        hop++;
        continue;
      }
      return res;
    }
    throw new RegistryError('invalid', `${registryHost}: more than ${MAX_REDIRECTS} redirects`);
  }

  private authorization(host: string, scope: string, cred: Credential | undefined): string | undefined {
    const token = this.tokens.get(`${host}|${scope}|${cred?.username ?? ''}`);
    if (token !== undefined) return `Bearer ${token}`;
    if (cred !== undefined && this.basicHosts.has(host)) return basic(cred);
    return undefined;
  }

  private async answerChallenge(
    res: Response,
    host: string,
    scope: string,
    cred: Credential | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const raw = header(res.headers, 'www-authenticate');
    const challenge = raw === undefined ? undefined : parseChallenge(raw);
    if (challenge?.scheme === 'basic') {
      if (cred === undefined) throw new RegistryError('auth', `${host} requires credentials (Basic) and none are configured for it`);
      this.basicHosts.add(host);
      return;
    }
    if (challenge?.scheme !== 'bearer' || challenge.params['realm'] === undefined) {
      throw new RegistryError('auth', `${host} answered 401 without a usable WWW-Authenticate challenge`);
    }
    let realm: URL;
    try {
      realm = new URL(challenge.params['realm']);
    } catch {
      throw new RegistryError('auth', `${host} named an invalid token realm`);
    }
    if (!urlAllowed(realm, this.opts.allowed)) {
      throw new RegistryError(
        'not-allowed',
        `token realm ${realm.protocol === 'https:' ? realm.host : realm.origin} (named by ${host}) is not in imageDetection.registries (no request was sent)`,
      );
    }
    if (challenge.params['service'] !== undefined) realm.searchParams.set('service', challenge.params['service']);
    realm.searchParams.set('scope', challenge.params['scope'] ?? scope);
    const headers: Record<string, string> = { 'User-Agent': 'wasmgate', Accept: 'application/json' };
    if (cred !== undefined) headers['Authorization'] = basic(cred);
    const tr = await httpsGet(realm, { headers, maxBytes: MAX_TOKEN_BYTES, signal, agent: this.opts.agent });
    if (tr.status !== 200)
      throw new RegistryError(
        'auth',
        `token realm ${realm.host} refused (HTTP ${tr.status})${cred === undefined ? ': no credentials for this registry' : ''}`,
      );
    let doc: unknown;
    try {
      doc = JSON.parse(tr.body.toString('utf8'));
    } catch {
      throw new RegistryError('auth', `token realm ${realm.host} did not answer JSON`);
    }
    const d = doc as Record<string, unknown>;
    const token = typeof d['token'] === 'string' ? d['token'] : typeof d['access_token'] === 'string' ? d['access_token'] : undefined;
    if (token === undefined || token === '') throw new RegistryError('auth', `token realm ${realm.host} returned no token`);
    const expires = typeof d['expires_in'] === 'number' && d['expires_in'] > 0 ? d['expires_in'] : 60;
    // reuse until shortly before it expires (never less than a second)
    const ttl = Math.max(1000, expires * 1000 - 10_000);
    this.tokens.set(`${host}|${scope}|${cred?.username ?? ''}`, token, { ttl });
  }
}

function basic(c: Credential): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}
