/**
 * Fuzzing the webhook with fast-check: generated AdmissionReviews (Pods, workloads, RuntimeClasses,
 * Nodes; plausible and hostile fields) and mutations of them (JSON tree edits, byte edits,
 * truncation, odd headers). Every answer must be a well-formed 200 AdmissionReview carrying the
 * request's uid, or a 4xx with a JSON problem; never a 5xx, never a crash.
 *
 * Volume goes through app.inject (no sockets): FUZZ_BATCHES x FUZZ_BATCH_SIZE reviews, 100,000 by
 * default; a smaller batch goes over real TLS. The seed is printed; replay a failure with
 * FUZZ_SEED=<seed> npx vitest run test/integration/fuzz.test.ts
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { generateWebhookCerts } from '../../src/certs/generate.js';
import { loadSnapshot } from '../../src/cluster/snapshot.js';
import type { MemoryState } from '../../src/cluster/memory-state.js';
import { buildApp } from '../../src/server/app.js';
import { config } from '../harness/fixtures.js';
import { httpsCall } from './helpers.js';

const SEED = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31;
const BATCHES = Number(process.env['FUZZ_BATCHES'] ?? 4);
const BATCH_SIZE = Number(process.env['FUZZ_BATCH_SIZE'] ?? 25_000);
const TLS_RUNS = Number(process.env['FUZZ_TLS_RUNS'] ?? 1_000);

// ---- generators -------------------------------------------------------------------------------

const labelKey = fc.oneof(
  fc.constantFrom(
    'kubernetes.io/arch',
    'kubernetes.io/os',
    'wasm',
    'wasmtime-enabled',
    'spin',
    'zone',
    'node.kubernetes.io/instance-type',
    'example.k8s.io/x',
  ),
  fc.string({ maxLength: 40 }),
);
const labelValue = fc.oneof(fc.constantFrom('yes', 'true', 'amd64', 'arm64', 'linux', ''), fc.string({ maxLength: 20 }));
const labels = fc.dictionary(labelKey, labelValue, { maxKeys: 12 });
const runtimeName = fc.oneof(
  fc.constantFrom('auto', 'wasm1', 'wasmtime', 'spin', 'wasmtime-spin-v2', 'crun', 'runc', ''),
  fc.string({ maxLength: 30 }),
);

const toleration = fc.record(
  {
    key: labelKey,
    operator: fc.constantFrom('Equal', 'Exists', 'Bogus'),
    value: labelValue,
    effect: fc.constantFrom('NoSchedule', 'NoExecute', 'PreferNoSchedule', ''),
  },
  { requiredKeys: [] },
);
const expression = fc.record({
  key: labelKey,
  operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt', 'Weird'),
  values: fc.array(fc.oneof(labelValue, fc.integer().map(String)), { maxLength: 4 }),
});
const affinity = fc.record(
  {
    nodeAffinity: fc.record(
      {
        requiredDuringSchedulingIgnoredDuringExecution: fc.record({
          nodeSelectorTerms: fc.array(
            fc.record(
              { matchExpressions: fc.array(expression, { maxLength: 4 }), matchFields: fc.array(expression, { maxLength: 2 }) },
              { requiredKeys: [] },
            ),
            { maxLength: 4 },
          ),
        }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);
const podSpec = fc.record(
  {
    runtimeClassName: runtimeName,
    nodeSelector: labels,
    nodeName: fc.constantFrom('wasm-1', 'plain-1', 'nope'),
    tolerations: fc.array(toleration, { maxLength: 5 }),
    affinity,
    containers: fc.array(fc.record({ name: fc.string({ maxLength: 10 }), image: fc.string({ maxLength: 30 }) }), { maxLength: 4 }),
  },
  { requiredKeys: [] },
);
const meta = fc.record(
  {
    name: fc.string({ maxLength: 30 }),
    generateName: fc.string({ maxLength: 10 }),
    namespace: fc.constantFrom('default', 'apps', 'kube-system'),
    labels,
    annotations: fc.dictionary(
      fc.oneof(fc.constantFrom('wasmgate.dev/runtime', 'module.wasm.image/variant', 'run.oci.handler'), fc.string({ maxLength: 30 })),
      runtimeName,
      { maxKeys: 4 },
    ),
  },
  { requiredKeys: [] },
);
const pod = fc.record({ apiVersion: fc.constant('v1'), kind: fc.constant('Pod'), metadata: meta, spec: podSpec });
const workload = fc
  .tuple(
    fc.constantFrom('Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'PodTemplate', 'ReplicationController'),
    meta,
    meta,
    podSpec,
  )
  .map(([kind, m, tm, spec]) => ({
    apiVersion: kind === 'Job' ? 'batch/v1' : kind === 'PodTemplate' || kind === 'ReplicationController' ? 'v1' : 'apps/v1',
    kind,
    metadata: m,
    ...(kind === 'PodTemplate' ? { template: { metadata: tm, spec } } : { spec: { template: { metadata: tm, spec } } }),
  }));
const cronJob = fc
  .tuple(meta, podSpec)
  .map(([m, spec]) => ({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: m, spec: { jobTemplate: { spec: { template: { spec } } } } }));
const runtimeClass = fc.record(
  {
    apiVersion: fc.constant('node.k8s.io/v1'),
    kind: fc.constant('RuntimeClass'),
    metadata: meta,
    handler: runtimeName,
    scheduling: fc.record({ nodeSelector: labels, tolerations: fc.array(toleration, { maxLength: 3 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: ['kind', 'metadata'] },
);
const nodeObj = fc.record(
  {
    apiVersion: fc.constant('v1'),
    kind: fc.constant('Node'),
    metadata: meta,
    spec: fc.record({ unschedulable: fc.boolean(), taints: fc.array(toleration, { maxLength: 3 }) }, { requiredKeys: [] }),
    status: fc.record({
      conditions: fc.array(fc.record({ type: fc.constantFrom('Ready', 'Other'), status: fc.constantFrom('True', 'False', 'Unknown') }), {
        maxLength: 2,
      }),
    }),
  },
  { requiredKeys: ['kind'] },
);
const object = fc.oneof(
  { weight: 5, arbitrary: pod },
  { weight: 3, arbitrary: workload },
  { weight: 1, arbitrary: cronJob },
  { weight: 2, arbitrary: runtimeClass },
  { weight: 2, arbitrary: nodeObj },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
);

const uid = fc.oneof({ weight: 8, arbitrary: fc.uuid() }, { weight: 1, arbitrary: fc.string({ minLength: 0, maxLength: 140 }) });
const reviewArb = fc
  .record({
    uid,
    op: fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT', 'PATCH'),
    obj: fc.option(object, { nil: null }),
    old: fc.option(object, { nil: null }),
    dryRun: fc.boolean(),
  })
  .map(({ uid: u, op, obj, old, dryRun }) => {
    const src = (obj ?? old ?? {}) as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
    const kind = typeof src.kind === 'string' ? src.kind : 'Pod';
    return {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: u,
        kind: { group: '', version: 'v1', kind },
        resource: { group: '', version: 'v1', resource: `${kind.toLowerCase()}s` },
        operation: op,
        name: typeof src.metadata?.name === 'string' ? src.metadata.name : '',
        ...(typeof src.metadata?.namespace === 'string' ? { namespace: src.metadata.namespace } : {}),
        object: obj,
        oldObject: old,
        dryRun,
      },
    };
  });

type Mutation = (text: string) => fc.Arbitrary<string | Buffer>;
/** Edits of the serialized review: the property still holds whatever they produce. */
const mutations: Mutation[] = [
  (t) => fc.constant(t),
  (t) => fc.nat(t.length).map((i) => t.slice(0, i)),
  (t) => fc.tuple(fc.nat(t.length), fc.string({ maxLength: 3 })).map(([i, s]) => t.slice(0, i) + s + t.slice(i)),
  (t) => fc.tuple(fc.nat(t.length), fc.nat(8)).map(([i, n]) => t.slice(0, i) + t.slice(i + n)),
  (t) =>
    fc.tuple(fc.nat(t.length), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
      const buf = Buffer.from(t);
      buf[Math.min(i, buf.length - 1)] = b;
      return buf;
    }),
  (t) =>
    fc
      .constantFrom('{}', '[]', 'null', '"x"', '1e999', '', '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}')
      .map((x) => (x === '' ? t.replace(/"request"/, '"requesT"') : x)),
];
/** Edits of the parsed review: a random path replaced by anything. */
function treeEdit(r: Record<string, unknown>): fc.Arbitrary<string> {
  const paths: string[][] = [
    ['apiVersion'],
    ['kind'],
    ['request'],
    ['request', 'uid'],
    ['request', 'kind'],
    ['request', 'kind', 'kind'],
    ['request', 'operation'],
    ['request', 'object'],
    ['request', 'object', 'spec'],
    ['request', 'object', 'metadata'],
    ['request', 'oldObject'],
    ['request', 'name'],
    ['request', 'namespace'],
    ['request', 'dryRun'],
  ];
  return fc.tuple(fc.constantFrom(...paths), fc.anything({ maxDepth: 2 }), fc.boolean()).map(([path, value, remove]) => {
    const copy = structuredClone(r);
    let at: Record<string, unknown> = copy;
    for (const key of path.slice(0, -1)) {
      const next = at[key];
      if (next === null || typeof next !== 'object') return JSON.stringify(copy);
      at = next as Record<string, unknown>;
    }
    if (remove) delete at[path[path.length - 1]!];
    else at[path[path.length - 1]!] = value;
    return JSON.stringify(copy) ?? 'null';
  });
}

const headerArb = fc.oneof(
  { weight: 20, arbitrary: fc.constant({ 'content-type': 'application/json' }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      { 'content-type': 'application/json; charset=utf-16' },
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      {},
    ),
  },
);

const caseArb = fc
  .tuple(reviewArb, fc.constantFrom<'mutate' | 'validate'>('mutate', 'validate'), headerArb, fc.nat(mutations.length + 1))
  .chain(([r, endpoint, headers, m]) => {
    const text = JSON.stringify(r);
    const payload = m < mutations.length ? mutations[m]!(text) : treeEdit(r as unknown as Record<string, unknown>);
    return payload.map((body) => ({ endpoint, headers, body }));
  });

// ---- the property -----------------------------------------------------------------------------

/** The uid the answer must carry, when the body is a JSON object with a string request.uid. */
function sentUid(body: string | Buffer): string | undefined {
  try {
    const parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as { request?: { uid?: unknown } };
    return typeof parsed?.request?.uid === 'string' ? parsed.request.uid : undefined;
  } catch {
    return undefined;
  }
}

function checkAnswer(status: number, text: string, body: string | Buffer): void {
  // node:assert, not expect: this runs 100,000 times
  const json = JSON.parse(text) as Record<string, unknown>;
  if (status === 200) {
    assert.equal(json['apiVersion'], 'admission.k8s.io/v1');
    assert.equal(json['kind'], 'AdmissionReview');
    const response = json['response'] as {
      uid: unknown;
      allowed: unknown;
      status?: { code: number; message: string };
      patch?: string;
      patchType?: string;
      warnings?: unknown[];
    };
    assert.equal(response.uid, sentUid(body), 'the answer carries the request uid');
    assert.equal(typeof response.allowed, 'boolean');
    if (response.allowed === false) {
      assert.equal(response.status?.code, 403);
      assert.equal(typeof response.status?.message, 'string');
    }
    if (response.patch !== undefined) {
      assert.equal(response.patchType, 'JSONPatch');
      assert.ok(Array.isArray(JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'))));
    }
    if (response.warnings !== undefined) assert.ok(response.warnings.every((w) => typeof w === 'string'));
    return;
  }
  assert.ok(status >= 400 && status < 500, `status ${status}: ${text.slice(0, 300)}`);
  assert.equal(typeof json['message'], 'string');
  assert.ok((json['message'] as string).length < 2_000, 'a bounded message');
}

// ---- the runs ---------------------------------------------------------------------------------

describe('fuzzing AdmissionReviews', () => {
  let state: MemoryState;
  beforeAll(async () => {
    state = (await loadSnapshot('examples/cluster')).state;
    console.log(`fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED}); ${BATCHES} x ${BATCH_SIZE} through app.inject, ${TLS_RUNS} over TLS`);
  });

  for (let batch = 0; batch < BATCHES; batch++) {
    it(`batch ${batch + 1}/${BATCHES}: ${BATCH_SIZE} reviews through app.inject`, { timeout: 600_000 }, async () => {
      const { app } = buildApp({ config: config({ rules: { 'reserved-label-keys': 'warn' } }), state });
      await app.ready();
      try {
        await fc.assert(
          fc.asyncProperty(caseArb, async ({ endpoint, headers, body }) => {
            const r = await app.inject({ method: 'POST', url: `/${endpoint}`, headers: { ...headers }, payload: body });
            checkAnswer(r.statusCode, r.body, body);
          }),
          { numRuns: BATCH_SIZE, seed: SEED + batch, endOnFailure: true },
        );
      } finally {
        await app.close();
      }
    });
  }

  describe('over real TLS', () => {
    let close: () => Promise<void>;
    let url: string;
    let ca: string;
    beforeAll(async () => {
      const certs = await generateWebhookCerts('wasmgate', 'wasmgate');
      const { app } = buildApp({ config: config(), state, https: { cert: certs.serving.cert, key: certs.serving.key } });
      await app.listen({ port: 0, host: '127.0.0.1' });
      url = `https://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      ca = certs.ca.cert;
      close = () => app.close();
    });
    afterAll(async () => {
      await close?.();
    });

    it(`${TLS_RUNS} reviews over HTTPS`, { timeout: 600_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(caseArb, async ({ endpoint, headers, body }) => {
          const h: Record<string, string | number> = { 'content-length': Buffer.byteLength(body) };
          for (const [k, v] of Object.entries(headers)) if (v !== undefined) h[k] = v;
          const r = await httpsCall(`${url}/${endpoint}`, { method: 'POST', ca, headers: h, body });
          checkAnswer(r.status, r.text, body);
        }),
        { numRuns: TLS_RUNS, seed: SEED + 1_000, endOnFailure: true },
      );
    });
  });
});
