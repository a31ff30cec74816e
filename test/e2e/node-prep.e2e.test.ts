/**
 * Preparing a node, end to end against a real kube-apiserver: the README's "Preparing nodes" steps
 * with `wasmgate node config`, `node runtimeclass` (applied with real kubectl), `kubectl label`,
 * and `node doctor --kubeconfig` (one list of Nodes and RuntimeClasses) before and after.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObjects, createNode, kubectlOk, useControlPlane } from '../harness/controlplane.js';
import { REPO, ensureBuilt } from '../harness/wasmgate.js';

function wasmgate(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'bin', 'wasmgate.js'), ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

const controlPlane = useControlPlane({ scheduler: false });
let tmp: string;
let root: string;
const config = (): string => join(root, 'etc', 'containerd', 'config.toml');

beforeAll(async () => {
  ensureBuilt();
  tmp = await mkdtemp(join(tmpdir(), 'wasmgate-node-prep-'));
  root = join(tmp, 'rootfs');
  await mkdir(join(root, 'etc', 'containerd'), { recursive: true });
  await mkdir(join(root, 'usr', 'local', 'bin'), { recursive: true });
  await mkdir(join(root, 'usr', 'bin'), { recursive: true });
  await writeFile(join(root, 'etc', 'hostname'), 'wasm-1\n');
  // containerd's own runc shim, as its package installs it
  await writeFile(join(root, 'usr', 'bin', 'containerd-shim-runc-v2'), '#!/bin/sh\n');
  await chmod(join(root, 'usr', 'bin', 'containerd-shim-runc-v2'), 0o755);
  await writeFile(
    config(),
    '# containerd 1.7 node\nversion = 2\n\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"\n',
  );
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('preparing a Wasm node (real kube-apiserver, kubectl)', () => {
  it('shim, config, RuntimeClass, label: doctor --kubeconfig goes from findings to none', async () => {
    const cp = controlPlane;
    await createNode(cp, { name: 'wasm-1' });

    // 1. the shim
    const shim = join(root, 'usr', 'local', 'bin', 'containerd-shim-wasmtime-v1');
    await writeFile(shim, '#!/bin/sh\n');
    await chmod(shim, 0o755);
    // 2. the config
    const merged = await wasmgate(['node', 'config', '--runtime', 'wasmtime', '--merge', config()]);
    expect(merged.code, merged.stderr).toBe(0);
    const before = await readFile(config(), 'utf8');
    expect(merged.stdout.startsWith(before)).toBe(true);
    await writeFile(config(), merged.stdout);

    // the runtime is registered, but nothing in the cluster uses it yet
    let doctor = await wasmgate(['node', 'doctor', '--root', root, '--kubeconfig', cp.kubeconfig]);
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(1);
    expect(doctor.stdout).toContain(`cluster: the cluster at ${cp.server}; Node wasm-1; 0 RuntimeClasses`);
    expect(doctor.stdout).toContain('[handler-unused] Runtime wasmtime is registered in');

    // 4-5. the RuntimeClass, through real kubectl apply, and the label command it prints
    const rc = await wasmgate(['node', 'runtimeclass', '--runtime', 'wasmtime', '--label', 'wasmtime-enabled=yes']);
    expect(rc.code, rc.stderr).toBe(0);
    expect(await kubectlOk(cp, ['apply', '-f', '-'], { input: rc.stdout })).toContain('runtimeclass.node.k8s.io/wasmtime created');
    const label = /kubectl label nodes <node> (.+)\n/.exec(rc.stdout)![1]!;
    await kubectlOk(cp, ['label', 'nodes', 'wasm-1', ...label.split(' ')]);

    doctor = await wasmgate(['node', 'doctor', '--root', root, '--kubeconfig', cp.kubeconfig]);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(doctor.stdout).toContain('Node wasm-1; 1 RuntimeClass\n');
    expect(doctor.stdout).toMatch(/\nno problem found\n$/);
  });

  it('a class whose selector this node carries but whose handler it lacks, and a reserved label: the admission message verbatim', async () => {
    const cp = controlPlane;
    await applyObjects(cp, [
      {
        apiVersion: 'node.k8s.io/v1',
        kind: 'RuntimeClass',
        metadata: { name: 'spin' },
        handler: 'spin',
        scheduling: { nodeSelector: { 'spin-enabled': 'yes' } },
      },
      {
        apiVersion: 'node.k8s.io/v1',
        kind: 'RuntimeClass',
        metadata: { name: 'wasm1' },
        handler: 'wasmtime',
        scheduling: { nodeSelector: { 'kubernetes.io/wasm': 'yes' } },
      },
    ]);
    await kubectlOk(cp, ['label', 'nodes', 'wasm-1', 'spin-enabled=yes', 'kubernetes.io/wasm=yes']);
    const doctor = await wasmgate(['node', 'doctor', '--root', root, '--kubeconfig', cp.kubeconfig]);
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(1);
    expect(doctor.stdout).toContain(
      '[runtimeclass-handler-missing] Node wasm-1 carries the node selector of RuntimeClass spin (handler spin), spin-enabled=yes, but ' +
        `${config()} registers no runtime spin (it registers runc and wasmtime): its pods that land here fail with no runtime for "spin" is configured.`,
    );
    expect(doctor.stdout).toContain(await readFile(join(REPO, 'test', 'golden', 'node-doctor-reserved-label-keys.txt'), 'utf8'));
    expect(doctor.stdout).toMatch(/\n2 findings\n$/);
  });

  it('an unreachable API server: exit 2 with the reason', async () => {
    const bad = join(tmp, 'kubeconfig-bad');
    const kc = (await readFile(controlPlane.kubeconfig, 'utf8')).replace(
      /server: https:\/\/127\.0\.0\.1:\d+/,
      'server: https://127.0.0.1:1',
    );
    await writeFile(bad, kc);
    const doctor = await wasmgate(['node', 'doctor', '--root', root, '--kubeconfig', bad]);
    expect(doctor.code).toBe(2);
    expect(doctor.stderr).toMatch(/^wasmgate node doctor: .*ECONNREFUSED/);
  });
});
