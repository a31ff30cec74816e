/**
 * Strict input and TLS policy over real TLS: charsets and content encodings, invalid UTF-8, the
 * uid length, TLS versions and cipher suites, and client-certificate verification.
 */
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, generateWebhookCerts, signLeaf, type CertPair, type WebhookCerts } from '../../src/certs/generate.js';
import { MAX_UID_LENGTH } from '../../src/review/envelope.js';
import { buildApp } from '../../src/server/app.js';
import { config, podObject, review, seedCluster } from '../harness/fixtures.js';
import { httpsCall, postJson, type HttpResult } from './helpers.js';

interface Started {
  url: string;
  port: number;
  certs: WebhookCerts;
  close(): Promise<void>;
}

async function start(server: Record<string, unknown> = {}): Promise<Started> {
  const certs = await generateWebhookCerts('wasmgate', 'wasmgate');
  const { app } = buildApp({
    config: config({ server }),
    state: seedCluster(),
    https: { cert: certs.serving.cert, key: certs.serving.key },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  return { url: `https://127.0.0.1:${port}`, port, certs, close: () => app.close() };
}

function problemOf(r: HttpResult): { error: string; message: string } {
  return r.json as { error: string; message: string };
}

describe('strict input', () => {
  let srv: Started;
  beforeAll(async () => {
    srv = await start();
  });
  afterAll(async () => {
    await srv?.close();
  });
  const post = (body: string | Buffer, headers: Record<string, string>) =>
    httpsCall(`${srv.url}/validate`, {
      method: 'POST',
      ca: srv.certs.ca.cert,
      body,
      headers: { 'content-length': Buffer.byteLength(body), ...headers },
    });

  it('accepts charset=utf-8 (any case) and no charset', async () => {
    const body = JSON.stringify(review(podObject()));
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'application/json;charset=UTF-8',
      'application/json; charset="utf-8"',
    ]) {
      expect((await post(body, { 'content-type': type })).status, type).toBe(200);
    }
  });

  it('answers 415 to a charset other than UTF-8', async () => {
    const r = await post(Buffer.from(JSON.stringify(review(podObject())), 'utf16le'), {
      'content-type': 'application/json; charset=utf-16',
    });
    expect(r.status).toBe(415);
    expect(problemOf(r)).toEqual({ error: 'Unsupported Media Type', message: 'Content-Type charset must be utf-8, got utf-16' });
  });

  it('answers 415 to any Content-Encoding, without reading it as JSON', async () => {
    for (const enc of ['gzip', 'br', 'deflate, gzip']) {
      const r = await post('\x1f\x8b not really gzip', { 'content-type': 'application/json', 'content-encoding': enc });
      expect(r.status, enc).toBe(415);
      expect(problemOf(r).message).toBe(`Content-Encoding must be absent (identity), got ${enc}; send the AdmissionReview uncompressed`);
    }
    expect(
      (await post(JSON.stringify(review(podObject())), { 'content-type': 'application/json', 'content-encoding': 'identity' })).status,
    ).toBe(200);
  });

  it('answers 400 to invalid UTF-8', async () => {
    const good = Buffer.from(JSON.stringify(review(podObject({ name: 'aé' }))), 'utf8');
    expect((await post(good, { 'content-type': 'application/json' })).status).toBe(200);
    for (const bad of [Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xff]), Buffer.from([0xe2, 0x82])]) {
      const body = Buffer.concat([good.subarray(0, 60), bad, good.subarray(60)]);
      const r = await post(body, { 'content-type': 'application/json' });
      expect(r.status, bad.toString('hex')).toBe(400);
      expect(problemOf(r).message).toBe('the body is not valid UTF-8; an AdmissionReview is UTF-8 JSON');
    }
  });

  it('answers 400 to invalid UTF-8 in a large body too (checked on the prescan worker) and 200 to the same body when valid', async () => {
    const pod = podObject({ name: 'aé' });
    (pod as { metadata: { annotations?: Record<string, string> } }).metadata.annotations = { filler: 'x'.repeat(400_000) };
    const good = Buffer.from(JSON.stringify(review(pod)), 'utf8');
    expect(good.length).toBeGreaterThan(256 * 1024);
    expect((await post(good, { 'content-type': 'application/json' })).status).toBe(200);
    const bad = Buffer.concat([good.subarray(0, 300_000), Buffer.from([0xc3, 0x28]), good.subarray(300_000)]);
    const r = await post(bad, { 'content-type': 'application/json' });
    expect(r.status).toBe(400);
    expect(problemOf(r).message).toBe('the body is not valid UTF-8; an AdmissionReview is UTF-8 JSON');
  });

  it(`answers 400 to a uid longer than ${MAX_UID_LENGTH} characters, without echoing it`, async () => {
    const ok = review(podObject());
    ok.request.uid = 'u'.repeat(MAX_UID_LENGTH);
    const r1 = await postJson(`${srv.url}/validate`, ok, { ca: srv.certs.ca.cert });
    expect(r1.status).toBe(200);
    expect((r1.json as { response: { uid: string } }).response.uid).toBe(ok.request.uid);
    for (const length of [MAX_UID_LENGTH + 1, 6_000_000]) {
      const long = review(podObject());
      long.request.uid = 'x'.repeat(length);
      const r = await postJson(`${srv.url}/validate`, long, { ca: srv.certs.ca.cert });
      expect(r.status).toBe(400);
      expect(r.text).not.toContain('x'.repeat(64));
      expect(r.text.length).toBeLessThan(500);
      expect(problemOf(r).message).toBe(
        `the body is not an admission.k8s.io/v1 AdmissionReview: request.uid must NOT have more than ${MAX_UID_LENGTH} characters`,
      );
    }
  });

  it('clips a long kind in its 400 message', async () => {
    const r = review(podObject());
    r.request.kind = { group: '', version: 'v1', kind: 'K'.repeat(10_000) };
    const res = await postJson(`${srv.url}/validate`, r, { ca: srv.certs.ca.cert });
    expect(res.status).toBe(400);
    expect(res.text.length).toBeLessThan(600);
    expect(problemOf(res).message).toContain(`${'K'.repeat(38)}… (9,962 more characters); check the rules`);
  });
});

/** The negotiated protocol and cipher of a handshake, or the error. */
function handshake(
  port: number,
  ca: string,
  opts: { maxVersion?: 'TLSv1.2' | 'TLSv1.3'; ciphers?: string },
): Promise<{ protocol: string | null; cipher: string } | { error: string }> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...opts }, () => {
      const result = { protocol: s.getProtocol(), cipher: s.getCipher().name };
      s.end();
      resolve(result);
    });
    s.once('error', (err) => resolve({ error: err.message }));
  });
}

describe('TLS policy', () => {
  it('speaks TLS 1.3 only by default', async () => {
    const srv = await start();
    try {
      expect(await handshake(srv.port, srv.certs.ca.cert, {})).toMatchObject({ protocol: 'TLSv1.3' });
      expect(await handshake(srv.port, srv.certs.ca.cert, { maxVersion: 'TLSv1.2' })).toHaveProperty('error');
    } finally {
      await srv.close();
    }
  });

  it('with minVersion TLSv1.2, accepts ECDHE with AEAD only: no CBC, no SHA-1, no static RSA', async () => {
    const srv = await start({ tls: { minVersion: 'TLSv1.2' } });
    try {
      expect(await handshake(srv.port, srv.certs.ca.cert, { maxVersion: 'TLSv1.2' })).toMatchObject({
        protocol: 'TLSv1.2',
        cipher: expect.stringMatching(/^ECDHE-ECDSA-(AES\d+-GCM|CHACHA20-POLY1305)/),
      });
      for (const cipher of ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305']) {
        expect(await handshake(srv.port, srv.certs.ca.cert, { maxVersion: 'TLSv1.2', ciphers: cipher }), cipher).toMatchObject({ cipher });
      }
      for (const cipher of [
        'ECDHE-ECDSA-AES128-SHA',
        'ECDHE-ECDSA-AES128-SHA256',
        'ECDHE-ECDSA-AES256-SHA384',
        'AES128-GCM-SHA256',
        'AES128-SHA',
      ]) {
        expect(await handshake(srv.port, srv.certs.ca.cert, { maxVersion: 'TLSv1.2', ciphers: cipher }), cipher).toHaveProperty('error');
      }
      expect(await handshake(srv.port, srv.certs.ca.cert, {})).toMatchObject({ protocol: 'TLSv1.3' });
    } finally {
      await srv.close();
    }
  });
});

describe('client certificates (server.tls.clientCAFile)', () => {
  let dir: string;
  let srv: Started;
  let clientCa: CertPair;
  let client: CertPair;
  let stranger: CertPair;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-clientca-'));
    clientCa = await generateCa('apiserver-client-ca');
    client = await signLeaf(clientCa, { commonName: 'kube-apiserver', sans: [], usage: 'client' });
    stranger = await signLeaf(await generateCa('someone-else'), { commonName: 'pod', sans: [], usage: 'client' });
    await writeFile(join(dir, 'client-ca.crt'), clientCa.cert);
    srv = await start({ tls: { clientCAFile: join(dir, 'client-ca.crt') } });
  });
  afterAll(async () => {
    await srv?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (path: string, cert?: CertPair): Promise<HttpResult> => {
    const post = path === '/validate' || path === '/mutate';
    const body = post ? JSON.stringify(review(podObject())) : undefined;
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        `${srv.url}${path}`,
        {
          method: post ? 'POST' : 'GET',
          ca: srv.certs.ca.cert,
          agent: false,
          headers: post ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body!) } : {},
          ...(cert === undefined ? {} : { cert: cert.cert, key: cert.key }),
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              json: text.startsWith('{') ? (JSON.parse(text) as unknown) : undefined,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };

  it('serves reviews to a client presenting a certificate of the client CA', async () => {
    expect((await call('/validate', client)).status).toBe(200);
    expect((await call('/mutate', client)).status).toBe(200);
  });

  it('refuses reviews from a client without a certificate, or with one of another CA', async () => {
    const none = await call('/validate');
    expect(none.status).toBe(403);
    expect(problemOf(none).message).toBe(
      '/validate requires a client certificate signed by the configured client CA (server.tls.clientCAFile); this connection was refused because it presented no certificate',
    );
    const other = await call('/mutate', stranger);
    expect(other.status).toBe(403);
    expect(problemOf(other).message).toMatch(
      /^\/mutate requires a client certificate .*its certificate was not accepted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/,
    );
  });

  it('keeps probes and metrics open to clients without certificates (kubelet presents none)', async () => {
    expect((await call('/healthz')).status).toBe(200);
    expect((await call('/readyz')).status).toBe(200);
    expect((await call('/metrics')).status).toBe(200);
  });

  it('reads the CA file at start-up and names it when it is not a certificate', async () => {
    await writeFile(join(dir, 'junk.crt'), 'not a certificate\n');
    await expect(start({ tls: { clientCAFile: join(dir, 'junk.crt') } })).rejects.toThrow(
      `the client CA file ${join(dir, 'junk.crt')} is not a PEM certificate`,
    );
    await expect(start({ tls: { clientCAFile: join(dir, 'missing.crt') } })).rejects.toThrow(
      `cannot read the client CA file ${join(dir, 'missing.crt')}: the file does not exist (server.tls.clientCAFile / --client-ca-file)`,
    );
    expect(await readFile(join(dir, 'client-ca.crt'), 'utf8')).toBe(clientCa.cert);
  });
});
