/**
 * The resolver's time budget and hard lookup timeout against a registry that accepts connections
 * and never answers (an in-process fake; the real-registry version is in test/registry/).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/config.js';
import { BUDGET_EXCEEDED, ImageResolver } from '../../../src/images/resolver.js';
import { waitFor } from '../../harness/wait.js';

let server: Server;
let host: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = createServer((s) => sockets.push(s)); // holds every connection, says nothing
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  for (const s of sockets) s.destroy();
  server.close();
});

async function value(metrics: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await metrics.getSingleMetric(name)!.get();
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
}

const until = (cond: () => Promise<boolean>, what = 'the lookup to end'): Promise<true> =>
  waitFor(async () => (await cond()) || undefined, { intervalMs: 20, what });

const resolverWith = (budgetMs: number, lookupTimeoutMs: number, backoffSeconds?: number) => {
  const metrics = new Registry();
  const config = {
    ...parseConfig({
      imageDetection: { enabled: true, registries: [host], budgetMs, ...(backoffSeconds === undefined ? {} : { backoffSeconds }) },
    }).imageDetection,
  };
  return { r: new ImageResolver({ config, metrics, lookupTimeoutMs }), metrics };
};
const POD = { namespace: 'apps', pullSecrets: [] };

describe('ImageResolver budget', () => {
  it('a silent registry: the request gets "budget exceeded"; the lookup itself ends at its hard timeout', async () => {
    const { r, metrics } = resolverWith(50, 400);
    const [fact] = await r.resolve([{ container: 'app', init: false, image: `${host}/wasm/hello:v1` }], POD);
    expect(fact).toEqual({
      status: 'unknown',
      container: 'app',
      init: false,
      image: `${host}/wasm/hello:v1`,
      reference: `${host}/wasm/hello:v1`,
      reason: BUDGET_EXCEEDED,
    });
    expect(await value(metrics, 'wasmgate_image_budget_exceeded_total')).toBe(1);
    await until(async () => (await value(metrics, 'wasmgate_image_lookups_total', { result: 'error' })) === 1);
    expect(await value(metrics, 'wasmgate_image_lookup_errors_total', { code: 'timeout' })).toBe(1);
  });

  it("the caller's signal ends the wait too", async () => {
    const { r } = resolverWith(4000, 400);
    const c = new AbortController();
    const p = r.resolve([{ container: 'app', init: false, image: `${host}/wasm/other:v1` }], POD, c.signal);
    c.abort();
    expect((await p)[0]).toMatchObject({ status: 'unknown', reason: BUDGET_EXCEEDED });
  });

  it('images already known are answered even when others run out of budget', async () => {
    const { r } = resolverWith(50, 400);
    const facts = await r.resolve(
      [
        { container: 'bad', init: false, image: 'library/Nginx' },
        { container: 'slow', init: false, image: `${host}/wasm/slow:v1` },
      ],
      POD,
    );
    expect(facts.map((f) => (f.status === 'unknown' ? f.reason : f.kind))).toEqual([
      '"library/Nginx": repository names must be lowercase ("Nginx")',
      BUDGET_EXCEEDED,
    ]);
  });
});

describe('ImageResolver backoff', () => {
  const image = (name: string) => ({ container: name, init: false, image: `${host}/wasm/${name}:v1` });

  it('a registry that ran out of a budget is not contacted again: the next pod is answered without a lookup', async () => {
    const { r, metrics } = resolverWith(50, 300);
    expect((await r.resolve([image('first')], POD))[0]).toMatchObject({ status: 'unknown', reason: BUDGET_EXCEEDED });
    const connections = sockets.length;
    const [next] = await r.resolve([image('second')], POD);
    expect(next).toMatchObject({ status: 'unknown', reference: `${host}/wasm/second:v1` });
    expect(next!.status === 'unknown' && next!.reason).toMatch(
      new RegExp(
        `^lookups at registry ${host} got no answer recently \\(a connection error or a timeout\\), so it is not contacted until \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(imageDetection\\.backoffSeconds\\)$`,
      ),
    );
    expect(await value(metrics, 'wasmgate_image_lookup_errors_total', { code: 'backoff' })).toBe(1);
    expect(await value(metrics, 'wasmgate_image_budget_exceeded_total')).toBe(1);
    // only the first image's lookup ever ran (it ends at its hard timeout); none opened a connection for the second
    await until(async () => (await value(metrics, 'wasmgate_image_lookups_total')) === 1);
    expect(sockets.length).toBe(connections);
    expect(await value(metrics, 'wasmgate_image_lookups_total')).toBe(1);
  });

  it('the caller going away does not start a backoff', async () => {
    // lookups that outlast the test: none of them times out and starts a backoff of its own
    const { r, metrics } = resolverWith(4000, 60_000);
    const gone = async (name: string) => {
      const c = new AbortController();
      const p = r.resolve([image(name)], POD, c.signal);
      c.abort();
      return (await p)[0];
    };
    expect(await gone('gone')).toMatchObject({ status: 'unknown', reason: BUDGET_EXCEEDED });
    // backed off, the next pod would get the backoff's answer at once, before its caller goes away
    expect(await gone('next')).toMatchObject({ status: 'unknown', reason: BUDGET_EXCEEDED });
    expect(await value(metrics, 'wasmgate_image_lookup_errors_total', { code: 'backoff' })).toBe(0);
  });

  it('a lookup that times out starts the backoff too', async () => {
    const { r } = resolverWith(4000, 100);
    expect((await r.resolve([image('timed')], POD))[0]).toMatchObject({ status: 'unknown', reason: `${host} did not answer in time` });
    const [next] = await r.resolve([image('next')], POD);
    expect(next!.status === 'unknown' && next!.reason).toMatch(/got no answer recently/);
  });

  it('while backed off, a pod whose image is already being looked up joins that lookup', async () => {
    // the lookup outlasts the test, so the second pod always finds it running
    const { r, metrics } = resolverWith(50, 60_000);
    expect((await r.resolve([image('shared')], POD))[0]).toMatchObject({ reason: BUDGET_EXCEEDED });
    // the registry is backed off now, but this image's lookup is still running: join it
    expect((await r.resolve([image('shared')], POD))[0]).toMatchObject({ reason: BUDGET_EXCEEDED });
    expect(await value(metrics, 'wasmgate_image_lookups_joined_total')).toBe(1);
    expect(await value(metrics, 'wasmgate_image_lookup_errors_total', { code: 'backoff' })).toBe(0);
  });

  it('backoffSeconds 0: every pod waits for its own lookup, as before', async () => {
    const { r, metrics } = resolverWith(50, 300, 0);
    for (const name of ['one', 'two']) expect((await r.resolve([image(name)], POD))[0]).toMatchObject({ reason: BUDGET_EXCEEDED });
    expect(await value(metrics, 'wasmgate_image_budget_exceeded_total')).toBe(2);
    expect(await value(metrics, 'wasmgate_image_lookup_errors_total', { code: 'backoff' })).toBe(0);
  });
});
