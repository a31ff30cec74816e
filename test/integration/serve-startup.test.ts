/**
 * `serve` start-up: certificates are generated only with --dev-certs; a missing, unreadable,
 * malformed, mismatched or expired certificate is an error naming the file and the problem; an
 * empty or node-less snapshot is an error unless --allow-empty-cluster-state says it is intended.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookCerts, signLeaf, writeWebhookCerts, type WebhookCerts } from '../../src/certs/generate.js';
import { startServer, type ServeOptions } from '../../src/cli/serve.js';
import { runtimeClassObject } from '../harness/fixtures.js';
import { metricValue, scrapeMetrics } from '../harness/http.js';
import { waitFor } from '../harness/wait.js';
import { stringify } from 'yaml';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/wasmgate.js');

let tmp: string;
let certs: WebhookCerts;
let other: WebhookCerts;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'wasmgate-startup-'));
  certs = await generateWebhookCerts('wasmgate', 'wasmgate');
  other = await generateWebhookCerts('wasmgate', 'wasmgate');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const base = (certDir: string, extra: Partial<ServeOptions> = {}): ServeOptions => ({
  certDir,
  clusterState: [resolve(ROOT, 'examples/cluster')],
  port: 0,
  host: '127.0.0.1',
  logLevel: 'error',
  ...extra,
});

async function startFails(opts: ServeOptions): Promise<string> {
  try {
    const running = await startServer(opts, () => {});
    await running.close();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('startServer succeeded; expected a start-up error');
}

describe('serving certificate at start-up', () => {
  it('does not generate certificates without --dev-certs, and names the missing file', async () => {
    const dir = join(tmp, 'empty');
    expect(await startFails(base(dir))).toBe(
      `cannot read the serving certificate ${join(dir, 'tls.crt')}: the file does not exist; mount the Secret holding tls.crt and tls.key there (--cert-dir), or pass --dev-certs to generate development certificates`,
    );
  });

  it('names a missing key', async () => {
    const dir = join(tmp, 'nokey');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'tls.crt'), certs.serving.cert);
    expect(await startFails(base(dir))).toMatch(
      new RegExp(`^cannot read the serving key ${join(dir, 'tls.key')}: the file does not exist;`),
    );
  });

  it('names a certificate path that is a directory', async () => {
    const dir = join(tmp, 'isdir');
    await mkdir(join(dir, 'tls.crt'), { recursive: true });
    await writeFile(join(dir, 'tls.key'), certs.serving.key);
    expect(await startFails(base(dir))).toMatch(
      new RegExp(`^cannot read the serving certificate ${join(dir, 'tls.crt')}: it is a directory, not a file;`),
    );
  });

  it('names a file that is not PEM', async () => {
    const dir = join(tmp, 'notpem');
    await writeWebhookCerts(dir, certs);
    await writeFile(join(dir, 'tls.crt'), 'hello\n');
    expect(await startFails(base(dir))).toBe(`the serving certificate ${join(dir, 'tls.crt')} is not a PEM certificate`);
    await writeWebhookCerts(dir, certs);
    await writeFile(join(dir, 'tls.key'), certs.serving.cert);
    expect(await startFails(base(dir))).toBe(`the serving key ${join(dir, 'tls.key')} is not a PEM private key`);
  });

  it('names a key that does not match the certificate', async () => {
    const dir = join(tmp, 'mismatch');
    await writeWebhookCerts(dir, certs);
    await writeFile(join(dir, 'tls.key'), other.serving.key);
    expect(await startFails(base(dir))).toBe(
      `the serving key ${join(dir, 'tls.key')} does not match the certificate ${join(dir, 'tls.crt')}`,
    );
  });

  it('names an expired certificate', async () => {
    const dir = join(tmp, 'expired');
    const expired = await signLeaf(certs.ca, { commonName: 'old', sans: ['localhost'], days: -1 });
    await writeWebhookCerts(dir, { ca: certs.ca, serving: expired });
    expect(await startFails(base(dir))).toMatch(
      new RegExp(`^the serving certificate ${join(dir, 'tls.crt')} expired on \\d{4}-\\d\\d-\\d\\dT`),
    );
  });

  it('generates development certificates with --dev-certs', async () => {
    const dir = join(tmp, 'dev');
    const lines: string[] = [];
    const running = await startServer(base(dir, { devCerts: true }), (l) => lines.push(l));
    await running.close();
    expect(lines).toContain(`generated development certificates in ${dir} (CA: ${dir}/ca.crt)`);
  });

  it('starts the prescan worker and warms the large-body path once it listens: five scans on the worker in /metrics', async () => {
    const dir = join(tmp, 'warm');
    const running = await startServer(base(dir, { devCerts: true }), () => {});
    try {
      const ca = await readFile(join(dir, 'ca.crt'));
      const scans = await waitFor(async () => {
        const n = metricValue(await scrapeMetrics(running.url, ca), 'wasmgate_large_body_scans_total', { thread: 'worker' });
        return n === 5 ? n : undefined;
      });
      expect(scans).toBe(5);
      expect(metricValue(await scrapeMetrics(running.url, ca), 'wasmgate_large_body_scans_total', { thread: 'main' })).toBe(0);
    } finally {
      await running.close();
    }
  });

  it('prints one line naming the file through the CLI, and exits 1', async () => {
    const dir = join(tmp, 'cli-missing');
    const r = await run(
      process.execPath,
      [BIN, 'serve', '--cluster-state', 'examples/cluster', '--cert-dir', dir, '--port', '0', '--host', '127.0.0.1'],
      { cwd: ROOT },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `wasmgate: cannot read the serving certificate ${join(dir, 'tls.crt')}: the file does not exist; mount the Secret holding tls.crt and tls.key there (--cert-dir), or pass --dev-certs to generate development certificates\n`,
    );
  }, 30_000);
});

describe('empty cluster state', () => {
  it('refuses an empty snapshot directory, and starts with --allow-empty-cluster-state', async () => {
    const dir = join(tmp, 'certs-empty-state');
    await writeWebhookCerts(dir, certs);
    const snap = join(tmp, 'empty-snapshot');
    await mkdir(snap, { recursive: true });
    expect(await startFails(base(dir, { clusterState: [snap] }))).toBe(
      `the cluster state ${snap} has no Nodes (0 RuntimeClasses): every Wasm pod would be denied; check the path, or pass --allow-empty-cluster-state if an empty cluster is intended`,
    );
    const running = await startServer(base(dir, { clusterState: [snap], allowEmptyClusterState: true }), () => {});
    await running.close();
  });

  it('refuses a snapshot with RuntimeClasses but no Nodes', async () => {
    const dir = join(tmp, 'certs-nodeless');
    await writeWebhookCerts(dir, certs);
    const file = join(tmp, 'nodeless.yaml');
    await writeFile(file, stringify(runtimeClassObject('wasm1', 'wasmtime', { wasm: 'yes' })));
    expect(await startFails(base(dir, { clusterState: [file] }))).toBe(
      `the cluster state ${file} has no Nodes (1 RuntimeClasses): every Wasm pod would be denied; check the path, or pass --allow-empty-cluster-state if an empty cluster is intended`,
    );
  });
});
