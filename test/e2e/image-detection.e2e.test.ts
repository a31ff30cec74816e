/**
 * Issue 15, end to end: no annotation needed. A REAL kube-apiserver calls `wasmgate serve` (real
 * process) with image detection on; wasmgate reads the images from a REAL registry (distribution
 * v3 built from its Go module, on loopback over TLS with htpasswd basic auth; objects pushed by
 * oras) with credentials from a dockerconfigjson Secret named in its config. Everything goes
 * through `kubectl apply`. Audit annotations are read from the API server's own audit log.
 *
 * No timed assertions: before the cases, each image is looked up once through a server-side dry
 * run, waiting (with a generous deadline) until wasmgate has classified it, so a slow machine
 * cannot turn a cold lookup past the budget into a failure; the cases then run on a warm cache.
 * The registry-outage case is the one that must hit the budget, and it checks only the outcome.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { applyObjects, createNode, kubectlJson, useControlPlane, waitFor } from '../harness/controlplane.js';
import { metricValue, scrapeMetrics } from '../harness/http.js';
import { registerWebhooks, REPO, startWasmgate, type Wasmgate } from '../harness/wasmgate.js';
import { startRegistry, tempDir, testPki, toolBin, type RunningRegistry, type TestPki } from '../registry/harness.js';
import { pushAll, REPOS, type ObjectName } from '../registry/objects.js';

const NS = 'apps';
const USER = { wasmgate: 'e2e-basic-password' };
const W = { 'wasmtime-enabled': 'yes' };
const S = { 'spin-enabled': 'yes' };

// The audit policy must exist before kube-apiserver starts: written when the file loads.
const auditDir = mkdtempSync(join(tmpdir(), 'wasmgate-e2e-audit-'));
const auditLog = join(auditDir, 'audit.log');
writeFileSync(
  join(auditDir, 'policy.yaml'),
  stringify({
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    omitStages: ['RequestReceived'],
    rules: [{ level: 'Metadata', resources: [{ group: '', resources: ['pods'] }], verbs: ['create'] }, { level: 'None' }],
  }),
);

let work: { dir: string; remove: () => Promise<void> };
let pki: TestPki;
let registry: RunningRegistry;
let digests: Record<ObjectName, string>;
let wg: Wasmgate;
let config: Record<string, unknown>;
/** images classified so far (the warm-up waits for each) */
let warmed = 0;

const image = (name: ObjectName) => `${registry.host}/${REPOS[name]}`;

const cp = useControlPlane(
  {
    scheduler: false,
    apiServerArgs: [`--audit-policy-file=${join(auditDir, 'policy.yaml')}`, `--audit-log-path=${auditLog}`, '--audit-log-mode=blocking'],
  },
  async (cp) => {
    work = await tempDir('wasmgate-e2e-images-');
    pki = await testPki(join(work.dir, 'pki'));
    const bin = await toolBin('registry');
    const storage = join(work.dir, 'storage');
    // push anonymously (oras), then serve the same storage with basic auth: the one wasmgate uses
    const open = await startRegistry({ bin, storage, pki, auth: { kind: 'anonymous' }, workDir: join(work.dir, 'open') });
    try {
      digests = await pushAll(await toolBin('oras'), open.host, pki, work.dir);
    } finally {
      await open.stop();
    }
    registry = await startRegistry({ bin, storage, pki, auth: { kind: 'basic', users: USER }, workDir: join(work.dir, 'basic') });

    await createNode(cp, { name: 'plain-1' });
    await createNode(cp, { name: 'wasm-1', labels: W });
    await createNode(cp, { name: 'spin-1', labels: S });
    const dockerconfig = { auths: { [registry.host]: { username: 'wasmgate', password: USER.wasmgate } } };
    await applyObjects(cp, [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'wasmgate' } },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'registry-credentials', namespace: 'wasmgate' },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': Buffer.from(JSON.stringify(dockerconfig)).toString('base64') },
      },
      {
        apiVersion: 'node.k8s.io/v1',
        kind: 'RuntimeClass',
        metadata: { name: 'wasm1' },
        handler: 'wasmtime',
        scheduling: { nodeSelector: W },
      },
      {
        apiVersion: 'node.k8s.io/v1',
        kind: 'RuntimeClass',
        metadata: { name: 'wasmtime-spin-v2' },
        handler: 'spin',
        scheduling: { nodeSelector: S },
      },
    ]);
    config = {
      imageDetection: {
        enabled: true,
        registries: [registry.host],
        caFile: pki.caFile,
        credentialsSecret: { namespace: 'wasmgate', name: 'registry-credentials' },
        budgetMs: 2000,
      },
    };
    wg = await startWasmgate(cp, config);
    await registerWebhooks(cp, wg, config);
    // warm the cache: each image looked up once (server-side dry runs), until wasmgate knows it
    for (const name of ['wasiImage', 'spinApp', 'linux', 'mixedIndex'] as const) {
      await waitFor(
        async () => {
          await cp.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: JSON.stringify(plainPod('warm', [['app', image(name)]])) });
          if ((await lookups('error')) > 0) throw new Error(`wasmgate failed to look up ${image(name)}:\n${wg.output()}`);
          return (await lookups('classified')) >= warmed + 1;
        },
        { timeoutMs: 120_000, intervalMs: 500, what: `wasmgate to classify ${image(name)}` },
      );
      warmed++;
    }
  },
);

async function lookups(result: string): Promise<number> {
  return metricValue(await scrapeMetrics(wg.url, wg.ca), 'wasmgate_image_lookups_total', { result });
}

afterAll(async () => {
  await wg?.stop();
  if (registry !== undefined) {
    registry.process.kill('SIGCONT');
    await registry.stop();
  }
  await work?.remove();
  await rm(auditDir, { recursive: true, force: true });
}, 60_000);

function plainPod(name: string, containers: Array<[string, string]>): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: { containers: containers.map(([n, i]) => ({ name: n, image: i })) },
  };
}

async function apply(obj: object) {
  return cp.kubectl(['apply', '-f', '-'], { input: stringify(obj, { version: '1.1' }) });
}

/** The audit annotations the API server recorded for the create of pod `name` (waits for the event). */
async function auditAnnotations(name: string): Promise<Record<string, string>> {
  return waitFor(
    async () => {
      const text = await readFile(auditLog, 'utf8').catch(() => '');
      for (const line of text.split('\n')) {
        if (line === '') continue;
        const ev = JSON.parse(line) as {
          stage: string;
          verb: string;
          objectRef?: { resource?: string; namespace?: string; name?: string };
          annotations?: Record<string, string>;
        };
        if (
          ev.stage === 'ResponseComplete' &&
          ev.verb === 'create' &&
          ev.objectRef?.resource === 'pods' &&
          ev.objectRef.namespace === NS &&
          ev.objectRef.name === name
        ) {
          return ev.annotations ?? {};
        }
      }
      return undefined;
    },
    { timeoutMs: 60_000, what: `the audit event of pod ${name}` },
  );
}

/** A golden file's line (`message: ...` or `audit image-detection: ...`), with the unit test's registry, digests and pod name replaced by this run's. */
async function golden(file: string, prefix: string, pod: string): Promise<string> {
  const text = await readFile(join(REPO, 'test/golden', file), 'utf8');
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  if (line === undefined) throw new Error(`${file} has no line starting ${prefix}`);
  return line
    .slice(prefix.length)
    .replaceAll('registry.example:5443', registry.host)
    .replaceAll(`sha256:${'1f'.repeat(32)}`, digests.wasiImage)
    .replaceAll(`sha256:${'2e'.repeat(32)}`, digests.linux)
    .replaceAll(`sha256:${'3d'.repeat(32)}`, digests.mixedIndex)
    .replaceAll('Pod apps/hello', `Pod ${NS}/${pod}`);
}

describe('image detection through the real API server and a real registry', () => {
  it('an unannotated pod with a wasi/wasm image gets runtimeClassName wasm1 (and its node selector)', async () => {
    const res = await apply(plainPod('wasi', [['app', image('wasiImage')]]));
    expect(res.code, res.stderr).toBe(0);
    const pod = await kubectlJson(cp, ['get', 'pod', 'wasi', '-n', NS]);
    expect(pod.spec.runtimeClassName).toBe('wasm1');
    expect(pod.spec.nodeSelector).toEqual(W);
    const audit = await auditAnnotations('wasi');
    expect(audit['pods.mutate.wasmgate.dev/runtimeclass-choice']).toBe(
      'wasm1: the only RuntimeClass with a handler among wasmtime, wasmedge, wasmer, wasm',
    );
    expect(audit['pods.mutate.wasmgate.dev/image-detection']).toBe(
      `Pod ${NS}/wasi has no runtimeClassName and no wasmgate.dev/runtime annotation; its images are Wasm: container app: ${image('wasiImage')} (${digests.wasiImage}) ` +
        'is a wasi/wasm image (config os wasip1, architecture wasm). Wanted: a RuntimeClass with a wasmtime-compatible handler (wasmtime, wasmedge, wasmer, wasm).',
    );
  });

  it('a Deployment with a Spin app: its template gets wasmtime-spin-v2', async () => {
    const res = await apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'spin', namespace: NS },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'spin' } },
        template: { metadata: { labels: { app: 'spin' } }, spec: { containers: [{ name: 'app', image: image('spinApp') }] } },
      },
    });
    expect(res.code, res.stderr).toBe(0);
    const d = await kubectlJson(cp, ['get', 'deployment', 'spin', '-n', NS]);
    expect(d.spec.template.spec.runtimeClassName).toBe('wasmtime-spin-v2');
  });

  it('a plain Linux pod is left untouched, with no audit annotation', async () => {
    const res = await apply(plainPod('linux', [['web', image('linux')]]));
    expect(res.code, res.stderr).toBe(0);
    const pod = await kubectlJson(cp, ['get', 'pod', 'linux', '-n', NS]);
    expect(pod.spec.runtimeClassName).toBeUndefined();
    const audit = await auditAnnotations('linux');
    expect(Object.keys(audit).filter((k) => k.startsWith('pods.mutate.wasmgate.dev/'))).toEqual([]);
  });

  it('a pod mixing a Wasm and a Linux container is denied, with the golden text verbatim', async () => {
    const res = await apply(
      plainPod('mixed', [
        ['app', image('wasiImage')],
        ['sidecar', image('linux')],
      ]),
    );
    expect(res.code).not.toBe(0);
    const message = await golden('image-detection-mutate-mixed-pod-denied.txt', 'message: ', 'mixed');
    expect(res.stderr).toContain(`admission webhook "pods.mutate.wasmgate.dev" denied the request: ${message}`);
    const got = await cp.kubectl(['get', 'pod', 'mixed', '-n', NS]);
    expect(got.code).not.toBe(0);
  });

  it('a mixed index is admitted unchanged, and the audit annotation says why', async () => {
    const res = await apply(plainPod('multi', [['app', image('mixedIndex')]]));
    expect(res.code, res.stderr).toBe(0);
    const pod = await kubectlJson(cp, ['get', 'pod', 'multi', '-n', NS]);
    expect(pod.spec.runtimeClassName).toBeUndefined();
    const audit = await auditAnnotations('multi');
    expect(audit['pods.mutate.wasmgate.dev/image-detection']).toBe(
      await golden('image-detection-mixed-index.txt', 'audit image-detection: ', 'multi'),
    );
    expect(audit['pods.mutate.wasmgate.dev/runtimeclass-choice']).toBeUndefined();
  });

  it('a pod over limits.containers is admitted unchanged without a registry request, and the audit annotation says which cap', async () => {
    const exposition = async () => scrapeMetrics(wg.url, wg.ca);
    const before = await exposition();
    // 300 containers, each naming an image nobody pushed: every one would be a registry round trip
    const containers = Array.from({ length: 300 }, (_, i): [string, string] => [`c${i}`, `${registry.host}/wasm/c${i}:v1`]);
    const res = await apply(plainPod('crowded', containers));
    expect(res.code, res.stderr).toBe(0);
    const after = await exposition();
    for (const metric of ['lookups_total', 'lookups_joined_total', 'lookup_errors_total', 'budget_exceeded_total'].map(
      (m) => `wasmgate_image_${m}`,
    ))
      expect(metricValue(after, metric), metric).toBe(metricValue(before, metric));
    const pod = await kubectlJson(cp, ['get', 'pod', 'crowded', '-n', NS]);
    expect(pod.spec.runtimeClassName).toBeUndefined();
    const audit = await auditAnnotations('crowded');
    expect(audit['pods.mutate.wasmgate.dev/image-detection']).toBe(
      await golden('image-detection-mutate-over-cap-not-looked-up.txt', 'audit image-detection: ', 'crowded'),
    );
  });

  it('registry stopped (SIGSTOP): a pod with an uncached tag is admitted unchanged, wasmgate saying the budget ran out', async () => {
    registry.process.kill('SIGSTOP');
    try {
      const uncached = `${registry.host}/wasm/image:not-looked-up-yet`;
      const res = await apply(plainPod('outage', [['app', uncached]]));
      expect(res.code, res.stderr).toBe(0);
      const pod = await kubectlJson(cp, ['get', 'pod', 'outage', '-n', NS]);
      expect(pod.spec.runtimeClassName).toBeUndefined();
      // wasmgate answered (the API server did not give up on it): its annotation is there
      const audit = await auditAnnotations('outage');
      expect(audit['pods.mutate.wasmgate.dev/image-detection']).toBe(
        `Pod ${NS}/outage has no runtimeClassName and no wasmgate.dev/runtime annotation; image detection could not check its images, so it is admitted unchanged: ` +
          `container app: ${uncached} could not be checked (budget exceeded).`,
      );
      // a cached image still decides during the outage
      const warm = await apply(plainPod('wasi-during-outage', [['app', image('wasiImage')]]));
      expect(warm.code, warm.stderr).toBe(0);
      expect((await kubectlJson(cp, ['get', 'pod', 'wasi-during-outage', '-n', NS])).spec.runtimeClassName).toBe('wasm1');
    } finally {
      registry.process.kill('SIGCONT');
    }
  });
});
