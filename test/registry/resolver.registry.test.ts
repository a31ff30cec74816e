/**
 * Image detection against a REAL registry (distribution v3, built from its Go module) on loopback
 * over TLS, in three auth modes: anonymous, htpasswd basic auth, and token auth (with the test
 * token server as its peer). Objects are pushed by oras; nothing here is a hand-written manifest.
 */
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type ImageDetectionConfig } from '../../src/config/config.js';
import type { SecretReader } from '../../src/images/credentials.js';
import { containerImages } from '../../src/images/facts.js';
import { imageIntent } from '../../src/images/intent.js';
import { BUDGET_EXCEEDED, ImageResolver } from '../../src/images/resolver.js';
import { waitFor } from '../harness/wait.js';
import { freePort, startRegistry, tempDir, testPki, toolBin, type RunningRegistry, type TestPki } from './harness.js';
import { REPOS, pushAll, type ObjectName } from './objects.js';
import { startTokenServer, type TokenServer } from './token-server.js';

const EXPECTED: Record<ObjectName, string> = {
  wasiImage: 'wasi-image',
  wasmArtifact: 'wasm-artifact',
  spinApp: 'spin-app',
  linux: 'linux',
  mixedIndex: 'mixed-index',
  wasmIndex: 'wasi-image',
};
const NAMES = Object.keys(EXPECTED) as ObjectName[];
const BASIC_USER = { wasmgate: 'basic-password' };
const TOKEN_USER = { puller: 'token-password' };
const POD = { namespace: 'apps', pullSecrets: [] };

let work: { dir: string; remove: () => Promise<void> };
let pki: TestPki;
let registryBin: string;
let storage: string;
let anon: RunningRegistry;
let basic: RunningRegistry;
let token: RunningRegistry;
let tokens: TokenServer;
let digests: Record<ObjectName, string>;
const extra: RunningRegistry[] = [];

beforeAll(async () => {
  work = await tempDir('wasmgate-registry-');
  pki = await testPki(join(work.dir, 'pki'));
  registryBin = await toolBin('registry');
  const orasBin = await toolBin('oras');
  storage = join(work.dir, 'storage');
  anon = await startRegistry({ bin: registryBin, storage, pki, auth: { kind: 'anonymous' }, workDir: join(work.dir, 'anon') });
  digests = await pushAll(orasBin, anon.host, pki, work.dir);
  basic = await startRegistry({
    bin: registryBin,
    storage,
    pki,
    auth: { kind: 'basic', users: BASIC_USER },
    workDir: join(work.dir, 'basic'),
  });
  const tokenPort = await freePort();
  const jwksFile = join(work.dir, 'jwks.json');
  const service = 'wasmgate-test-registry';
  const issuer = 'wasmgate-test-token-server';
  tokens = await startTokenServer({ pki, port: tokenPort, service, issuer, jwksFile, users: TOKEN_USER });
  token = await startRegistry({
    bin: registryBin,
    storage,
    pki,
    auth: { kind: 'token', realm: tokens.url, service, issuer, jwksFile },
    workDir: join(work.dir, 'token'),
  });
}, 600_000);

afterAll(async () => {
  for (const r of [anon, basic, token, ...extra]) await r?.stop();
  await tokens?.close();
  await work?.remove();
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** The fake Secret store: wasmgate/creds holds credentials for the basic and the token registry. */
function secrets(auths: Record<string, { username: string; password: string }>): SecretReader {
  return {
    async getSecret(ns, name) {
      if (`${ns}/${name}` !== 'wasmgate/creds') return undefined;
      return { '.dockerconfigjson': b64(JSON.stringify({ auths })) };
    },
  };
}

function detection(registries: string[], over: Partial<ImageDetectionConfig> = {}): ImageDetectionConfig {
  const base = parseConfig({
    imageDetection: { enabled: true, registries, credentialsSecret: { namespace: 'wasmgate', name: 'creds' } },
  }).imageDetection;
  // tests that are not about the budget must not depend on machine speed: a generous one
  return { ...base, budgetMs: 120_000, ...over };
}

function resolver(registries: string[], reader?: SecretReader, over: Partial<ImageDetectionConfig> = {}, lookupTimeoutMs = 60_000) {
  const metrics = new Registry();
  const r = new ImageResolver({
    config: detection(registries, over),
    metrics,
    ca: pki.ca.cert,
    ...(reader ? { secrets: reader } : {}),
    lookupTimeoutMs,
  });
  return { r, metrics };
}

async function counter(metrics: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = metrics.getSingleMetric(name);
  if (m === undefined) throw new Error(`no metric ${name}`);
  const { values } = await m.get();
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
}

const img = (host: string, name: ObjectName, byDigest = false) => {
  const repo = REPOS[name].split(':')[0]!;
  return byDigest ? `${host}/${repo}@${digests[name]}` : `${host}/${REPOS[name]}`;
};

describe.each([
  ['anonymous', () => ({ host: anon.host, registries: [anon.host], reader: undefined })],
  [
    'basic auth',
    () => ({
      host: basic.host,
      registries: [basic.host],
      reader: secrets({ [basic.host]: { username: 'wasmgate', password: BASIC_USER.wasmgate } }),
    }),
  ],
  [
    'token auth',
    () => ({
      host: token.host,
      registries: [token.host, tokens.host],
      reader: secrets({ [token.host]: { username: 'puller', password: TOKEN_USER.puller } }),
    }),
  ],
])('classification over TLS, %s', (_mode, setup) => {
  it('each kind by tag, with the digest oras pushed', async () => {
    const { host, registries, reader } = setup();
    const { r } = resolver(registries, reader);
    for (const name of NAMES) {
      const [fact] = await r.resolve([{ container: 'app', init: false, image: img(host, name) }], POD);
      expect(fact, name).toMatchObject({ status: 'classified', kind: EXPECTED[name], digest: digests[name], reference: img(host, name) });
    }
  });

  it('each kind by digest (verified against the content)', async () => {
    const { host, registries, reader } = setup();
    const { r } = resolver(registries, reader);
    const facts = await r.resolve(
      NAMES.map((name) => ({ container: name, init: false, image: img(host, name, true) })),
      POD,
    );
    expect(facts.map((f) => (f.status === 'classified' ? f.kind : f.reason))).toEqual(NAMES.map((n) => EXPECTED[n]));
  });

  it('from a pod spec to the intent: one Wasm image → wasmtime-compatible; with a Linux sidecar → denied', async () => {
    const { host, registries, reader } = setup();
    const { r } = resolver(registries, reader);
    const spec = { containers: [{ name: 'app', image: img(host, 'wasmArtifact') }] };
    const facts = await r.resolve(containerImages(spec), POD);
    const config = parseConfig({ imageDetection: { enabled: true, registries } });
    expect(imageIntent({ subject: 'Pod apps/hello', specPath: 'spec', images: facts }, config).family).toBe('wasmtime-compatible');
    const mixed = await r.resolve(
      containerImages({ ...spec, containers: [...spec.containers, { name: 'sidecar', image: img(host, 'linux') }] }),
      POD,
    );
    const intent = imageIntent({ subject: 'Pod apps/hello', specPath: 'spec', images: mixed }, config);
    expect(intent.family).toBe('mixed-denial');
    expect(intent.family === 'mixed-denial' && intent.denial).toContain(
      `container sidecar: ${img(host, 'linux')} (${digests.linux}) is a Linux image (config os linux, architecture amd64)`,
    );
  });
});

describe('credentials and the allowlist', () => {
  it('basic auth without credentials, or with a wrong password: unknown, saying why', async () => {
    const none = await resolver([basic.host]).r.resolve([{ container: 'app', init: false, image: img(basic.host, 'wasiImage') }], POD);
    expect(none[0]).toMatchObject({
      status: 'unknown',
      reason: `${basic.host} requires credentials (Basic) and none are configured for it`,
    });
    const wrong = resolver([basic.host], secrets({ [basic.host]: { username: 'wasmgate', password: 'nope' } }));
    const [fact] = await wrong.r.resolve([{ container: 'app', init: false, image: img(basic.host, 'wasiImage') }], POD);
    expect(fact).toMatchObject({
      status: 'unknown',
      reason: `${basic.host} refused wasm/image (HTTP 401): the credentials were not accepted`,
    });
    expect(await counter(wrong.metrics, 'wasmgate_image_lookup_errors_total', { code: 'auth' })).toBe(1);
  });

  it('token auth: one token per repository scope, reused; none without credentials', async () => {
    const before = tokens.requests.length;
    const { r } = resolver([token.host, tokens.host], secrets({ [token.host]: { username: 'puller', password: TOKEN_USER.puller } }));
    for (const name of NAMES) await r.resolve([{ container: 'app', init: false, image: img(token.host, name, true) }], POD);
    const got = tokens.requests.slice(before);
    expect(got.every((q) => q.granted && q.user === 'puller')).toBe(true);
    expect(got.map((q) => q.scope).sort()).toEqual(
      ['multi/hello', 'plain/linux', 'spin/hello', 'wasm/artifact', 'wasm/image'].map((n) => `repository:${n}:pull`),
    );
    const anonymous = await resolver([token.host, tokens.host]).r.resolve(
      [{ container: 'app', init: false, image: img(token.host, 'spinApp') }],
      POD,
    );
    expect(anonymous[0]).toMatchObject({
      status: 'unknown',
      reason: `token realm ${tokens.host} refused (HTTP 401): no credentials for this registry`,
    });
  });

  it('a token realm on a host that is not allowlisted is never contacted', async () => {
    const before = tokens.requests.length;
    const { r, metrics } = resolver([token.host], secrets({ [token.host]: { username: 'puller', password: TOKEN_USER.puller } }));
    const [fact] = await r.resolve([{ container: 'app', init: false, image: img(token.host, 'wasiImage') }], POD);
    expect(fact).toMatchObject({
      status: 'unknown',
      reason: `token realm ${tokens.host} (named by ${token.host}) is not in imageDetection.registries (no request was sent)`,
    });
    expect(tokens.requests.length).toBe(before);
    expect(await counter(metrics, 'wasmgate_image_lookup_errors_total', { code: 'not-allowed' })).toBe(1);
  });

  it('a registry that is not allowlisted gets no connection at all', async () => {
    let connections = 0;
    const trap: Server = createServer((s) => {
      connections++;
      s.destroy();
    });
    const port = await new Promise<number>((resolve) =>
      trap.listen(0, '127.0.0.1', () => resolve((trap.address() as { port: number }).port)),
    );
    try {
      const { r } = resolver([anon.host]);
      const [fact] = await r.resolve([{ container: 'app', init: false, image: `127.0.0.1:${port}/internal/metadata:latest` }], POD);
      expect(fact).toMatchObject({
        status: 'unknown',
        reason: `registry 127.0.0.1:${port} is not in imageDetection.registries (no request was sent)`,
      });
      expect(connections).toBe(0);
    } finally {
      trap.close();
    }
  });
});

describe("the pod's own imagePullSecrets", () => {
  const podSecrets: SecretReader = {
    async getSecret(ns, name) {
      if (`${ns}/${name}` !== 'apps/pull') return undefined;
      return {
        '.dockerconfigjson': b64(JSON.stringify({ auths: { [basic.host]: { username: 'wasmgate', password: BASIC_USER.wasmgate } } })),
      };
    },
  };
  const image = () => [{ container: 'app', init: false, image: img(basic.host, 'wasmArtifact') }];

  it('are ignored unless allowPodPullSecrets is true', async () => {
    const { r } = resolver([basic.host], podSecrets);
    const [fact] = await r.resolve(image(), { namespace: 'apps', pullSecrets: ['pull'] });
    expect(fact).toMatchObject({ status: 'unknown', reason: `${basic.host} requires credentials (Basic) and none are configured for it` });
  });

  it("are used when allowed, from the pod's namespace", async () => {
    const { r } = resolver([basic.host], podSecrets, { allowPodPullSecrets: true });
    expect((await r.resolve(image(), { namespace: 'apps', pullSecrets: ['pull'] }))[0]).toMatchObject({
      status: 'classified',
      kind: 'wasm-artifact',
    });
    const other = resolver([basic.host], podSecrets, { allowPodPullSecrets: true });
    expect((await other.r.resolve(image(), { namespace: 'elsewhere', pullSecrets: ['pull'] }))[0]).toMatchObject({ status: 'unknown' });
  });
});

describe('cache, single-flight and metrics', () => {
  it('concurrent lookups of one reference make one registry lookup; later ones hit the caches', async () => {
    const { r, metrics } = resolver([anon.host]);
    const twelve = Array.from({ length: 12 }, (_, i) => ({ container: `c${i}`, init: false, image: img(anon.host, 'spinApp') }));
    const facts = await r.resolve(twelve, POD);
    expect(facts.every((f) => f.status === 'classified' && f.kind === 'spin-app')).toBe(true);
    expect(await counter(metrics, 'wasmgate_image_lookups_total', { result: 'classified' })).toBe(1);
    expect(await counter(metrics, 'wasmgate_image_lookups_joined_total')).toBe(11);
    await r.resolve(twelve, POD);
    expect(await counter(metrics, 'wasmgate_image_cache_hits_total', { cache: 'tag' })).toBe(12);
    await r.resolve([{ container: 'app', init: false, image: img(anon.host, 'spinApp', true) }], POD);
    expect(await counter(metrics, 'wasmgate_image_cache_hits_total', { cache: 'digest' })).toBe(1);
    expect(await counter(metrics, 'wasmgate_image_lookups_total')).toBe(1);
    const text = await metrics.metrics();
    expect(text).toContain('wasmgate_image_lookup_duration_seconds_count 1');
  });

  it('a tag result expires after tagTtlSeconds; the digest result does not', async () => {
    const { r, metrics } = resolver([anon.host], undefined, { tagTtlSeconds: 1 });
    const byTag = [{ container: 'app', init: false, image: img(anon.host, 'linux') }];
    await r.resolve(byTag, POD);
    await r.resolve(byTag, POD);
    expect(await counter(metrics, 'wasmgate_image_cache_hits_total', { cache: 'tag' })).toBe(1);
    // wait until the TTL has certainly passed (a slower machine only waits longer)
    const t0 = performance.now();
    while (performance.now() - t0 < 1100) await new Promise((res) => setTimeout(res, 100));
    await r.resolve(byTag, POD);
    expect(await counter(metrics, 'wasmgate_image_lookups_total', { result: 'classified' })).toBe(2);
    await r.resolve([{ container: 'app', init: false, image: img(anon.host, 'linux', true) }], POD);
    expect(await counter(metrics, 'wasmgate_image_cache_hits_total', { cache: 'digest' })).toBe(1);
  });

  it('with tagTtlSeconds 0 a tag is looked up again, but its digest result is reused', async () => {
    const { r, metrics } = resolver([anon.host], undefined, { tagTtlSeconds: 0 });
    await r.resolve([{ container: 'app', init: false, image: img(anon.host, 'mixedIndex') }], POD);
    await r.resolve([{ container: 'app', init: false, image: img(anon.host, 'mixedIndex') }], POD);
    expect(await counter(metrics, 'wasmgate_image_lookups_total', { result: 'classified' })).toBe(2);
    expect(await counter(metrics, 'wasmgate_image_cache_hits_total')).toBe(0);
  });
});

describe('registry outage', () => {
  it('a hung registry: unknown (budget exceeded) within the budget; a dead one: unreachable; cached digests still answer', async () => {
    const victim = await startRegistry({ bin: registryBin, storage, pki, auth: { kind: 'anonymous' }, workDir: join(work.dir, 'victim') });
    extra.push(victim);
    const warm = resolver([victim.host]);
    const pinned = { container: 'app', init: false, image: img(victim.host, 'wasiImage', true) };
    expect((await warm.r.resolve([pinned], POD))[0]).toMatchObject({ status: 'classified', kind: 'wasi-image' });

    victim.process.kill('SIGSTOP');
    const hung = resolver([victim.host], undefined, { budgetMs: 300 }, 5_000);
    const [fact] = await hung.r.resolve([{ container: 'app', init: false, image: img(victim.host, 'wasmArtifact') }], POD);
    expect(fact).toMatchObject({ status: 'unknown', reason: BUDGET_EXCEEDED });
    expect(await counter(hung.metrics, 'wasmgate_image_budget_exceeded_total')).toBe(1);

    await victim.stop();
    const dead = resolver([victim.host]);
    const [gone] = await dead.r.resolve([{ container: 'app', init: false, image: img(victim.host, 'wasmArtifact') }], POD);
    expect(gone).toMatchObject({ status: 'unknown' });
    expect(gone!.status === 'unknown' && gone!.reason).toBe(`${victim.host} is unreachable: ECONNREFUSED`);
    expect(await counter(dead.metrics, 'wasmgate_image_lookup_errors_total', { code: 'network' })).toBe(1);
    // results by digest never expire: the earlier resolver still knows the pinned image
    expect((await warm.r.resolve([pinned], POD))[0]).toMatchObject({ status: 'classified', kind: 'wasi-image' });
  });

  it('a hung registry is backed off: the next pod gets no lookup; when it answers again, the lookup still running ends the backoff', async () => {
    const victim = await startRegistry({ bin: registryBin, storage, pki, auth: { kind: 'anonymous' }, workDir: join(work.dir, 'backoff') });
    extra.push(victim);
    const { r, metrics } = resolver([victim.host], undefined, { budgetMs: 300, backoffSeconds: 600 }, 30_000);
    const first = { container: 'app', init: false, image: img(victim.host, 'wasiImage') };
    const second = { container: 'app', init: false, image: img(victim.host, 'wasmArtifact') };
    victim.process.kill('SIGSTOP');
    expect((await r.resolve([first], POD))[0]).toMatchObject({ status: 'unknown', reason: BUDGET_EXCEEDED });
    const [skipped] = await r.resolve([second], POD);
    expect(skipped!.status === 'unknown' && skipped!.reason).toMatch(
      new RegExp(
        `^lookups at registry ${victim.host} got no answer recently \\(a connection error or a timeout\\), so it is not contacted until .+ \\(imageDetection\\.backoffSeconds\\)$`,
      ),
    );
    victim.process.kill('SIGCONT');
    // the first image's lookup was never cancelled: it completes now, and it was the only one
    await waitFor(async () => (await counter(metrics, 'wasmgate_image_lookups_total', { result: 'classified' })) === 1, {
      what: 'the first lookup to complete once the registry runs again',
    });
    expect(await counter(metrics, 'wasmgate_image_lookups_total')).toBe(1);
    expect(await counter(metrics, 'wasmgate_image_lookup_errors_total', { code: 'backoff' })).toBe(1);
    // its success ended the backoff: the second image is looked up now
    expect((await r.resolve([second], POD))[0]).toMatchObject({ status: 'classified', kind: 'wasm-artifact' });
  });

  it('an answer that is an error ends the backoff too: a slow 404 does not keep the registry backed off', async () => {
    const victim = await startRegistry({
      bin: registryBin,
      storage,
      pki,
      auth: { kind: 'anonymous' },
      workDir: join(work.dir, 'backoff-404'),
    });
    extra.push(victim);
    const { r, metrics } = resolver([victim.host], undefined, { budgetMs: 300, backoffSeconds: 600 }, 30_000);
    const missing = { container: 'app', init: false, image: `${victim.host}/wasm/never-pushed:v1` };
    const present = { container: 'app', init: false, image: img(victim.host, 'spinApp') };
    victim.process.kill('SIGSTOP');
    expect((await r.resolve([missing], POD))[0]).toMatchObject({ status: 'unknown', reason: BUDGET_EXCEEDED });
    expect((await r.resolve([present], POD))[0]).toMatchObject({ status: 'unknown', reason: expect.stringMatching(/no answer recently/) });
    victim.process.kill('SIGCONT');
    // the registry answers the running lookup with 404: an answer, so the backoff ends
    await waitFor(async () => (await counter(metrics, 'wasmgate_image_lookup_errors_total', { code: 'not-found' })) === 1, {
      what: "the registry's 404 for the missing image",
    });
    expect((await r.resolve([present], POD))[0]).toMatchObject({ status: 'classified', kind: 'spin-app' });
  });
});
