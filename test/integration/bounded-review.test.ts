/**
 * Bounded work per review (issue 10, item 1), through the real server over TLS: the 20,000-key
 * nodeSelector that once took seconds and answered 9.8 MiB gets a short, correct answer and one
 * short log line; a review with too many JSON items is answered unparsed; ordinary reviews still pass.
 * Nothing here is timed: sizes and verdicts are checked, not durations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookCerts } from '../../src/certs/generate.js';
import { MESSAGE_LENGTH } from '../../src/decide/limits.js';
import { buildApp } from '../../src/server/app.js';
import type { Metrics } from '../../src/server/metrics.js';
import { config, nodeObject, podObject, review, runtimeClassObject, seedCluster } from '../harness/fixtures.js';
import { logLines } from '../harness/log-lines.js';
import { postReview, type ReviewResponse } from './helpers.js';

const keyed = (n: number, key: (i: number) => string): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [key(i), 'v']));

describe('bounded work per review, over TLS', () => {
  const log = logLines();
  let url: string;
  let ca: string;
  let close: () => Promise<void>;
  let metrics: Metrics;

  beforeAll(async () => {
    const certs = await generateWebhookCerts('wasmgate', 'wasmgate');
    const built = buildApp({
      config: config(),
      state: seedCluster(),
      https: { cert: certs.serving.cert, key: certs.serving.key },
      logger: { level: 'info', stream: log.stream },
    });
    const app = built.app;
    metrics = built.metrics;
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    url = `https://127.0.0.1:${address.port}`;
    ca = certs.ca.cert;
    close = () => app.close();
  });
  afterAll(async () => {
    await close?.();
  });

  /** The log lines written for the review with this uid. */
  const logFor = (uid: string): string[] => log.lines.filter((l) => l.includes(uid));

  it('a Wasm pod with 20,000 reserved selector keys (517 KiB): denied, once, in a short message and a short log line', async () => {
    const body = review(
      podObject({
        name: 'hostile',
        namespace: 'apps',
        spec: { runtimeClassName: 'wasm1', nodeSelector: keyed(20000, (i) => `kubernetes.io/k${i}`) },
      }),
    );
    const text = JSON.stringify(body);
    expect(text.length).toBeGreaterThan(500 * 1024);
    const r = await postReview(`${url}/validate`, text, ca);
    expect(r.status).toBe(200);
    const response = (r.body as ReviewResponse).response;
    expect(response.uid).toBe(body.request.uid);
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toMatch(
      /^\[limits\] Pod apps\/hostile is too large for wasmgate to check: spec\.nodeSelector has 20,000 entries, over the cap of 128 \(limits\.nodeSelectorEntries\)\./,
    );
    expect(response.status!.message.length).toBeLessThanOrEqual(MESSAGE_LENGTH);
    expect(response.warnings).toBeUndefined();
    // the whole answer was 9.8 MiB before
    expect(r.text.length).toBeLessThan(2048);
    const logged = logFor(body.request.uid);
    expect(logged).toHaveLength(1);
    expect(logged[0]!.length).toBeLessThan(4096);
  });

  it('under the caps, one finding per reserved key is kept to 10 per rule, with a count of the rest', async () => {
    const body = review(
      podObject({
        name: 'many',
        namespace: 'apps',
        spec: { runtimeClassName: 'wasm1', nodeSelector: keyed(100, (i) => `kubernetes.io/k${String(i).padStart(3, '0')}`) },
      }),
    );
    const r = await postReview(`${url}/validate`, body, ca);
    const response = (r.body as ReviewResponse).response;
    expect(response.allowed).toBe(false);
    const items = response.status!.message.split('\n').filter((l) => /^\d+\. \[reserved-label-keys\]/.test(l));
    expect(items).toHaveLength(11);
    expect(items[10]).toBe('11. [reserved-label-keys] And 90 more of the same kind, not listed: wasmgate lists at most 10 per rule.');
    expect(response.status!.message).toContain('and 93 more labels');
  });

  it('a pod that is not Wasm is allowed whatever its selector', async () => {
    const body = review(
      podObject({ name: 'plain', namespace: 'apps', spec: { nodeSelector: keyed(15000, (i) => `kubernetes.io/k${i}`) } }),
    );
    const r = await postReview(`${url}/validate`, body, ca);
    expect((r.body as ReviewResponse).response).toEqual({ uid: body.request.uid, allowed: true });
  });

  it('a RuntimeClass with 5,000 selector keys is denied naming the cap', async () => {
    const body = review(
      runtimeClassObject(
        'hostile',
        'wasmtime',
        keyed(5000, (i) => `k${i}`),
      ),
    );
    const r = await postReview(`${url}/validate`, body, ca);
    const response = (r.body as ReviewResponse).response;
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toContain(
      '[limits] RuntimeClass hostile is too large for wasmgate to check: scheduling.nodeSelector has 5,000 entries',
    );
  });

  it('a review with more than 25,000 JSON items is not parsed: /validate denies it by its uid, /mutate leaves it alone', async () => {
    const body = review(podObject({ spec: { runtimeClassName: 'wasm1', nodeSelector: keyed(100000, (i) => `kubernetes.io/k${i}`) } }));
    const denied = await postReview(`${url}/validate`, body, ca);
    expect(denied.status).toBe(200);
    expect((denied.body as ReviewResponse).response).toEqual({
      uid: body.request.uid,
      allowed: false,
      status: {
        code: 403,
        reason: 'Forbidden',
        message:
          "[limits] The body holds more than 25,000 JSON items (object members and array elements), the most wasmgate reads in one AdmissionReview (limits.jsonItems in its config), so it was not parsed; an ordinary AdmissionReview has a few hundred to a few thousand. Fix: make the object smaller, or have an admin raise limits.jsonItems in wasmgate's config.",
      },
    });
    expect(logFor(body.request.uid)).toHaveLength(1);
    const unchanged = await postReview(`${url}/mutate`, body, ca);
    const response = (unchanged.body as ReviewResponse).response;
    expect(response).toMatchObject({ uid: body.request.uid, allowed: true });
    expect(response.patch).toBeUndefined();
    expect(response.auditAnnotations?.['runtimeclass-choice']).toMatch(/^none: The body holds more than 25,000 JSON items/);
  });

  it('a Node update with more than 25,000 JSON items is admitted with a warning: no Node rule denies by default', async () => {
    // the images a kubelet reports with nodeStatusMaxImages: -1, on an old and a new Node
    const status = {
      images: Array.from({ length: 3000 }, (_, i) => ({
        names: [`registry.example/app-${i}@sha256:${i}`, `registry.example/app-${i}:v1`],
        sizeBytes: i,
      })),
    };
    const before = { ...nodeObject('big', { 'wasmtime-enabled': 'yes' }), status };
    const after = { ...nodeObject('big', { 'wasmtime-enabled': 'yes', tier: 'gold' }), status };
    const body = review(after, 'UPDATE', before);
    const r = await postReview(`${url}/validate`, body, ca);
    const response = (r.body as ReviewResponse).response;
    expect(response).toMatchObject({ uid: body.request.uid, allowed: true });
    expect(response.warnings).toEqual([
      "[limits] The body holds more than 25,000 JSON items (object members and array elements), the most wasmgate reads in one AdmissionReview (limits.jsonItems in its config), so it was not parsed; an ordinary AdmissionReview has a few hundred to a few thousand. Fix: make the object smaller, or have an admin raise limits.jsonItems in wasmgate's config.",
    ]);
    expect(logFor(body.request.uid)).toEqual([expect.stringContaining('"kind":"Node"')]);
    const counted = (await metrics.findings.get()).values.find((v) => v.labels.rule === 'limits' && v.labels.mode === 'warn');
    expect(counted?.value).toBe(1);
  });

  it('a body with too many items and no uid to answer to gets a 413, and the server goes on', async () => {
    const r = await postReview(
      `${url}/validate`,
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: { items: Array.from({ length: 60000 }, (_, i) => i) },
      }),
      ca,
    );
    expect(r.status).toBe(413);
    expect((JSON.parse(r.text) as { message: string }).message).toMatch(/^the body holds more than 25,000 JSON items/);
    const ordinary = review(
      podObject({
        spec: { runtimeClassName: 'wasm1', tolerations: [{ key: 'wasm', operator: 'Equal', value: 'true', effect: 'NoSchedule' }] },
      }),
    );
    const ok = await postReview(`${url}/validate`, ordinary, ca);
    expect((ok.body as ReviewResponse).response).toMatchObject({ uid: ordinary.request.uid, allowed: true });
  });
});
