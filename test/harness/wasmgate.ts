/**
 * Run the real `wasmgate serve` CLI as a child process against a control plane, and register its
 * webhooks there with `kubectl apply`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { caBundle, generateWebhookCerts, writeWebhookCerts } from '../../src/certs/generate.js';
import { parseConfig } from '../../src/config/config.js';
import { webhookYaml } from '../../src/deploy/webhooks.js';
import { freePort, type ControlPlane } from '../../src/controlplane/index.js';
import { getUrl, metricValue, scrapeMetrics } from './http.js';
import { waitFor } from './wait.js';

export const REPO = resolve(import.meta.dirname, '../..');

export function ensureBuilt(): void {
  if (!existsSync(join(REPO, 'dist/cli/index.js'))) execFileSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
}

export interface Wasmgate {
  url: string;
  port: number;
  ca: string;
  caBundle: string;
  dir: string;
  /** everything the process wrote to stderr/stdout so far */
  output(): string;
  get(path: string): Promise<{ status: number; body: string }>;
  /** sum of wasmgate_admission_requests_total over all labels, or for one endpoint */
  requestsServed(endpoint?: 'mutate' | 'validate'): Promise<number>;
  /** send a signal and wait for the exit (SIGKILL: a replica that dies without releasing anything) */
  kill(signal: NodeJS.Signals): Promise<number | null>;
  stop(): Promise<void>;
}

export async function startWasmgate(cp: ControlPlane, config: Record<string, unknown> = {}): Promise<Wasmgate> {
  ensureBuilt();
  const dir = await mkdtemp(join(tmpdir(), 'wasmgate-e2e-'));
  const certs = await generateWebhookCerts('wasmgate', 'wasmgate');
  await writeWebhookCerts(dir, certs);
  await writeFile(join(dir, 'config.yaml'), stringify(config));
  const port = await freePort();
  let out = '';
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(REPO, 'bin/wasmgate.js'),
      'serve',
      '--kubeconfig',
      cp.kubeconfig,
      '--cert-dir',
      dir,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--config',
      join(dir, 'config.yaml'),
      '--log-level',
      'warn',
      '--drain-seconds',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = `https://127.0.0.1:${port}`;
  const get = async (path: string): Promise<{ status: number; body: string }> => {
    const r = await getUrl(`${url}${path}`, certs.ca.cert);
    return { status: r.status, body: r.text };
  };
  const wg: Wasmgate = {
    url,
    port,
    ca: certs.ca.cert,
    caBundle: caBundle(certs.ca.cert),
    dir,
    output: () => out,
    get,
    async requestsServed(endpoint) {
      const metrics = await scrapeMetrics(url, certs.ca.cert);
      return metricValue(metrics, 'wasmgate_admission_requests_total', endpoint === undefined ? {} : { endpoint });
    },
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        // no drain (--drain-seconds 0): the deadline only guards against a hang
        const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  // ready = listening and the live cache has synced (or the process gave up: fail at once)
  let ready: 'ready' | 'exited';
  try {
    ready = await waitFor(async () => (child.exitCode !== null ? 'exited' : (await get('/readyz')).status === 200 && 'ready'), {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: 'wasmgate to be ready',
    });
  } catch (err) {
    await wg.stop();
    throw new Error(`wasmgate did not become ready: ${err instanceof Error ? err.message : String(err)}\n${out}`, { cause: err });
  }
  if (ready === 'exited') {
    await wg.stop();
    throw new Error(`wasmgate exited with ${child.exitCode}:\n${out}`);
  }
  return wg;
}

/** Apply wasmgate's webhook configurations pointing at `wg`, then wait until the API server calls it. */
export async function registerWebhooks(cp: ControlPlane, wg: Wasmgate, config: Record<string, unknown> = {}): Promise<void> {
  const yaml = webhookYaml(parseConfig(config), { client: { url: wg.url, caBundle: wg.caBundle }, timeoutSeconds: 5 });
  const res = await cp.kubectl(['apply', '-f', '-'], { input: yaml });
  if (res.code !== 0) throw new Error(`kubectl apply webhooks failed: ${res.stderr}`);
  // The API server picks up webhook configurations asynchronously: probe with a server-side
  // dry run until the mutation shows (and this wasmgate counts the request).
  const probe = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'wasmgate-probe', namespace: 'default', annotations: { 'wasmgate.dev/runtime': 'auto' } },
    spec: { containers: [{ name: 'c', image: 'example/probe:1' }] },
  };
  const before = await wg.requestsServed('mutate');
  await waitFor(
    async () => {
      await cp.kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], { input: JSON.stringify(probe) });
      return (await wg.requestsServed('mutate')) > before;
    },
    { timeoutMs: 60_000, what: 'the API server to call wasmgate after registering the webhooks' },
  );
}
