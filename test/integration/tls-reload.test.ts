/**
 * startServer generates development certificates when the cert dir is empty, serves them, and
 * swaps to a rotated pair written into the same directory without a restart.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookCerts, writeWebhookCerts } from '../../src/certs/generate.js';
import { startServer, type Running } from '../../src/cli/serve.js';
import { podObject, review } from '../harness/fixtures.js';
import { decodePatch, getUrl, peerFingerprint, postJson, waitFor, type ReviewResponse } from './helpers.js';

describe('serving certificate reload', () => {
  let dir: string;
  let running: Running | undefined;
  const lines: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-tls-'));
  });
  afterAll(async () => {
    await running?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('generates dev certs, serves them, and presents a rotated pair on new connections', { timeout: 120_000 }, async () => {
    running = await startServer(
      { certDir: dir, devCerts: true, clusterState: [resolve('examples/cluster')], port: 0, host: '127.0.0.1', logLevel: 'error' },
      (l) => lines.push(l),
    );
    expect(lines.some((l) => l.startsWith('generated development certificates in '))).toBe(true);
    expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const port = Number(new URL(running.url).port);
    expect(port).toBeGreaterThan(0);

    const oldCa = await readFile(join(dir, 'ca.crt'), 'utf8');
    const oldCert = new X509Certificate(await readFile(join(dir, 'tls.crt')));
    const oldFp = await peerFingerprint('127.0.0.1', port);
    expect(oldFp).toBe(oldCert.fingerprint256);

    // verified request with the generated CA works and the snapshot state is used
    const body = review(podObject({ annotations: { 'wasmgate.dev/runtime': 'wasmtime' } }));
    const first = await postJson(`${running.url}/mutate`, body, { ca: oldCa });
    expect(first.status).toBe(200);
    expect(decodePatch((first.json as ReviewResponse).response.patch)).toEqual([
      { op: 'add', path: '/spec/runtimeClassName', value: 'wasm1' },
    ]);

    // rotate: a new CA and serving pair, written over the old files
    const fresh = await generateWebhookCerts('wasmgate', 'wasmgate');
    await writeWebhookCerts(dir, fresh);
    const newFp = new X509Certificate(fresh.serving.cert).fingerprint256;
    expect(newFp).not.toBe(oldFp);

    // the deadline is a failure bound for a slow machine, not a speed claim
    await waitFor(async () => (await peerFingerprint('127.0.0.1', port)) === newFp, {
      what: 'the server to present the rotated certificate',
      timeoutMs: 60_000,
    });

    // new connections verify with the new CA, and no longer with the old one
    const health = await getUrl(`${running.url}/healthz`, fresh.ca.cert);
    expect(health.status).toBe(200);
    const again = await postJson(`${running.url}/mutate`, review(podObject({ annotations: { 'wasmgate.dev/runtime': 'wasmtime' } })), {
      ca: fresh.ca.cert,
    });
    expect(again.status).toBe(200);
    expect((again.json as ReviewResponse).response.patchType).toBe('JSONPatch');
    await expect(getUrl(`${running.url}/healthz`, oldCa)).rejects.toThrow(/certificate|self.signed|issuer/i);

    await running.close();
    running = undefined;
    await expect(peerFingerprint('127.0.0.1', port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it(
    'keeps the previous certificate while tls.crt and tls.key do not match, then takes the complete pair',
    { timeout: 120_000 },
    async () => {
      const dir2 = await mkdtemp(join(tmpdir(), 'wasmgate-tls-half-'));
      const initial = await generateWebhookCerts('wasmgate', 'wasmgate');
      await writeWebhookCerts(dir2, initial);
      const out: string[] = [];
      const server = await startServer(
        { certDir: dir2, devCerts: true, clusterState: [resolve('examples/cluster')], port: 0, host: '127.0.0.1', logLevel: 'error' },
        (l) => out.push(l),
      );
      try {
        // existing certificates are reused, not regenerated
        expect(out.some((l) => l.startsWith('generated development certificates'))).toBe(false);
        const port = Number(new URL(server.url).port);
        const oldFp = new X509Certificate(initial.serving.cert).fingerprint256;
        expect(await peerFingerprint('127.0.0.1', port)).toBe(oldFp);

        // half a rotation: a new certificate next to the old key
        const fresh = await generateWebhookCerts('wasmgate', 'wasmgate');
        await writeFile(join(dir2, 'tls.crt'), fresh.serving.cert);
        await new Promise((r) => setTimeout(r, 6_500)); // longer than the 5 s poll
        expect(await peerFingerprint('127.0.0.1', port)).toBe(oldFp);
        expect((await getUrl(`${server.url}/healthz`, initial.ca.cert)).status).toBe(200);

        // the rest of the rotation
        await writeFile(join(dir2, 'tls.key'), fresh.serving.key);
        const newFp = new X509Certificate(fresh.serving.cert).fingerprint256;
        await waitFor(async () => (await peerFingerprint('127.0.0.1', port)) === newFp, {
          what: 'the server to present the completed rotation',
          timeoutMs: 60_000,
        });
        expect((await getUrl(`${server.url}/healthz`, fresh.ca.cert)).status).toBe(200);
      } finally {
        await server.close();
        await rm(dir2, { recursive: true, force: true });
      }
    },
  );
});
