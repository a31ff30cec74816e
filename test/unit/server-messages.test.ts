/**
 * Golden files for the messages of the HTTP layer and of `serve` start-up and shutdown: strict
 * input (415/400), client certificates (403), certificate files, empty snapshots, server config.
 * Regenerate with `npx vitest run test/unit/server-messages.test.ts -u` and read every changed
 * file in test/golden/ before committing it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookCerts, writeWebhookCerts } from '../../src/certs/generate.js';
import { emptySnapshotMessage } from '../../src/cli/serve.js';
import { ConfigError, parseConfig, withServerOverrides } from '../../src/config/config.js';
import { buildApp } from '../../src/server/app.js';
import { clientCertProblem } from '../../src/server/input.js';
import { drainAndClose, createLifecycle } from '../../src/server/shutdown.js';
import { readClientCa, readTls, tlsFiles } from '../../src/server/tls.js';
import { config, podObject, review, seedCluster } from '../harness/fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wasmgate-golden-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const golden = (name: string, text: string) => expect(`${text}\n`).toMatchFileSnapshot(`../golden/server-${name}.txt`);

/** One answer as the client sees it: status, then the JSON body. */
async function answer(headers: Record<string, string>, payload: string | Buffer): Promise<string> {
  const { app } = buildApp({ config: config(), state: seedCluster() });
  const r = await app.inject({ method: 'POST', url: '/validate', headers, payload });
  await app.close();
  return `${r.statusCode}\n${r.body}`;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message.replaceAll(dir, '<dir>');
  }
  throw new Error('expected an error');
}

describe('HTTP answers', () => {
  const body = JSON.stringify(review(podObject()));

  it('charset other than UTF-8', async () => {
    await golden('charset-415', await answer({ 'content-type': 'application/json; charset=iso-8859-1' }, body));
  });
  it('content encoding', async () => {
    await golden('content-encoding-415', await answer({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, body));
  });
  it('invalid UTF-8', async () => {
    await golden(
      'invalid-utf8-400',
      await answer(
        { 'content-type': 'application/json' },
        Buffer.concat([Buffer.from(body.slice(0, 20)), Buffer.from([0xff]), Buffer.from(body.slice(20))]),
      ),
    );
  });
  it('uid too long', async () => {
    const r = review(podObject());
    r.request.uid = 'u'.repeat(1000);
    await golden('uid-too-long-400', await answer({ 'content-type': 'application/json' }, JSON.stringify(r)));
  });
  it('client certificate required', async () => {
    await golden(
      'client-cert-403',
      [
        clientCertProblem(undefined, '/validate'),
        clientCertProblem(
          {
            authorized: false,
            authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
            getPeerCertificate: () => ({ subject: {} }),
          } as never,
          '/mutate',
        ),
      ].join('\n'),
    );
  });
  it('readiness while shutting down', async () => {
    const lifecycle = createLifecycle();
    const { app } = buildApp({ config: config(), state: seedCluster(), lifecycle });
    lifecycle.draining = true;
    const r = await app.inject({ method: 'GET', url: '/readyz' });
    await app.close();
    await golden('readyz-shutting-down', `${r.statusCode} connection: ${String(r.headers.connection)}\n${r.body}`);
  });
});

describe('start-up errors', () => {
  it('certificate files', async () => {
    const certs = await generateWebhookCerts('wasmgate', 'wasmgate');
    const other = await generateWebhookCerts('wasmgate', 'wasmgate');
    const lines: string[] = [errorOf(() => readTls(tlsFiles(join(dir, 'missing'))))];
    await writeWebhookCerts(join(dir, 'bad'), certs);
    await writeFile(join(dir, 'bad', 'tls.crt'), 'junk');
    lines.push(errorOf(() => readTls(tlsFiles(join(dir, 'bad')))));
    await writeWebhookCerts(join(dir, 'bad'), certs);
    await writeFile(join(dir, 'bad', 'tls.key'), 'junk');
    lines.push(errorOf(() => readTls(tlsFiles(join(dir, 'bad')))));
    await writeFile(join(dir, 'bad', 'tls.key'), other.serving.key);
    lines.push(errorOf(() => readTls(tlsFiles(join(dir, 'bad')))));
    await writeFile(join(dir, 'bad', 'tls.key'), certs.serving.key);
    lines.push(
      errorOf(() => readTls(tlsFiles(join(dir, 'bad')), new Date('2999-01-01T00:00:00Z'))).replace(/expired on .*/, 'expired on <date>'),
    );
    lines.push(errorOf(() => readClientCa(join(dir, 'nope.crt'))));
    lines.push(errorOf(() => readClientCa(join(dir, 'bad', 'tls.key'))));
    await golden('certificate-errors', lines.join('\n'));
  });
  it('empty snapshot', async () => {
    await golden('empty-snapshot', emptySnapshotMessage(['cluster/'], 2));
  });
  it('server config relations', async () => {
    const lines = [
      errorOf(() =>
        parseConfig(
          { server: { headersTimeoutSeconds: 30, requestTimeoutSeconds: 10, drainSeconds: 30, shutdownTimeoutSeconds: 20 } },
          'config file wasmgate.yaml',
        ),
      ),
      errorOf(() => withServerOverrides(parseConfig({}), { drainSeconds: 40 })),
      errorOf(() =>
        parseConfig(
          { server: { requestTimeoutSeconds: 0, maxConnections: 0, tls: { minVersion: 'TLSv1.1' } } },
          'config file wasmgate.yaml',
        ),
      ),
    ];
    expect(() => parseConfig({ server: { drainSeconds: 40 } })).toThrow(ConfigError);
    await golden('config-errors', lines.join('\n'));
  });
});

describe('shutdown log lines', () => {
  it('drain and finish', async () => {
    const { app, lifecycle, sockets } = buildApp({ config: config(), state: seedCluster() });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const lines: string[] = [];
    const r = await drainAndClose(app, lifecycle, sockets, { drainSeconds: 0, shutdownTimeoutSeconds: 25 }, (l) => lines.push(l));
    expect(r.forcedConnections).toBe(0);
    await golden('shutdown-log', lines.join('\n'));
  });
});
