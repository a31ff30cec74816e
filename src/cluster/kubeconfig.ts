/**
 * How wasmgate reaches the API server: in-cluster service-account credentials, or a kubeconfig.
 *
 * The common cases are read here directly — in-cluster (token re-read as the kubelet rotates it),
 * and kubeconfigs with a CA, client certificates and/or a bearer token, inline or in files.
 * Anything else (exec credential plugins, auth-provider, basic auth, proxies) goes through
 * @kubernetes/client-node, imported only then: importing it costs ~70 MiB of RSS (39 → 111 MiB for
 * a bare process, measured on Node 20), which is most of a lean webhook's footprint.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { Agent, type RequestOptions } from 'node:https';
import { parse as parseYaml } from 'yaml';
import { isRecord, str } from '../objects/json.js';

export const IN_CLUSTER_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ApiAccess {
  /** https://host:port */
  readonly server: string;
  /** where the credentials came from, for logs */
  readonly source: string;
  /** options for one https request: credentials fresh, one keep-alive agent reused */
  requestOptions(): Promise<RequestOptions>;
}

function readMaybe(path: string | undefined, base: string): Buffer | undefined {
  if (path === undefined || path === '') return undefined;
  return readFileSync(isAbsolute(path) ? path : join(base, path));
}

function b64(data: string | undefined): Buffer | undefined {
  return data === undefined || data === '' ? undefined : Buffer.from(data, 'base64');
}

/** A token file re-read when it changes (projected service-account tokens rotate hourly). */
function tokenFromFile(path: string): () => string {
  let mtime = -1;
  let token = '';
  return () => {
    const m = statSync(path).mtimeMs;
    if (m !== mtime) {
      token = readFileSync(path, 'utf8').trim();
      mtime = m;
    }
    return token;
  };
}

interface Direct {
  server: string;
  source: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: () => string;
  insecure?: boolean;
  servername?: string;
}

function directAccess(d: Direct): ApiAccess {
  const agent = new Agent({
    keepAlive: true,
    ...(d.ca === undefined ? {} : { ca: d.ca }),
    ...(d.cert === undefined ? {} : { cert: d.cert }),
    ...(d.key === undefined ? {} : { key: d.key }),
    ...(d.servername === undefined ? {} : { servername: d.servername }),
    rejectUnauthorized: d.insecure !== true,
  });
  return {
    server: d.server,
    source: d.source,
    async requestOptions() {
      const headers: Record<string, string> = { Accept: 'application/json' };
      const token = d.token?.();
      if (token !== undefined && token !== '') headers['Authorization'] = `Bearer ${token}`;
      return { method: 'GET', headers, agent };
    },
  };
}

/** Everything else: let @kubernetes/client-node apply the kubeconfig, one keep-alive agent per TLS material. */
function clientNodeAccess(file: string, server: string, why: string): ApiAccess {
  let kc: Promise<import('@kubernetes/client-node').KubeConfig> | undefined;
  let cached: { key: string; agent: Agent } | undefined;
  return {
    server,
    source: `${file} (through @kubernetes/client-node: ${why})`,
    async requestOptions() {
      kc ??= import('@kubernetes/client-node').then((m) => {
        const k = new m.KubeConfig();
        k.loadFromFile(file);
        return k;
      });
      const opts: RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
      await (await kc).applyToHTTPSOptions(opts);
      const built = opts.agent;
      if (built instanceof Agent && built.constructor === Agent) {
        const o = built.options;
        const key = [o.ca, o.cert, o.key, o.pfx, o.rejectUnauthorized, o.servername].map((v) => String(v)).join('|');
        if (cached === undefined || cached.key !== key) {
          cached?.agent.destroy();
          cached = { key, agent: new Agent({ ...o, keepAlive: true }) };
        }
        built.destroy();
        opts.agent = cached.agent;
      }
      return opts;
    },
  };
}

function named(list: unknown, name: string | undefined): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const entry of list) if (isRecord(entry) && entry['name'] === name) return entry;
  return undefined;
}

export function fromKubeconfigFile(file: string): ApiAccess {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`kubeconfig ${file} cannot be read: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (!isRecord(doc)) throw new Error(`kubeconfig ${file} is not a kubeconfig`);
  const contextName = str(doc['current-context']);
  const context = named(doc['contexts'], contextName)?.['context'];
  if (!isRecord(context)) throw new Error(`kubeconfig ${file}: current-context ${contextName ?? '(none)'} not found`);
  const cluster = named(doc['clusters'], str(context['cluster']))?.['cluster'];
  const user = named(doc['users'], str(context['user']))?.['user'] ?? {};
  if (!isRecord(cluster) || str(cluster['server']) === undefined)
    throw new Error(`kubeconfig ${file}: the current context's cluster has no server`);
  if (!isRecord(user)) throw new Error(`kubeconfig ${file}: the current context's user is malformed`);
  const server = str(cluster['server'])!.replace(/\/$/, '');
  const special =
    ['exec', 'auth-provider', 'username', 'as'].find((k) => user[k] !== undefined) ??
    (cluster['proxy-url'] !== undefined ? 'proxy-url' : undefined);
  if (special !== undefined) return clientNodeAccess(file, server, special);
  const base = dirname(file);
  const tokenFile = str(user['tokenFile']);
  const token = str(user['token']);
  return directAccess({
    server,
    source: file,
    ca: b64(str(cluster['certificate-authority-data'])) ?? readMaybe(str(cluster['certificate-authority']), base),
    cert: b64(str(user['client-certificate-data'])) ?? readMaybe(str(user['client-certificate']), base),
    key: b64(str(user['client-key-data'])) ?? readMaybe(str(user['client-key']), base),
    ...(token !== undefined
      ? { token: () => token }
      : tokenFile !== undefined
        ? { token: tokenFromFile(isAbsolute(tokenFile) ? tokenFile : join(base, tokenFile)) }
        : {}),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    ...(str(cluster['tls-server-name']) === undefined ? {} : { servername: str(cluster['tls-server-name'])! }),
  });
}

export function inCluster(dir = IN_CLUSTER_DIR, env: NodeJS.ProcessEnv = process.env): ApiAccess {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '443';
  if (host === undefined) throw new Error('not running in a cluster (KUBERNETES_SERVICE_HOST is not set)');
  return directAccess({
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    source: `in-cluster service account (${dir})`,
    ca: readFileSync(join(dir, 'ca.crt')),
    token: tokenFromFile(join(dir, 'token')),
  });
}

/** --kubeconfig FILE, else in-cluster, else $KUBECONFIG (first entry), else ~/.kube/config. */
export function loadKubeConfig(file?: string): ApiAccess {
  if (file !== undefined) return fromKubeconfigFile(file);
  if (process.env['KUBERNETES_SERVICE_HOST'] !== undefined) return inCluster();
  const fromEnv = process.env['KUBECONFIG']?.split(':').find((p) => p !== '');
  return fromKubeconfigFile(fromEnv ?? join(homedir(), '.kube', 'config'));
}
