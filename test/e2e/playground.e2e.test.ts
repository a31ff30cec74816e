/**
 * `npm start` is the README's main job: the playground. Run it as a user would (the real CLI),
 * follow what it prints in both phases — the example snapshot at once, then the local cluster —
 * and stop it with Ctrl-C. A second run on an empty binary cache shows the first phase does not
 * wait for the build, and that Ctrl-C stops the build too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTROLLER_TEST_TIMEOUT_MS, freePort, SETUP_TIMEOUT_MS, waitFor } from '../harness/controlplane.js';
import { decodePatch, postReview } from '../harness/http.js';
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

const PHASE_1 = 'Ctrl-C stops everything';
const PHASE_2 = /Use the cluster:[\s\S]*Ctrl-C stops everything/;
const WASM1_PATCH = [{ op: 'add', path: '/spec/runtimeClassName', value: 'wasm1' }];

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface Playground {
  child: ChildProcess;
  dir: string;
  port: number;
  out(): string;
  exited: Promise<number | null>;
}

async function startPlayground(env: NodeJS.ProcessEnv = process.env): Promise<Playground> {
  ensureBuilt();
  const dir = await mkdtemp(join(tmpdir(), 'wasmgate-playground-'));
  dirs.push(dir);
  const port = await freePort();
  const child = spawn(process.execPath, ['bin/wasmgate.js', 'playground', '--port', String(port), '--dir', dir], { cwd: REPO, env });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, dir, port, out: () => out, exited };
}

/** Waits until `done(output)`; fails at once (with the output) if the playground exits first. */
async function until(p: Playground, done: (out: string) => boolean, what: string, timeoutMs: number): Promise<void> {
  let ok: 'ok' | 'exited';
  try {
    ok = await waitFor(() => (p.child.exitCode !== null ? 'exited' : done(p.out()) && 'ok'), { timeoutMs, intervalMs: 200, what });
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}; output so far:\n${p.out()}`, { cause: err });
  }
  if (ok === 'exited') throw new Error(`playground exited early with ${p.child.exitCode}:\n${p.out()}`);
}

/** The printed curl line, followed: a sample AdmissionReview over verified TLS gets wasm1. */
async function followCurl(p: Playground): Promise<void> {
  expect(p.out()).toContain(`--data @examples/admission-review.json https://127.0.0.1:${p.port}/mutate`);
  const ca = await readFile(join(p.dir, 'certs', 'ca.crt'));
  const answer = await postReview(`https://127.0.0.1:${p.port}/mutate`, await readFile(join(REPO, 'examples/admission-review.json')), ca);
  expect(answer.status, answer.text).toBe(200);
  expect(decodePatch(answer.body?.response.patch)).toEqual(WASM1_PATCH);
}

describe('npm start (wasmgate playground)', () => {
  it(
    'serves the example snapshot at once, then the local cluster; the printed commands work, and Ctrl-C stops everything',
    async () => {
      const p = await startPlayground();
      try {
        // phase 1: the example snapshot, before any cluster
        await until(p, (o) => o.includes(PHASE_1), 'the first phase (example snapshot)', 120_000);
        expect(p.out()).toContain('example snapshot until the local cluster is up');
        await followCurl(p);

        // phase 2: the local cluster, and wasmgate switched to it
        await until(p, (o) => PHASE_2.test(o), 'the second phase (local cluster)', SETUP_TIMEOUT_MS);
        expect(p.out()).toContain(`The local cluster is up: wasmgate on https://127.0.0.1:${p.port} now decides from its live state`);
        const kubeconfig = /export KUBECONFIG=(\S+)/.exec(p.out())?.[1];
        const binDir = /export PATH=(\S+):\$PATH/.exec(p.out())?.[1];
        expect(kubeconfig).toBe(join(p.dir, 'kubeconfig'));
        expect(binDir).toBeDefined();
        const env = { ...process.env, KUBECONFIG: kubeconfig!, PATH: `${binDir}:${process.env['PATH'] ?? ''}` };
        await followCurl(p);

        // the printed kubectl commands
        const good = await run('kubectl', ['apply', '-f', 'examples/manifests/good-pod.yaml'], env);
        expect(good.code, good.out).toBe(0);
        const rc = await run('kubectl', ['get', 'pod', 'hello-wasm', '-o', 'jsonpath={.spec.runtimeClassName}'], env);
        expect(rc.out).toBe('wasm1');
        const bad = await run('kubectl', ['apply', '-f', 'examples/manifests/bad-pods.yaml'], env);
        expect(bad.code).not.toBe(0);
        expect(bad.out.match(/denied the request/g)?.length).toBe(3);
        const deployment = await run('kubectl', ['apply', '-f', 'examples/manifests/bad-deployment.yaml'], env);
        expect(deployment.out).toContain(
          '[runtimeclass-exists] Deployment default/web names RuntimeClass wasm2 in spec.template.spec.runtimeClassName',
        );
        // the live state, not the snapshot: the change reaches wasmgate's decision
        const strand = await run('kubectl', ['label', 'node', 'spin-1', 'spin-enabled-'], env);
        expect(strand.out).toContain(
          'Warning: [node-change-strands-runtimeclass] This change to Node spin-1 removes label spin-enabled=yes',
        );
      } finally {
        p.child.kill('SIGINT');
      }
      expect(await p.exited).toBe(0);
      expect(p.out()).toContain('stopping...');
      const cpDir = /dir (\/\S+wasmgate-cp-\S+)/.exec(p.out())?.[1];
      expect(cpDir).toBeDefined();
      await expect(readFile(join(cpDir!, 'kubeconfig'))).rejects.toThrow();
    },
    SETUP_TIMEOUT_MS + CONTROLLER_TEST_TIMEOUT_MS,
  );

  it(
    'on an empty binary cache, serves the snapshot while the build runs with progress, and Ctrl-C stops the build',
    async () => {
      const cache = await mkdtemp(join(tmpdir(), 'wasmgate-cold-cache-'));
      dirs.push(cache);
      const env: NodeJS.ProcessEnv = { ...process.env, WASMGATE_CACHE: cache };
      delete env['WASMGATE_BIN_DIR'];
      const p = await startPlayground(env);
      try {
        await until(p, (o) => o.includes(PHASE_1), 'the first phase (example snapshot)', 120_000);
        await followCurl(p);
        // build.sh's own progress lines (elapsed time since it started) reach the user
        await until(p, (o) => o.includes('[controlplane/build.sh +') && o.includes(cache), 'build progress lines', 120_000);
        expect(p.out()).not.toContain('Use the cluster:');
      } finally {
        p.child.kill('SIGINT');
      }
      expect(await p.exited).toBe(0);
      expect(p.out()).toContain('stopping...');
      expect(p.out()).not.toContain('could not start');
      // the build (build.sh and its go commands) is gone, and so is its temp dir
      await waitFor(async () => !(await processesMentioning(cache)), { timeoutMs: 60_000, what: `no process using ${cache}` });
      await waitFor(async () => (await readdir(cache)).every((e) => !e.startsWith('.tmp-')), {
        timeoutMs: 30_000,
        what: `build temp dirs in ${cache} removed`,
      });
    },
    CONTROLLER_TEST_TIMEOUT_MS,
  );
});

/** Whether any process's command line or environment names `path` (Linux /proc). */
async function processesMentioning(path: string): Promise<boolean> {
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    for (const f of ['cmdline', 'environ']) {
      try {
        if ((await readFile(`/proc/${pid}/${f}`, 'utf8')).includes(path)) return true;
      } catch {
        /* gone, or not ours to read */
      }
    }
  }
  return false;
}
