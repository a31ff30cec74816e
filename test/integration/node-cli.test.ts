/**
 * `wasmgate node ...` as a process: exit codes (0 done / no finding, 1 refused / findings, 2 bad
 * arguments or unreadable input), and the golden messages verbatim on the real output.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeObject, runtimeClassObject } from '../harness/fixtures.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'wasmgate.js');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, 'node', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

// each run starts a Node process; on a loaded machine that takes seconds
const SLOW = { timeout: 120_000 };

const golden = (name: string): Promise<string> => readFile(join(ROOT, 'test', 'golden', `${name}.txt`), 'utf8');

let tmp: string;
let rootfs: string;
let clusterState: string;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'index.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
  tmp = await mkdtemp(join(tmpdir(), 'wasmgate-node-cli-'));
  // a node: version 2 config with wasmtime, its shim, and spin's shim installed but not registered
  rootfs = join(tmp, 'root');
  await mkdir(join(rootfs, 'etc', 'containerd'), { recursive: true });
  await mkdir(join(rootfs, 'usr', 'local', 'bin'), { recursive: true });
  await writeFile(join(rootfs, 'etc', 'hostname'), 'wasm-1\n');
  await writeFile(
    join(rootfs, 'etc', 'containerd', 'config.toml'),
    'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmtime]\nruntime_type = "io.containerd.wasmtime.v1"\n',
  );
  for (const shim of ['containerd-shim-wasmtime-v1', 'containerd-shim-spin-v2']) {
    await writeFile(join(rootfs, 'usr', 'local', 'bin', shim), '#!/bin/sh\n');
    await chmod(join(rootfs, 'usr', 'local', 'bin', shim), 0o755);
  }
  clusterState = join(tmp, 'cluster.yaml');
  await writeFile(
    clusterState,
    [nodeObject('wasm-1', { 'kubernetes.io/wasm': 'yes' }), runtimeClassObject('wasm1', 'wasmtime', { 'kubernetes.io/wasm': 'yes' })]
      .map((o) => stringify(o))
      .join('---\n'),
  );
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('wasmgate node config', SLOW, () => {
  it('prints the fragment for a release: exit 0', async () => {
    const r = await run(['config', '--runtime', 'wasmtime', '--runtime', 'spin', '--containerd-version', '2.x']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(await golden('node-config-fragment-v3'));
  });

  it('refuses a file whose version it cannot tell: exit 1, the golden message', async () => {
    const file = join(tmp, 'noversion.toml');
    await writeFile(file, '[plugins."io.containerd.grpc.v1.cri"]\n');
    const r = await run(['config', '--runtime', 'wasmtime', '--merge', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe((await golden('node-config-refused-no-version')).replace('/etc/containerd/config.toml', file));
  });

  it.each([
    [['config', '--runtime', 'wasmtime'], /say which config the tables are for/],
    [['config', '--runtime', 'nosuchshim', '--config-version', '2'], /wasmgate does not know this shim's runtime_type/],
    [['config', '--runtime', 'wasmtime', '--merge', '/nonexistent/config.toml'], /cannot read \/nonexistent\/config.toml: ENOENT/],
    [
      ['config', '--runtime', 'wasmtime', '--containerd-version', '1.7', '--config-version', '3'],
      /containerd 1.7 does not read config version 3/,
    ],
    [['config'], /required option '--runtime/],
    [['config', '--runtime', 'wasmtime', '--bogus'], /unknown option '--bogus'/],
  ])('bad arguments or unreadable input: exit 2 (%j)', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('wasmgate node doctor', SLOW, () => {
  it('findings on a root filesystem: exit 1', async () => {
    const r = await run(['doctor', '--root', rootfs]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('containerd config: ' + join(rootfs, 'etc/containerd/config.toml') + ', version 2');
    expect(r.stdout).toContain('[shim-unregistered] containerd-shim-spin-v2 is installed in /usr/local/bin');
    expect(r.stdout).toMatch(/\n1 finding\n$/);
  });

  it('no finding: exit 0', async () => {
    // register spin too (the fix the finding names), in a copy of the config
    const cfg = join(tmp, 'both.toml');
    const merged = await run(['config', '--runtime', 'spin', '--merge', join(rootfs, 'etc/containerd/config.toml')]);
    expect(merged.code, merged.stderr).toBe(0);
    await writeFile(cfg, merged.stdout);
    const clean = await run(['doctor', '--root', rootfs, '--config', cfg]);
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.stdout).toMatch(/\nno problem found\n$/);
  });

  it("with a cluster state: the admission rule's reserved-label message, verbatim", async () => {
    const r = await run(['doctor', '--root', rootfs, '--cluster-state', clusterState]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('cluster: the cluster state (1 file); Node wasm-1; 1 RuntimeClass');
    expect(r.stdout).toContain(await golden('node-doctor-reserved-label-keys'));
  });

  it('an unreadable cluster state: exit 2', async () => {
    const r = await run(['doctor', '--root', rootfs, '--cluster-state', join(tmp, 'missing')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('does not exist');
  });
});

describe('wasmgate node runtimeclass', SLOW, () => {
  it('prints the RuntimeClass and the label command: exit 0', async () => {
    const r = await run([
      'runtimeclass',
      '--runtime',
      'wasmtime',
      '--label',
      'wasmtime-enabled=yes',
      '--toleration',
      'wasm=true:NoSchedule',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(await golden('node-runtimeclass-yaml'));
  });

  it('refuses a reserved-namespace label with the admission message: exit 1', async () => {
    const r = await run([
      'runtimeclass',
      '--runtime',
      'wasmtime',
      '--label',
      'kubernetes.io/wasm=yes',
      '--toleration',
      'wasm=true:NoSchedule',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(await golden('node-runtimeclass-refused-reserved'));
  });

  it('a bad label: exit 2', async () => {
    const r = await run(['runtimeclass', '--runtime', 'wasmtime', '--label', 'no value']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--label no value: expected key=value');
  });
});
