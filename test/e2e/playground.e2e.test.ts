/**
 * `npm start` is the README's main job: the playground. Run it as a user would (the real CLI),
 * follow what it prints, and stop it with Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/controlplane.js';
import { ensureBuilt, REPO } from '../harness/wasmgate.js';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { env, cwd: REPO });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('exit', (code) => resolve({ code: code ?? -1, out }));
  });
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('npm start (wasmgate playground)', () => {
  it('starts a cluster with wasmgate, prints commands that work, and Ctrl-C stops everything', async () => {
    ensureBuilt();
    const dir = await mkdtemp(join(tmpdir(), 'wasmgate-playground-'));
    dirs.push(dir);
    const port = await freePort();
    const child = spawn(process.execPath, ['bin/wasmgate.js', 'playground', '--port', String(port), '--dir', dir], { cwd: REPO });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const deadline = Date.now() + 180_000;
    while (!out.includes('Ctrl-C stops everything')) {
      if (child.exitCode !== null) throw new Error(`playground exited early:\n${out}`);
      if (Date.now() > deadline) throw new Error(`playground not ready in 180 s:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    try {
      const kubeconfig = /export KUBECONFIG=(\S+)/.exec(out)?.[1];
      const binDir = /export PATH=(\S+):\$PATH/.exec(out)?.[1];
      expect(kubeconfig).toBe(join(dir, 'kubeconfig'));
      expect(binDir).toBeDefined();
      const env = { ...process.env, KUBECONFIG: kubeconfig!, PATH: `${binDir}:${process.env['PATH'] ?? ''}` };

      // the printed curl line: a sample AdmissionReview over verified TLS
      expect(out).toContain(`--data @examples/admission-review.json https://127.0.0.1:${port}/mutate`);
      const ca = await readFile(join(dir, 'certs', 'ca.crt'));
      const body = await readFile(join(REPO, 'examples/admission-review.json'));
      const answer = await new Promise<string>((resolve, reject) => {
        const req = request(`https://127.0.0.1:${port}/mutate`, { method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (res) => {
          let b = '';
          res.on('data', (d: Buffer) => (b += d.toString()));
          res.on('end', () => resolve(b));
        });
        req.on('error', reject);
        req.end(body);
      });
      const patch = JSON.parse(Buffer.from(JSON.parse(answer).response.patch, 'base64').toString());
      expect(patch).toEqual([{ op: 'add', path: '/spec/runtimeClassName', value: 'wasm1' }]);

      // the printed kubectl commands
      const good = await run('kubectl', ['apply', '-f', 'examples/manifests/good-pod.yaml'], env);
      expect(good.code, good.out).toBe(0);
      const rc = await run('kubectl', ['get', 'pod', 'hello-wasm', '-o', 'jsonpath={.spec.runtimeClassName}'], env);
      expect(rc.out).toBe('wasm1');
      const bad = await run('kubectl', ['apply', '-f', 'examples/manifests/bad-pods.yaml'], env);
      expect(bad.code).not.toBe(0);
      expect(bad.out.match(/denied the request/g)?.length).toBe(3);
      const deployment = await run('kubectl', ['apply', '-f', 'examples/manifests/bad-deployment.yaml'], env);
      expect(deployment.out).toContain('[runtimeclass-exists] Deployment default/web names RuntimeClass wasm2 in spec.template.spec.runtimeClassName');
      const strand = await run('kubectl', ['label', 'node', 'spin-1', 'spin-enabled-'], env);
      expect(strand.out).toContain('Warning: [node-change-strands-runtimeclass] This change to Node spin-1 removes label spin-enabled=yes');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out).toContain('stopping...');
    const cpDir = /dir (\/\S+wasmgate-cp-\S+)/.exec(out)?.[1];
    expect(cpDir).toBeDefined();
    await expect(readFile(join(cpDir!, 'kubeconfig'))).rejects.toThrow();
  });
});
