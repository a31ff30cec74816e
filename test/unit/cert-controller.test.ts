/**
 * The certificate controller's conflict handling against an in-process fake of the few API
 * server endpoints it uses (the real API server is in test/e2e/chart-install.e2e.test.ts): these
 * force the races that two replicas only sometimes hit there.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { Agent, createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextBundle, toSecretData, type CertBundle } from '../../src/certs/bundle.js';
import { CertController } from '../../src/certs/controller.js';
import { generateWebhookCerts } from '../../src/certs/generate.js';
import type { ApiAccess } from '../../src/cluster/kubeconfig.js';

const SVC = { name: 'wasmgate', namespace: 'wg' };
const HOUR = 3_600_000;
const V = { servingMs: 10 * HOUR, caMs: 100 * HOUR, renewBeforeMs: 2 * HOUR };
const SECRET = '/api/v1/namespaces/wg/secrets/wg-certs';

interface Call {
  method: string;
  path: string;
  body: any;
}
let server: Server;
let api: ApiAccess;
let calls: Call[] = [];
let handler: (c: Call) => { status: number; body?: unknown } = () => ({ status: 404 });

beforeAll(async () => {
  const tls = await generateWebhookCerts('api', 'x');
  server = createServer({ cert: tls.serving.cert, key: tls.serving.key }, (req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const call = {
        method: req.method!,
        path: req.url!,
        body: text === '' ? undefined : JSON.parse(text),
        type: req.headers['content-type'],
      };
      calls.push(call);
      const out = handler(call);
      res
        .writeHead(out.status, { 'Content-Type': 'application/json' })
        .end(JSON.stringify(out.body ?? { kind: 'Status', message: `status ${out.status}` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const agent = new Agent({ ca: tls.ca.cert, keepAlive: true });
  api = {
    server: `https://127.0.0.1:${port}`,
    source: 'fake',
    requestOptions: async () => ({ method: 'GET', headers: { Accept: 'application/json' }, agent }),
  };
});

afterAll(() => {
  server.close();
});

async function controller(): Promise<{ c: CertController; dir: string; logs: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmgate-certctl-'));
  const logs: string[] = [];
  const c = new CertController({
    api,
    namespace: 'wg',
    secretName: 'wg-certs',
    webhookConfigName: 'wg',
    service: 'wasmgate',
    certDir: dir,
    validity: V,
    checkIntervalMs: 60_000,
    log: (l) => logs.push(l),
  });
  return { c, dir, logs };
}

const secretOf = (b: CertBundle, rv: string): object => ({ metadata: { name: 'wg-certs', resourceVersion: rv }, data: toSecretData(b) });

describe('certificate controller', () => {
  it('creates the Secret when absent; losing the create race (409) it serves the winner’s set', async () => {
    const winner = await nextBundle(undefined, 'invalid', V, SVC);
    let created = false;
    calls = [];
    handler = (call) => {
      if (call.method === 'GET' && call.path === SECRET) return created ? { status: 200, body: secretOf(winner, '7') } : { status: 404 };
      if (call.method === 'POST') {
        created = true; // another replica's create landed first
        return { status: 409 };
      }
      return { status: 500 };
    };
    const { c, dir } = await controller();
    const got = await c.ensure();
    expect(got).toEqual(winner);
    expect(readFileSync(join(dir, 'tls.crt'), 'utf8')).toBe(winner.cert);
    expect(readFileSync(join(dir, 'ca.crt'), 'utf8')).toBe(winner.caCert);
    expect(calls.map((x) => x.method)).toEqual(['GET', 'POST', 'GET']);
    expect(calls[1]!.body).toMatchObject({ kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'wg-certs', namespace: 'wg' } });
  });

  it('renews a pair that is due with the resourceVersion it read; on 409 it adopts the other replica’s renewal', async () => {
    const old = await nextBundle(undefined, 'invalid', { ...V, servingMs: 1 * HOUR }, SVC); // inside renewBefore
    const renewed = await nextBundle(old, 'serving', V, SVC);
    let stored = secretOf(old, '1');
    calls = [];
    handler = (call) => {
      if (call.method === 'GET') return { status: 200, body: stored };
      if (call.method === 'PUT') {
        expect(call.body.metadata.resourceVersion).toBe('1');
        stored = secretOf(renewed, '2');
        return { status: 409 };
      }
      return { status: 500 };
    };
    const { c } = await controller();
    const got = await c.ensure();
    expect(got.cert).toBe(renewed.cert);
    expect(got.caCert).toBe(old.caCert);
    expect(calls.map((x) => x.method)).toEqual(['GET', 'PUT', 'GET']);
  });

  it('patches only the webhooks whose caBundle differs, and never creates a missing configuration', async () => {
    const b = await nextBundle(undefined, 'invalid', V, SVC);
    const bundle = Buffer.from(b.caCert).toString('base64');
    calls = [];
    handler = (call) => {
      if (call.method === 'GET' && call.path.includes('/mutatingwebhookconfigurations/wg')) {
        return {
          status: 200,
          body: {
            webhooks: [
              { name: 'a', clientConfig: { caBundle: bundle } },
              { name: 'b', clientConfig: {} },
            ],
          },
        };
      }
      if (call.method === 'GET') return { status: 404 };
      if (call.method === 'PATCH') return { status: 200, body: {} };
      return { status: 500 };
    };
    const { c, logs } = await controller();
    await c.inject(b);
    const patches = calls.filter((x) => x.method === 'PATCH');
    expect(patches).toHaveLength(1);
    expect(patches[0]!.path).toBe('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/wg');
    expect(patches[0]!.body).toEqual({ webhooks: [{ name: 'b', clientConfig: { caBundle: bundle } }] });
    expect((patches[0] as Call & { type?: string }).type).toBe('application/strategic-merge-patch+json');
    expect(calls.some((x) => x.method === 'POST' || x.method === 'PUT')).toBe(false);
    expect(logs).toEqual(['certificates: wrote the CA into mutatingwebhookconfigurations/wg (1 webhooks)']);
  });

  it('a refused read is an error naming the Secret and the status (the loop logs it and retries)', async () => {
    handler = () => ({
      status: 403,
      body: { kind: 'Status', message: 'secrets "wg-certs" is forbidden: User "system:serviceaccount:wg:x" cannot get resource "secrets"' },
    });
    const { c, logs } = await controller();
    await expect(c.ensure()).rejects.toThrow('Secret wg/wg-certs: read failed: HTTP 403: secrets "wg-certs" is forbidden');
    await c.tick();
    expect(logs[0]).toMatch(/^certificates: Secret wg\/wg-certs: read failed: HTTP 403: .* \(retrying in 60 s\)$/);
  });
});
