/**
 * The image's contents, built by running the Dockerfile's own steps in a clean directory
 * (test/harness/dockerfile.ts: no container engine or base image here), then started the way the
 * image starts: its ENTRYPOINT and CMD, its ENV, as its non-root USER. It answers an
 * AdmissionReview over verified TLS and exits 0 on SIGTERM. The real image build with buildah is
 * hack/image/build.sh (README: what was proven where).
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookCerts, writeWebhookCerts } from '../../src/certs/generate.js';
import { freePort } from '../harness/controlplane.js';
import { buildTree, type Tree } from '../harness/dockerfile.js';
import { REPO } from '../harness/wasmgate.js';

let out = '';
let tree: Tree;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'wasmgate-image-'));
  chmodSync(out, 0o755);
  tree = buildTree(REPO, out);
}, 900_000);

afterAll(async () => {
  if (out !== '') await rm(out, { recursive: true, force: true });
});

describe('the image built from the Dockerfile', () => {
  it('holds production dependencies only, the compiled CLI, and no sources', () => {
    const app = join(tree.root, 'app');
    const deps = readdirSync(join(app, 'node_modules'));
    expect(deps).toContain('fastify');
    for (const dev of ['typescript', 'vitest', 'tsx', 'fast-check']) expect(deps).not.toContain(dev);
    expect(existsSync(join(app, 'dist/cli/index.js'))).toBe(true);
    expect(existsSync(join(app, 'src'))).toBe(false);
    expect(tree.user).toBe('10001:10001');
    expect(tree.entrypoint).toEqual(['node', '/app/bin/wasmgate.js']);
    expect(tree.env['NODE_OPTIONS']).toBe('--max-semi-space-size=8 --expose-gc');
  });

  it('its entrypoint, as UID 10001, answers an AdmissionReview over TLS and exits 0 on SIGTERM', async () => {
    const dir = await mkdtemp(join(out, 'run-'));
    chmodSync(dir, 0o755);
    const certs = await generateWebhookCerts('wasmgate', 'wasmgate');
    await writeWebhookCerts(join(dir, 'certs'), certs);
    for (const f of ['', '/ca.crt', '/ca.key', '/tls.crt', '/tls.key']) chownSync(join(dir, 'certs') + f, 10001, 10001);
    const port = await freePort();
    const [uid, gid] = tree.user.split(':');
    const inImage = (a: string): string => (a.startsWith('/app/') ? join(tree.root, a) : a);
    const args = [...tree.entrypoint.map(inImage), ...tree.cmd];
    args.push(
      '--cluster-state',
      join(REPO, 'examples/cluster'),
      '--config',
      join(REPO, 'examples/config.yaml'),
      '--cert-dir',
      join(dir, 'certs'),
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
    );
    const child = spawn('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', ...args], {
      cwd: join(tree.root, 'app'),
      env: { PATH: process.env['PATH'] ?? '', ...tree.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const post = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const req = request(
          `https://127.0.0.1:${port}/mutate`,
          { method: 'POST', ca: certs.ca.cert, headers: { 'Content-Type': 'application/json' } },
          (res) => {
            let b = '';
            res.on('data', (d: Buffer) => (b += d.toString()));
            res.on('end', () => resolve(b));
          },
        );
        req.on('error', reject);
        req.end(readFileSync(join(REPO, 'examples/admission-review.json')));
      });
    try {
      let answer = '';
      for (let i = 0; i < 600 && answer === ''; i++) {
        if (child.exitCode !== null) throw new Error(`exited early: ${log}`);
        answer = await post().catch(() => '');
        if (answer === '') await new Promise((r) => setTimeout(r, 100));
      }
      const review = JSON.parse(answer);
      expect(review.response.allowed).toBe(true);
      expect(JSON.parse(Buffer.from(review.response.patch, 'base64').toString())).toEqual([
        { op: 'add', path: '/spec/runtimeClassName', value: 'wasm1' },
      ]);
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(uid);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, log).toBe(0);
  });
});
