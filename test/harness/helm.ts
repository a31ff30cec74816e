/**
 * Real helm (built from its Go module by hack/helm/build.sh) against a control plane, and
 * wasmgate run the way the chart's Deployment runs it: the Deployment's own args, as the chart's
 * ServiceAccount, with in-cluster environment and files (KUBERNETES_SERVICE_HOST/PORT, and the
 * token, ca.crt and namespace at /var/run/secrets/kubernetes.io/serviceaccount, mounted in a
 * private mount namespace with `unshare` so the real in-cluster code path reads them).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { freePort, pinnedVersion, type ControlPlane } from '../../src/controlplane/index.js';
import { ensureBuilt, REPO } from './wasmgate.js';

const run = promisify(execFile);
export const CHART = join(REPO, 'charts/wasmgate');

/** The pinned helm, built (or found in the cache) by hack/helm/build.sh. */
export async function helmBinary(): Promise<string> {
  const { stdout } = await run('bash', [join(REPO, 'hack/helm/build.sh')], { maxBuffer: 64 << 20 });
  return join(stdout.trim().split('\n').pop()!, 'helm');
}

export interface Helm {
  (args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** helm with its own config/cache dirs and the control plane's admin kubeconfig. */
export async function useHelm(cp: ControlPlane, bin: string): Promise<Helm> {
  const home = await mkdtemp(join(tmpdir(), 'wasmgate-helm-'));
  const env = {
    ...process.env,
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
    KUBECONFIG: cp.kubeconfig,
  };
  return (args, input) =>
    new Promise((resolve) => {
      const child = spawn(bin, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(input ?? '');
    });
}

export function objectsOf(yaml: string): any[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS())
    .filter((o) => o !== null && typeof o === 'object');
}

/** The CRDs of cert-manager at CERT_MANAGER_VERSION, read from its Go module (go mod download). */
export async function certManagerCrds(): Promise<string> {
  const version = pinnedVersion('CERT_MANAGER_VERSION', REPO);
  const { stdout } = await run('go', ['mod', 'download', '-json', `github.com/cert-manager/cert-manager@${version}`], {
    env: { ...process.env, PATH: `${process.env['PATH']}:/usr/local/go/bin`, GOFLAGS: '-mod=mod' },
    cwd: tmpdir(),
  });
  const dir = (JSON.parse(stdout) as { Dir: string }).Dir;
  const { readdir, readFile } = await import('node:fs/promises');
  const files = (await readdir(join(dir, 'deploy/crds'))).filter((f) => f.endsWith('.yaml')).sort();
  return (await Promise.all(files.map((f) => readFile(join(dir, 'deploy/crds', f), 'utf8')))).join('\n---\n');
}

export interface InClusterWasmgate {
  port: number;
  url: string;
  output(): string;
  get(path: string, ca: string): Promise<{ status: number; body: string; cert: string }>;
  requestsServed(ca: string): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Run `wasmgate serve` with the args of the chart's Deployment (`deployment`, as stored), its
 * config from the chart's ConfigMap, as ServiceAccount `sa` (a token from `kubectl create token`).
 * Only --config, --cert-dir and --port are replaced, by local paths and a free port.
 */
export async function runAsChart(
  cp: ControlPlane,
  deployment: any,
  configYaml: string,
  sa: { name: string; namespace: string },
): Promise<InClusterWasmgate> {
  ensureBuilt();
  const dir = await mkdtemp(join(tmpdir(), 'wasmgate-incluster-'));
  const token = await cp.kubectl(['create', 'token', sa.name, '-n', sa.namespace, '--duration=2h']);
  if (token.code !== 0) throw new Error(`kubectl create token failed: ${token.stderr}`);
  await mkdir(join(dir, 'sa'));
  await writeFile(join(dir, 'sa/token'), token.stdout.trim());
  await writeFile(join(dir, 'sa/ca.crt'), cp.caCert);
  await writeFile(join(dir, 'sa/namespace'), sa.namespace);
  await writeFile(join(dir, 'config.yaml'), configYaml);
  const port = await freePort();
  const container = deployment.spec.template.spec.containers[0];
  const args = (container.args as string[]).map((a) =>
    a.startsWith('--config=')
      ? `--config=${join(dir, 'config.yaml')}`
      : a.startsWith('--cert-dir=')
        ? `--cert-dir=${join(dir, 'certs')}`
        : a.startsWith('--port=')
          ? `--port=${port}`
          : a,
  );
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    KUBERNETES_SERVICE_HOST: '127.0.0.1',
    KUBERNETES_SERVICE_PORT: String(cp.ports.apiServer),
  };
  for (const e of container.env as { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = sa.namespace;
  }
  const sadir = '/run/secrets/kubernetes.io/serviceaccount';
  const script = `mount -t tmpfs tmpfs /run && mkdir -p ${sadir} && cp "$SA_FILES"/* ${sadir}/ && exec "$@"`;
  let out = '';
  const child: ChildProcess = spawn(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      'sh',
      process.execPath,
      join(REPO, 'bin/wasmgate.js'),
      ...args,
      '--host=127.0.0.1',
    ],
    { env: { ...env, SA_FILES: join(dir, 'sa') }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `https://127.0.0.1:${port}`;
  const get = (path: string, ca: string): Promise<{ status: number; body: string; cert: string }> =>
    new Promise((resolve, reject) => {
      const req = request(`${url}${path}`, { ca, timeout: 5000, agent: false }, (res) => {
        let body = '';
        const peer = (res.socket as import('node:tls').TLSSocket).getPeerX509Certificate?.();
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cert: peer?.toString() ?? '' }));
      });
      req.on('error', reject);
      req.end();
    });
  return {
    port,
    url,
    output: () => out,
    get,
    async requestsServed(ca) {
      const { body } = await get('/metrics', ca);
      let sum = 0;
      for (const line of body.split('\n'))
        if (line.startsWith('wasmgate_admission_requests_total{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      return sum;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
