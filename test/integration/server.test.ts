/**
 * The webhook server over real TLS on 127.0.0.1: AdmissionReview in, AdmissionReview out; bad
 * input gets an exact 4xx naming the problem; failing rules and cluster state never become a 5xx.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateWebhookCerts } from '../../src/certs/generate.js';
import type { MemoryState } from '../../src/cluster/memory-state.js';
import type { ClusterState } from '../../src/cluster/types.js';
import { BODY_LIMIT } from '../../src/server/app.js';
import type { Rule } from '../../src/decide/types.js';
import { nodesAvailable } from '../../src/rules/nodes-available.js';
import { config, podObject, review, seedCluster } from '../harness/fixtures.js';
import {
  metricValue,
  decodePatch,
  getUrl,
  postJson,
  startTestServer,
  type HttpResult,
  type ReviewResponse,
  type TestServer,
} from './helpers.js';

const RUNTIME = 'wasmgate.dev/runtime';
const EXPECTED_PATCH = [{ op: 'add', path: '/spec/runtimeClassName', value: 'wasm1' }];

function wasmPod(extra: Record<string, string> = {}): Record<string, unknown> {
  return podObject({ annotations: { [RUNTIME]: 'wasmtime', ...extra } });
}

function asReview(r: HttpResult): ReviewResponse {
  expect(r.status, r.text.slice(0, 500)).toBe(200);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  return r.json as ReviewResponse;
}

/** An error answer: exact status, JSON body with a message matching `message`. */
function expectProblem(r: HttpResult, status: number, message: RegExp): void {
  expect(r.status, r.text.slice(0, 500)).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  expect(r.json).toBeTypeOf('object');
  const body = r.json as { message?: unknown };
  expect(body.message).toBeTypeOf('string');
  expect(body.message as string).toMatch(message);
}

describe('webhook server over TLS (default config, seed cluster)', () => {
  let server: TestServer;
  let state: MemoryState;
  let ca: string;
  let url: (path: string) => string;

  beforeAll(async () => {
    state = seedCluster();
    server = await startTestServer(config(), state);
    ca = server.certs.ca.cert;
    url = (path) => `${server.url}${path}`;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('presents a certificate that verifies against the generated CA, and not against another CA', async () => {
    const ok = await getUrl(url('/healthz'), ca);
    expect(ok.status).toBe(200);
    const other = await generateWebhookCerts('wasmgate', 'wasmgate');
    await expect(getUrl(url('/healthz'), other.ca.cert)).rejects.toThrow(/certificate|self.signed|issuer/i);
  });

  it('POST /mutate: sets runtimeClassName wasm1 on a pod annotated wasmtime', async () => {
    const body = review(wasmPod());
    const out = asReview(await postJson(url('/mutate'), body, { ca }));
    expect(out.apiVersion).toBe('admission.k8s.io/v1');
    expect(out.kind).toBe('AdmissionReview');
    expect(out.response.uid).toBe(body.request.uid);
    expect(out.response.allowed).toBe(true);
    expect(out.response.status).toBeUndefined();
    expect(out.response.patchType).toBe('JSONPatch');
    expect(decodePatch(out.response.patch)).toEqual(EXPECTED_PATCH);
    expect(Buffer.from(out.response.patch!, 'base64').toString('utf8')).toBe(JSON.stringify(EXPECTED_PATCH));
    expect(out.response.auditAnnotations).toBeDefined();
    expect(out.response.auditAnnotations!['runtimeclass-choice']).toMatch(/^wasm1: /);
  });

  it('POST /mutate: a pod that is not Wasm is allowed without a patch', async () => {
    const body = review(podObject());
    const out = asReview(await postJson(url('/mutate'), body, { ca }));
    expect(out.response.uid).toBe(body.request.uid);
    expect(out.response.allowed).toBe(true);
    expect(out.response.patch).toBeUndefined();
    expect(out.response.patchType).toBeUndefined();
  });

  it('accepts Content-Type application/json with parameters', async () => {
    const body = review(wasmPod());
    const out = asReview(await postJson(url('/mutate'), body, { ca, contentType: 'application/json; charset=utf-8' }));
    expect(decodePatch(out.response.patch)).toEqual(EXPECTED_PATCH);
  });

  it('POST /validate: a pod naming a missing RuntimeClass is denied with 403 naming the class', async () => {
    const body = review(podObject({ spec: { runtimeClassName: 'wasm2' } }));
    const out = asReview(await postJson(url('/validate'), body, { ca }));
    expect(out.response.uid).toBe(body.request.uid);
    expect(out.response.allowed).toBe(false);
    expect(out.response.status?.code).toBe(403);
    expect(out.response.status?.message.startsWith('[runtimeclass-exists]')).toBe(true);
    expect(out.response.status?.message).toContain('RuntimeClass wasm2');
    expect(out.response.patch).toBeUndefined();
  });

  it('POST /validate: a pod naming an existing Wasm class with usable nodes is allowed', async () => {
    const body = review(podObject({ spec: { runtimeClassName: 'wasm1' } }));
    const out = asReview(await postJson(url('/validate'), body, { ca }));
    expect(out.response.uid).toBe(body.request.uid);
    expect(out.response.allowed).toBe(true);
    expect(out.response.status).toBeUndefined();
  });

  it('POST /validate: nodes-available enforced by default denies a pod with no node to run on', async () => {
    const body = review(podObject({ spec: { runtimeClassName: 'wasm1', nodeSelector: { disk: 'ssd' } } }));
    const out = asReview(await postJson(url('/validate'), body, { ca }));
    expect(out.response.allowed).toBe(false);
    expect(out.response.status?.code).toBe(403);
    expect(out.response.status?.message).toMatch(/^\[nodes-available\] /);
  });

  describe('bad input: exact 4xx with a JSON message naming the problem', () => {
    it('not JSON → 400', async () => {
      const r = await postJson(url('/mutate'), undefined, { ca, rawBody: '{"apiVersion": ' });
      expectProblem(r, 400, /not valid JSON/);
    });

    it('empty body with Content-Type application/json → 400', async () => {
      const r = await postJson(url('/validate'), undefined, { ca, rawBody: '' });
      expectProblem(r, 400, /not valid JSON|empty/);
    });

    it('Content-Type text/plain → 415 naming the content type', async () => {
      const r = await postJson(url('/mutate'), review(wasmPod()), { ca, contentType: 'text/plain' });
      expectProblem(r, 415, /Content-Type must be application\/json, got text\/plain/);
    });

    it('Content-Type application/jsonx (not JSON) → 415', async () => {
      const r = await postJson(url('/mutate'), review(wasmPod()), { ca, contentType: 'application/jsonx' });
      expectProblem(r, 415, /Content-Type must be application\/json, got application\/jsonx/);
    });

    it('no Content-Type header (with a JSON body) → 415 saying none was given', async () => {
      const r = await postJson(url('/mutate'), review(wasmPod()), { ca, contentType: null });
      expectProblem(r, 415, /Content-Type must be application\/json, got none/);
    });

    it('no Content-Type and no body → 415', async () => {
      const r = await postJson(url('/validate'), undefined, { ca, contentType: null, rawBody: '' });
      expectProblem(r, 415, /Content-Type must be application\/json, got none/);
    });

    it('missing request → 400', async () => {
      const r = await postJson(url('/mutate'), { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, { ca });
      expectProblem(r, 400, /request is missing/);
    });

    it('missing request.uid → 400', async () => {
      const body = review(wasmPod()) as unknown as { request: Record<string, unknown> };
      delete body.request['uid'];
      const r = await postJson(url('/mutate'), body, { ca });
      expectProblem(r, 400, /request\.uid is missing/);
    });

    it('empty request.uid → 400', async () => {
      const body = review(wasmPod());
      body.request.uid = '';
      const r = await postJson(url('/validate'), body, { ca });
      expectProblem(r, 400, /request\.uid/);
    });

    it('apiVersion admission.k8s.io/v1beta1 → 400 naming the expected version', async () => {
      const body = { ...review(wasmPod()), apiVersion: 'admission.k8s.io/v1beta1' };
      const r = await postJson(url('/mutate'), body, { ca });
      expectProblem(r, 400, /apiVersion must be "admission\.k8s\.io\/v1"/);
    });

    it('a JSON array or null body → 400', async () => {
      expectProblem(await postJson(url('/mutate'), [], { ca }), 400, /AdmissionReview/);
      expectProblem(await postJson(url('/validate'), null, { ca }), 400, /AdmissionReview/);
    });

    it('ConfigMap to /mutate → 400 naming the kind', async () => {
      const body = review({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default' } });
      const r = await postJson(url('/mutate'), body, { ca });
      expectProblem(r, 400, /\/mutate does not handle kind ConfigMap/);
    });

    it('Node to /mutate → 400 naming the kind (Node is a /validate kind only)', async () => {
      const body = review({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
      const r = await postJson(url('/mutate'), body, { ca });
      expectProblem(r, 400, /\/mutate does not handle kind Node/);
    });

    it('ConfigMap to /validate → 400 naming the kind', async () => {
      const body = review({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default' } });
      const r = await postJson(url('/validate'), body, { ca });
      expectProblem(r, 400, /\/validate does not handle kind ConfigMap/);
    });

    it('a body one byte over 7 MiB → 413', async () => {
      const size = 7 * 1024 * 1024 + 1;
      expect(BODY_LIMIT).toBe(7 * 1024 * 1024);
      const prefix = '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","pad":"';
      const raw = `${prefix}${'x'.repeat(size - prefix.length - 2)}"}`;
      expect(Buffer.byteLength(raw)).toBe(size);
      const r = await postJson(url('/mutate'), undefined, { ca, rawBody: raw });
      expectProblem(r, 413, /larger than 7340032 bytes/);
    });

    it('a valid AdmissionReview of about 6.5 MiB (large annotation) → 200 with the patch', async () => {
      const body = review(wasmPod({ 'example.com/blob': 'y'.repeat(Math.floor(6.5 * 1024 * 1024)) }));
      const raw = JSON.stringify(body);
      expect(Buffer.byteLength(raw)).toBeGreaterThan(6.5 * 1024 * 1024);
      expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(BODY_LIMIT);
      const out = asReview(await postJson(url('/mutate'), undefined, { ca, rawBody: raw }));
      expect(out.response.uid).toBe(body.request.uid);
      expect(out.response.allowed).toBe(true);
      expect(decodePatch(out.response.patch)).toEqual(EXPECTED_PATCH);
    });

    it('GET /nope → 404 JSON naming the route', async () => {
      expectProblem(await getUrl(url('/nope'), ca), 404, /no route GET \/nope/);
    });

    it('GET /mutate → 404 (only POST is served)', async () => {
      expectProblem(await getUrl(url('/mutate'), ca), 404, /no route GET \/mutate/);
    });

    it('the server still answers correctly after all the bad input', async () => {
      expect((await getUrl(url('/healthz'), ca)).status).toBe(200);
      const body = review(wasmPod());
      const out = asReview(await postJson(url('/mutate'), body, { ca }));
      expect(out.response.uid).toBe(body.request.uid);
      expect(decodePatch(out.response.patch)).toEqual(EXPECTED_PATCH);
    });
  });

  describe('a rule that throws', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('/validate answers 200, allowed false, with the error text', async () => {
      const body = review(podObject({ spec: { runtimeClassName: 'wasm1' } }));
      // without the fault the same pod is allowed
      expect(asReview(await postJson(url('/validate'), body, { ca })).response.allowed).toBe(true);

      const spy = vi
        .spyOn(nodesAvailable.checks.podTemplate as Required<NonNullable<Rule['checks']['podTemplate']>>, 'CREATE')
        .mockImplementation(() => {
          throw new Error('simulated nodes-available failure');
        });
      const again = review(podObject({ spec: { runtimeClassName: 'wasm1' } }));
      const out = asReview(await postJson(url('/validate'), again, { ca }));
      expect(spy).toHaveBeenCalled();
      expect(out.response.uid).toBe(again.request.uid);
      expect(out.response.allowed).toBe(false);
      expect(out.response.status?.code).toBe(403);
      expect(out.response.status?.message).toContain('nodes-available');
      expect(out.response.status?.message).toContain('simulated nodes-available failure');
    });
  });

  describe('health, readiness and metrics', () => {
    it('GET /healthz → 200', async () => {
      const r = await getUrl(url('/healthz'), ca);
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ status: 'ok' });
    });

    it('GET /readyz → 200 when synced, 503 when not, 200 again after', async () => {
      const ready = await getUrl(url('/readyz'), ca);
      expect(ready.status).toBe(200);
      expect((ready.json as { status: string }).status).toBe('ready');
      state.markSynced(false);
      try {
        const notReady = await getUrl(url('/readyz'), ca);
        expect(notReady.status).toBe(503);
        expect((notReady.json as { status: string }).status).toBe('not synced');
      } finally {
        state.markSynced(true);
      }
      expect((await getUrl(url('/readyz'), ca)).status).toBe(200);
    });

    it('GET /metrics counts admission requests by endpoint and result', async () => {
      const name = 'wasmgate_admission_requests_total';
      const before = await getUrl(url('/metrics'), ca);
      expect(before.status).toBe(200);
      expect(before.text).toContain(`# TYPE ${name} counter`);
      const mutateBefore = metricValue(before.text, name, { endpoint: 'mutate' });
      const patchedBefore = metricValue(before.text, name, { endpoint: 'mutate', kind: 'Pod', result: 'patched' });
      const invalidBefore = metricValue(before.text, name, { endpoint: 'mutate', result: 'invalid' });
      const deniedBefore = metricValue(before.text, name, { endpoint: 'validate', kind: 'Pod', result: 'denied' });
      // earlier tests in this file already sent mutate requests
      expect(mutateBefore).toBeGreaterThan(0);

      for (let i = 0; i < 3; i++) asReview(await postJson(url('/mutate'), review(wasmPod()), { ca }));
      expectProblem(await postJson(url('/mutate'), undefined, { ca, rawBody: 'nope' }), 400, /not valid JSON/);
      asReview(await postJson(url('/validate'), review(podObject({ spec: { runtimeClassName: 'wasm2' } })), { ca }));

      const after = await getUrl(url('/metrics'), ca);
      expect(metricValue(after.text, name, { endpoint: 'mutate' })).toBe(mutateBefore + 4);
      expect(metricValue(after.text, name, { endpoint: 'mutate', kind: 'Pod', result: 'patched' })).toBe(patchedBefore + 3);
      expect(metricValue(after.text, name, { endpoint: 'mutate', result: 'invalid' })).toBe(invalidBefore + 1);
      expect(metricValue(after.text, name, { endpoint: 'validate', kind: 'Pod', result: 'denied' })).toBe(deniedBefore + 1);
      expect(metricValue(after.text, 'wasmgate_cluster_runtimeclasses', {})).toBe(2);
      expect(metricValue(after.text, 'wasmgate_cluster_nodes', {})).toBe(5);
      expect(metricValue(after.text, 'wasmgate_cluster_state_synced', {})).toBe(1);
    });
  });

  it('200 parallel mixed requests all answer 200 with matching uids and the right decision', async () => {
    type Case = { path: string; body: ReturnType<typeof review>; check: (r: ReviewResponse['response']) => void };
    const cases: Case[] = [];
    for (let i = 0; i < 200; i++) {
      switch (i % 4) {
        case 0:
          cases.push({
            path: '/mutate',
            body: review(podObject({ name: `w-${i}`, annotations: { [RUNTIME]: 'wasmtime' } })),
            check: (r) => expect(decodePatch(r.patch)).toEqual(EXPECTED_PATCH),
          });
          break;
        case 1:
          cases.push({
            path: '/mutate',
            body: review(podObject({ name: `p-${i}` })),
            check: (r) => {
              expect(r.allowed).toBe(true);
              expect(r.patch).toBeUndefined();
            },
          });
          break;
        case 2:
          cases.push({
            path: '/validate',
            body: review(podObject({ name: `m-${i}`, spec: { runtimeClassName: 'wasm2' } })),
            check: (r) => {
              expect(r.allowed).toBe(false);
              expect(r.status?.message).toContain(`Pod default/m-${i} `);
            },
          });
          break;
        default:
          cases.push({
            path: '/validate',
            body: review(podObject({ name: `ok-${i}`, spec: { runtimeClassName: 'wasm1' } })),
            check: (r) => expect(r.allowed).toBe(true),
          });
      }
    }
    const results = await Promise.all(cases.map((c) => postJson(url(c.path), c.body, { ca })));
    expect(new Set(cases.map((c) => c.body.request.uid)).size).toBe(200);
    results.forEach((r, i) => {
      const out = asReview(r);
      expect(out.response.uid).toBe(cases[i]!.body.request.uid);
      cases[i]!.check(out.response);
    });
    // and it is still healthy
    expect((await getUrl(url('/healthz'), ca)).status).toBe(200);
  });
});

describe('warn mode (nodes-available: warn)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(config({ rules: { 'nodes-available': 'warn' } }), seedCluster());
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a pod with no node to run on is allowed, with a [nodes-available] warning', async () => {
    const body = review(podObject({ spec: { runtimeClassName: 'wasm1', nodeSelector: { disk: 'ssd' } } }));
    const out = asReview(await postJson(`${server.url}/validate`, body, { ca: server.certs.ca.cert }));
    expect(out.response.uid).toBe(body.request.uid);
    expect(out.response.allowed).toBe(true);
    expect(out.response.status).toBeUndefined();
    expect(out.response.warnings).toBeDefined();
    expect(out.response.warnings!.length).toBe(1);
    expect(out.response.warnings![0]).toMatch(/^\[nodes-available\] .*has no node to run on/);
  });
});

/** A ClusterState that delegates to `inner` and throws from the calls switched on in `faults`. */
function faultyState(inner: ClusterState): { state: ClusterState; faults: { listRuntimeClasses: boolean; status: boolean } } {
  const faults = { listRuntimeClasses: false, status: false };
  const state: ClusterState = {
    kind: inner.kind,
    status() {
      if (faults.status) throw new Error('simulated status failure');
      return inner.status();
    },
    getRuntimeClass: (name) => inner.getRuntimeClass(name),
    listRuntimeClasses() {
      if (faults.listRuntimeClasses) throw new Error('simulated listRuntimeClasses failure');
      return inner.listRuntimeClasses();
    },
    getNode: (name) => inner.getNode(name),
    schedulingIndex: () => inner.schedulingIndex(),
    nodeCount: () => inner.nodeCount(),
    nodesMatching: (selector) => inner.nodesMatching(selector),
    countWithLabel: (key, value) => inner.countWithLabel(key, value),
    podsUsingRuntimeClass: (name) => inner.podsUsingRuntimeClass(name),
  };
  return { state, faults };
}

describe('failing cluster state never becomes a 5xx', () => {
  let server: TestServer;
  let faults: { listRuntimeClasses: boolean; status: boolean };
  let ca: string;
  beforeAll(async () => {
    const f = faultyState(seedCluster());
    faults = f.faults;
    server = await startTestServer(config(), f.state);
    ca = server.certs.ca.cert;
  });
  afterEach(() => {
    faults.listRuntimeClasses = false;
    faults.status = false;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('baseline: without faults the pod is patched', async () => {
    const out = asReview(await postJson(`${server.url}/mutate`, review(wasmPod()), { ca }));
    expect(decodePatch(out.response.patch)).toEqual(EXPECTED_PATCH);
  });

  it('/mutate with a choice that throws → 200, allowed, no patch, the failure in auditAnnotations', async () => {
    faults.listRuntimeClasses = true;
    const body = review(wasmPod());
    const out = asReview(await postJson(`${server.url}/mutate`, body, { ca }));
    expect(out.response.uid).toBe(body.request.uid);
    expect(out.response.allowed).toBe(true);
    expect(out.response.patch).toBeUndefined();
    expect(out.response.patchType).toBeUndefined();
    expect(out.response.auditAnnotations?.['runtimeclass-choice']).toContain('simulated listRuntimeClasses failure');
  });

  it('/mutate when the whole decision throws → 200, allowed, no patch', async () => {
    faults.status = true;
    const body = review(wasmPod());
    const out = asReview(await postJson(`${server.url}/mutate`, body, { ca }));
    expect(out.response.uid).toBe(body.request.uid);
    expect(out.response.allowed).toBe(true);
    expect(out.response.patch).toBeUndefined();
    expect(Object.values(out.response.auditAnnotations ?? {}).join('\n')).toContain('simulated status failure');
  });

  it('/validate when the whole decision throws → 200, allowed false with the error text', async () => {
    faults.status = true;
    const body = review(podObject({ spec: { runtimeClassName: 'wasm1' } }));
    const out = asReview(await postJson(`${server.url}/validate`, body, { ca }));
    expect(out.response.uid).toBe(body.request.uid);
    expect(out.response.allowed).toBe(false);
    expect(out.response.status?.code).toBe(403);
    expect(out.response.status?.message).toContain('simulated status failure');
  });

  it('/validate when a rule reading the state throws → 200, allowed false naming the rule', async () => {
    faults.listRuntimeClasses = true;
    // missing class: runtimeclass-exists lists the Wasm classes for its message
    const body = review(podObject({ spec: { runtimeClassName: 'wasm2' } }));
    const out = asReview(await postJson(`${server.url}/validate`, body, { ca }));
    expect(out.response.allowed).toBe(false);
    expect(out.response.status?.message).toContain('runtimeclass-exists');
    expect(out.response.status?.message).toContain('simulated listRuntimeClasses failure');
  });

  it('the server still answers after the faults are cleared', async () => {
    const out = asReview(await postJson(`${server.url}/mutate`, review(wasmPod()), { ca }));
    expect(decodePatch(out.response.patch)).toEqual(EXPECTED_PATCH);
    expect((await getUrl(`${server.url}/healthz`, ca)).status).toBe(200);
  });
});
