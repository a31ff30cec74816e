/**
 * The live source's list/watch protocol against an in-process fake API server (HTTPS): paginated
 * lists, watch events, bookmarks carried into the next watch, relist on 410 Gone, retry with
 * backoff after server errors, a refused (401/403) list or watch reported once per kind and cleared
 * when allowed again. The real API server is exercised in test/e2e/live-cache.e2e.test.ts and
 * test/e2e/access-denied.e2e.test.ts.
 */
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadKubeConfig, type ApiAccess } from '../../src/cluster/kubeconfig.js';
import { generateCa, signLeaf } from '../../src/certs/generate.js';
import { startLiveState, type LiveState } from '../../src/cluster/live.js';
import { accessDeniedLine, accessProblem, accessRestoredLine } from '../../src/cluster/access.js';
import { kindNamed } from '../../src/kinds/registry.js';
import { buildApp } from '../../src/server/app.js';
import { config } from '../harness/fixtures.js';
import { nodeObject } from '../harness/fixtures.js';

type Handler = (url: URL, res: ServerResponse) => void;

interface Fake {
  server: Server;
  kubeconfig: ApiAccess;
  requests: URL[];
}

async function fakeApiServer(handle: Handler): Promise<Fake> {
  const ca = await generateCa('fake-apiserver-ca');
  const serving = await signLeaf(ca, { commonName: 'fake-apiserver', sans: ['127.0.0.1'] });
  const requests: URL[] = [];
  const server = createServer({ cert: serving.cert, key: serving.key }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    if (req.headers.authorization !== 'Bearer t0ken') {
      res.writeHead(401);
      return res.end('{"kind":"Status","code":401}');
    }
    requests.push(url);
    handle(url, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const file = join(mkdtempSync(join(tmpdir(), 'wasmgate-kc-')), 'kubeconfig');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'fake',
          cluster: { server: `https://127.0.0.1:${port}`, 'certificate-authority-data': Buffer.from(ca.cert).toString('base64') },
        },
      ],
      users: [{ name: 'u', user: { token: 't0ken' } }],
      contexts: [{ name: 'c', context: { cluster: 'fake', user: 'u' } }],
      'current-context': 'c',
    }),
  );
  const kubeconfig = loadKubeConfig(file);
  return { server, kubeconfig, requests };
}

function list(items: unknown[], rv: string, cont?: string): string {
  return JSON.stringify({ kind: 'List', metadata: { resourceVersion: rv, ...(cont ? { continue: cont } : {}) }, items });
}

const event = (type: string, object: unknown): string => `${JSON.stringify({ type, object })}\n`;

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let live: LiveState | undefined;
let fake: Fake | undefined;
afterEach(async () => {
  await live?.stop();
  fake?.server.closeAllConnections();
  fake?.server.close();
  live = undefined;
  fake = undefined;
});

const emptyRuntimeClasses = (url: URL, res: ServerResponse): boolean => {
  if (!url.pathname.startsWith('/apis/node.k8s.io')) return false;
  if (url.searchParams.get('watch') === 'true')
    res.writeHead(200, { 'content-type': 'application/json' }); // hang
  else res.end(list([], '1'));
  return true;
};

describe('live source protocol', () => {
  it('lists page by page, applies watch events, carries bookmarks, relists on 410', async () => {
    let lists = 0;
    let watches = 0;
    fake = await fakeApiServer((url, res) => {
      if (emptyRuntimeClasses(url, res)) return;
      if (url.searchParams.get('watch') !== 'true') {
        lists++;
        if (lists === 1 && !url.searchParams.has('continue')) return res.end(list([nodeObject('n1', { wasm: 'yes' })], '10', 'page2'));
        if (lists === 2) return res.end(list([nodeObject('n2', { wasm: 'yes' })], '10'));
        return res.end(list([nodeObject('after-relist', { wasm: 'yes' })], '30'));
      }
      watches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      if (watches === 1) {
        res.write(
          event('ADDED', { ...nodeObject('n3'), metadata: { ...(nodeObject('n3')['metadata'] as object), resourceVersion: '11' } }),
        );
        res.write(event('DELETED', nodeObject('n1')));
        res.write(event('BOOKMARK', { kind: 'Node', metadata: { resourceVersion: '12' } }));
        return res.end(); // the server ends the watch: the client resumes from the bookmark
      }
      if (watches === 2) {
        res.write(event('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' }));
        return res.end();
      }
      // third watch: stay open
    });
    live = startLiveState({ kubeconfig: fake.kubeconfig, trackPods: false });
    await live.synced;
    expect(live.state.status().synced).toBe(true);
    await until(() => live!.state.getNode('after-relist') !== undefined, 'relist after 410');
    await until(
      () => fake!.requests.filter((u) => u.pathname === '/api/v1/nodes' && u.searchParams.get('watch') === 'true').length >= 3,
      'the watch after the relist',
    );

    const nodeRequests = fake.requests.filter((u) => u.pathname === '/api/v1/nodes');
    const watchRequests = nodeRequests.filter((u) => u.searchParams.get('watch') === 'true');
    expect(nodeRequests[0]!.searchParams.get('limit')).toBe('100');
    expect(nodeRequests[1]!.searchParams.get('continue')).toBe('page2');
    expect(watchRequests[0]!.searchParams.get('resourceVersion')).toBe('10');
    expect(watchRequests[0]!.searchParams.get('allowWatchBookmarks')).toBe('true');
    expect(watchRequests[1]!.searchParams.get('resourceVersion')).toBe('12');
    expect(watchRequests[2]!.searchParams.get('resourceVersion')).toBe('30');
    // the relist replaced the store: n2 and n3 are gone, only the fresh list remains
    expect([...live.state.index.all()].map((n) => n.name)).toEqual(['after-relist']);
    expect(live.relists()).toBe(3); // nodes twice (initial + after 410), runtimeclasses once
  });

  it('retries a failing list with backoff and syncs once the server answers', async () => {
    let failures = 0;
    fake = await fakeApiServer((url, res) => {
      if (emptyRuntimeClasses(url, res)) return;
      if (url.searchParams.get('watch') === 'true') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return;
      }
      if (failures < 2) {
        failures++;
        res.writeHead(500);
        return res.end('{"kind":"Status","code":500}');
      }
      res.end(list([nodeObject('n1')], '5'));
    });
    const logs: string[] = [];
    live = startLiveState({ kubeconfig: fake.kubeconfig, trackPods: false, log: (l) => logs.push(l) });
    expect(live.state.status().synced).toBe(false);
    await live.synced;
    expect(live.state.getNode('n1')?.ready).toBe(true);
    expect(failures).toBe(2);
    expect(logs.filter((l) => l.includes('HTTP 500') && l.includes('retrying in'))).toHaveLength(2);
  });

  it('is ready once Nodes and RuntimeClasses are listed; pod counts follow when the slower Pod list completes', async () => {
    let releasePods: (() => void) | undefined;
    fake = await fakeApiServer((url, res) => {
      if (emptyRuntimeClasses(url, res)) return;
      if (url.searchParams.get('watch') === 'true') return void res.writeHead(200, { 'content-type': 'application/json' });
      if (url.pathname === '/api/v1/pods') {
        const pod = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'p1', namespace: 'ns' },
          spec: { runtimeClassName: 'wasm1' },
          status: { phase: 'Running' },
        };
        releasePods = () => res.end(list([pod], '7'));
        return;
      }
      res.end(list([nodeObject('n1')], '5'));
    });
    live = startLiveState({ kubeconfig: fake.kubeconfig });
    await live.synced;
    expect(live.state.status().synced).toBe(true);
    expect(live.state.podsUsingRuntimeClass('wasm1')).toBeUndefined(); // not counted yet: as with trackPods: false
    await until(() => releasePods !== undefined, 'the pod list request');
    releasePods!();
    await live.podsCounted;
    expect(live.state.podsUsingRuntimeClass('wasm1')).toBe(1);
  });
});

const SA = 'system:serviceaccount:wasmgate:wasmgate';
const forbidden = (resource: string, verb: string): string =>
  JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `${resource} is forbidden: User "${SA}" cannot ${verb} resource "${resource}" in API group "" at the cluster scope`,
    reason: 'Forbidden',
    details: { kind: resource },
    code: 403,
  });

describe('a list or watch the API server refuses', () => {
  it('watch 403: one log line, /readyz 503 naming verb and resource, cleared when granted', async () => {
    let granted = false;
    let refused = 0;
    fake = await fakeApiServer((url, res) => {
      if (emptyRuntimeClasses(url, res)) return;
      if (url.searchParams.get('watch') !== 'true') return res.end(list([nodeObject('n1')], '5'));
      if (!granted) {
        refused++;
        res.writeHead(403, { 'content-type': 'application/json' });
        return res.end(forbidden('nodes', 'watch'));
      }
      res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders(); // allowed: stay open
    });
    const logs: string[] = [];
    live = startLiveState({ kubeconfig: fake.kubeconfig, trackPods: false, log: (l) => logs.push(l) });
    const { app } = buildApp({ config: config(), state: live.state });
    try {
      await live.synced; // the list was allowed
      await until(() => refused >= 3, 'three refused watches (retries)', 15_000);
      const problem = accessProblem(kindNamed('Node'), 'watch', 403, forbidden('nodes', 'watch'));
      expect(problem).toContain(`the ServiceAccount ${SA} lacks the "watch" verb on "nodes"`);
      expect(live.state.status().problems).toEqual([problem]);
      // one line for the transition, none per retry
      expect(logs.filter((l) => l.startsWith('access denied:'))).toEqual([accessDeniedLine(problem)]);
      expect(logs.filter((l) => l.includes('HTTP 403'))).toEqual([]);
      const denied = await app.inject({ method: 'GET', url: '/readyz' });
      expect(denied.statusCode).toBe(503);
      expect(denied.json()).toMatchObject({ status: 'access denied', problems: [problem] });

      granted = true;
      await until(() => live!.state.status().problems === undefined, 'the problem to clear once watch is allowed', 60_000);
      expect(logs.filter((l) => l.startsWith('access restored:'))).toEqual([accessRestoredLine(kindNamed('Node'), 'watch')]);
      expect(logs.filter((l) => l.startsWith('access denied:'))).toHaveLength(1);
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ status: 'ready' });
    } finally {
      await app.close();
    }
  }, 90_000);

  it('list 401 then 403: the problem follows what the API server says, and the first sync waits for it', async () => {
    let answer: 401 | 403 | 200 = 401;
    let refused = 0;
    fake = await fakeApiServer((url, res) => {
      if (emptyRuntimeClasses(url, res)) return;
      if (url.searchParams.get('watch') === 'true') return void res.writeHead(200, { 'content-type': 'application/json' });
      if (answer === 200) return res.end(list([nodeObject('n1')], '5'));
      refused++;
      res.writeHead(answer, { 'content-type': 'application/json' });
      res.end(
        answer === 401 ? '{"kind":"Status","code":401,"reason":"Unauthorized","message":"Unauthorized"}' : forbidden('nodes', 'list'),
      );
    });
    const logs: string[] = [];
    live = startLiveState({ kubeconfig: fake.kubeconfig, trackPods: false, log: (l) => logs.push(l) });
    const node = kindNamed('Node');
    await until(() => refused >= 2, 'two refused lists', 15_000);
    expect(live.state.status()).toMatchObject({ synced: false, problems: [accessProblem(node, 'list', 401, '')] });
    answer = 403;
    const forbiddenProblem = accessProblem(node, 'list', 403, forbidden('nodes', 'list'));
    await until(() => live!.state.status().problems?.[0] === forbiddenProblem, 'the 403 to replace the 401', 60_000);
    answer = 200;
    await live.synced;
    await until(() => live!.state.status().problems === undefined, 'the problem to clear', 10_000);
    expect(logs.filter((l) => l.startsWith('access '))).toEqual([
      accessDeniedLine(accessProblem(node, 'list', 401, '')),
      accessDeniedLine(forbiddenProblem),
      accessRestoredLine(node, 'list'),
    ]);
  }, 120_000);
});
