/**
 * The HTTP layer with image detection on: /mutate looks up a plain pod's images before deciding,
 * within the budget, and fails open (admitted unchanged, the audit annotation says why); /validate
 * and annotated pods never look anything up; with detection off nothing is looked up at all.
 * (Classification against a real registry: test/registry and test/e2e/image-detection.e2e.test.ts.)
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config/config.js';
import { ImageResolver } from '../../src/images/resolver.js';
import { buildApp } from '../../src/server/app.js';
import { podObject, review, seedCluster } from '../harness/fixtures.js';

/** A registry that accepts connections and never answers: only the budget ends a lookup. */
let silent: Server;
let silentHost: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  silent = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await new Promise<number>((resolve) =>
    silent.listen(0, '127.0.0.1', () => resolve((silent.address() as { port: number }).port)),
  );
  silentHost = `127.0.0.1:${port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

function setup(detection: Record<string, unknown> | undefined) {
  const config: Config = parseConfig(
    detection === undefined ? {} : { imageDetection: { enabled: true, registries: [silentHost], budgetMs: 50, ...detection } },
  );
  const registry = new Registry();
  const images =
    detection === undefined ? undefined : new ImageResolver({ config: config.imageDetection, metrics: registry, lookupTimeoutMs: 60_000 });
  const { app } = buildApp({ config, state: seedCluster(), ...(images === undefined ? {} : { images }) });
  const post = async (endpoint: 'mutate' | 'validate', obj: Record<string, unknown>) => {
    const res = await app.inject({
      method: 'POST',
      url: `/${endpoint}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(review(obj)),
    });
    expect(res.statusCode, res.body).toBe(200);
    return (
      res.json() as {
        response: { allowed: boolean; patch?: string; auditAnnotations?: Record<string, string>; status?: { message: string } };
      }
    ).response;
  };
  const lookups = async () => {
    const m = registry.getSingleMetric('wasmgate_image_lookups_total');
    return m === undefined ? 0 : (await m.get()).values.reduce((a, v) => a + v.value, 0);
  };
  const budget = async () => (await registry.getSingleMetric('wasmgate_image_budget_exceeded_total')!.get()).values[0]?.value ?? 0;
  return { app, post, lookups, budget };
}

const plain = (image: string) => podObject({ name: 'hello', namespace: 'apps', spec: { containers: [{ name: 'app', image }] } });

describe('/mutate with image detection on', () => {
  it('a registry that never answers: admitted unchanged once the budget runs out, the audit says so', async () => {
    const s = setup({});
    const r = await s.post('mutate', plain(`${silentHost}/wasm/hello:v1`));
    expect(r.allowed).toBe(true);
    expect(r.patch).toBeUndefined();
    expect(r.auditAnnotations?.['image-detection']).toBe(
      `Pod apps/hello has no runtimeClassName and no wasmgate.dev/runtime annotation; image detection could not check its images, so it is admitted unchanged: ` +
        `container app: ${silentHost}/wasm/hello:v1 could not be checked (budget exceeded).`,
    );
    expect(await s.budget()).toBe(1);
    await s.app.close();
  });

  it('a registry not on the allowlist: no request, admitted unchanged, the audit says why', async () => {
    const s = setup({});
    const r = await s.post('mutate', plain('evil.example/x:latest'));
    expect(r).toMatchObject({
      allowed: true,
      auditAnnotations: {
        'image-detection': expect.stringContaining('registry evil.example is not in imageDetection.registries (no request was sent)'),
      },
    });
    expect(await s.lookups()).toBe(0);
    await s.app.close();
  });

  it('an annotated pod is decided by its annotation: no lookup', async () => {
    const s = setup({});
    const r = await s.post(
      'mutate',
      podObject({
        name: 'hello',
        namespace: 'apps',
        annotations: { 'wasmgate.dev/runtime': 'wasmtime' },
        spec: { containers: [{ name: 'app', image: `${silentHost}/wasm/hello:v1` }] },
      }),
    );
    expect(r.allowed).toBe(true);
    expect(JSON.parse(Buffer.from(r.patch!, 'base64').toString())).toEqual([{ op: 'add', path: '/spec/runtimeClassName', value: 'wasm1' }]);
    expect(r.auditAnnotations?.['image-detection']).toBeUndefined();
    expect(await s.budget()).toBe(0);
    await s.app.close();
  });

  it('/validate never looks images up', async () => {
    const s = setup({});
    const r = await s.post('validate', plain(`${silentHost}/wasm/hello:v1`));
    expect(r).toMatchObject({ allowed: true });
    expect(r.auditAnnotations?.['image-detection']).toBeUndefined();
    expect(await s.budget()).toBe(0);
    await s.app.close();
  });
});

describe('/mutate with image detection off (the default)', () => {
  it('a plain pod is untouched and nothing is looked up', async () => {
    const s = setup(undefined);
    const r = await s.post('mutate', plain(`${silentHost}/wasm/hello:v1`));
    expect(r.allowed).toBe(true);
    expect(r.patch).toBeUndefined();
    expect(r.auditAnnotations ?? {}).toEqual({});
    await s.app.close();
  });
});
