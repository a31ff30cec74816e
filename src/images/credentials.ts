/**
 * Registry credentials from dockerconfigjson Secrets (the configured one, and — only when
 * imageDetection.allowPodPullSecrets is true — the pod's imagePullSecrets), read through the
 * Kubernetes API behind a small interface so unit tests use a fake.
 */
import { request } from 'node:https';
import type { ApiAccess } from '../cluster/kubeconfig.js';
import { DOCKER_HUB } from './reference.js';

export interface Credential {
  username: string;
  password: string;
}

/** A Secret's data, values still base64 as the API serves them; undefined: it does not exist. */
export interface SecretReader {
  getSecret(namespace: string, name: string, signal: AbortSignal): Promise<Record<string, string> | undefined>;
}

/** registry host (normalised) → credential */
export type CredentialMap = ReadonlyMap<string, Credential>;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `https://index.docker.io/v1/` → docker.io; `Registry.Example:5000` → registry.example:5000 */
export function registryKey(key: string): string {
  let k = key
    .trim()
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '');
  k = k.split('/')[0] ?? '';
  if (k.endsWith(':443')) k = k.slice(0, -4);
  return k === 'index.docker.io' || k === 'registry-1.docker.io' ? DOCKER_HUB : k;
}

function entryCredential(v: unknown): Credential | undefined {
  if (!isObj(v)) return undefined;
  if (typeof v['username'] === 'string' && typeof v['password'] === 'string' && v['username'] !== '') {
    return { username: v['username'], password: v['password'] };
  }
  if (typeof v['auth'] === 'string' && v['auth'] !== '') {
    const text = Buffer.from(v['auth'], 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  return undefined;
}

/**
 * Parse a kubernetes.io/dockerconfigjson (`.dockerconfigjson`: {"auths": {...}}) or legacy
 * kubernetes.io/dockercfg (`.dockercfg`: {...}) Secret's data. Malformed data gives no credential.
 */
export function parseDockerConfig(data: Record<string, string>): Map<string, Credential> {
  const out = new Map<string, Credential>();
  const raw = data['.dockerconfigjson'] ?? data['.dockercfg'];
  if (raw === undefined) return out;
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
  } catch {
    return out;
  }
  const auths = isObj(doc) && data['.dockerconfigjson'] !== undefined ? doc['auths'] : doc;
  if (!isObj(auths)) return out;
  for (const [key, value] of Object.entries(auths)) {
    const cred = entryCredential(value);
    const host = registryKey(key);
    if (cred !== undefined && host !== '' && !out.has(host)) out.set(host, cred);
  }
  return out;
}

/** Reads Secrets with plain HTTPS GETs, the way the live cache reaches the API (ApiAccess). */
export function apiSecretReader(access: ApiAccess, maxBytes = 1024 * 1024): SecretReader {
  return {
    async getSecret(namespace, name, signal) {
      const opts = await access.requestOptions();
      const url = new URL(`${access.server}/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`);
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(url, { ...opts, method: 'GET', signal }, (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > maxBytes) res.destroy(new Error(`Secret ${namespace}/${name} is larger than ${maxBytes} bytes`));
            else chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
      if (status === 404) return undefined;
      if (status !== 200)
        throw new Error(
          `reading Secret ${namespace}/${name}: HTTP ${status}${status === 403 ? ' (RBAC: wasmgate needs get on this Secret)' : ''}`,
        );
      const doc: unknown = JSON.parse(body);
      const data = isObj(doc) ? doc['data'] : undefined;
      if (!isObj(data)) return {};
      return Object.fromEntries(Object.entries(data).filter((e): e is [string, string] => typeof e[1] === 'string'));
    },
  };
}

/** Secrets re-read at most every ttlMs (rotated credentials are picked up; a read is not per request). */
export class CredentialSource {
  private readonly cache = new Map<string, { at: number; creds: Map<string, Credential> }>();

  constructor(
    private readonly reader: SecretReader,
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 256,
    private readonly now: () => number = Date.now,
  ) {}

  async fromSecret(namespace: string, name: string, signal: AbortSignal): Promise<Map<string, Credential>> {
    const key = `${namespace}/${name}`;
    const hit = this.cache.get(key);
    if (hit !== undefined && this.now() - hit.at < this.ttlMs) return hit.creds;
    const data = await this.reader.getSecret(namespace, name, signal);
    const creds = data === undefined ? new Map<string, Credential>() : parseDockerConfig(data);
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { at: this.now(), creds });
    return creds;
  }

  /** The first credential for `registry` among the secrets, in order (pod secrets before the configured one). */
  async forRegistry(
    registry: string,
    secrets: ReadonlyArray<{ namespace: string; name: string }>,
    signal: AbortSignal,
  ): Promise<Credential | undefined> {
    for (const s of secrets) {
      const c = (await this.fromSecret(s.namespace, s.name, signal)).get(registryKey(registry));
      if (c !== undefined) return c;
    }
    return undefined;
  }
}
