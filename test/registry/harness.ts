/**
 * A real OCI registry for image-detection tests: distribution v3's `registry` (built from its Go
 * module by hack/tools/build.sh) on loopback over TLS, anonymous, with htpasswd basic auth, or
 * with token auth against the test token server (token-server.ts). Objects are pushed with
 * `oras` (also built from its Go module): real manifests, configs, layers and indexes.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'node:https';
import bcrypt from 'bcryptjs';
import { generateCa, signLeaf, type CertPair } from '../../src/certs/generate.js';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;

/** The bin dir of a tool from hack/tools/build.sh (builds it on a cold cache). */
export async function toolBin(tool: 'registry' | 'oras'): Promise<string> {
  const { stdout } = await run('bash', [join(ROOT, 'hack/tools/build.sh'), tool], { maxBuffer: 16 * 1024 * 1024, timeout: 1_800_000 });
  const dir = stdout.trim().split('\n').pop()!;
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface TestPki {
  ca: CertPair;
  leaf: CertPair;
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A CA and a loopback serving certificate (localhost, 127.0.0.1), written to files. */
export async function testPki(dir: string): Promise<TestPki> {
  const ca = await generateCa('wasmgate registry test CA', 2);
  const leaf = await signLeaf(ca, { commonName: 'localhost', sans: ['localhost', '127.0.0.1'], days: 2 });
  await mkdir(dir, { recursive: true });
  const caFile = join(dir, 'ca.crt');
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  await writeFile(caFile, ca.cert);
  await writeFile(certFile, leaf.cert);
  await writeFile(keyFile, leaf.key, { mode: 0o600 });
  return { ca, leaf, dir, caFile, certFile, keyFile };
}

export type AuthMode =
  | { kind: 'anonymous' }
  | { kind: 'basic'; users: Record<string, string> }
  | { kind: 'token'; realm: string; service: string; issuer: string; jwksFile: string };

export interface RunningRegistry {
  host: string;
  port: number;
  process: ChildProcess;
  logs: () => string;
  stop: () => Promise<void>;
}

/** Poll until the registry answers /v2/ (200 or 401), with a generous deadline. */
async function waitReady(host: string, ca: string, proc: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`registry exited (${proc.exitCode}):\n${logs()}`);
    const status = await new Promise<number>((resolve) => {
      const req = request(`https://${host}/v2/`, { ca, agent: false, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(0));
      req.on('timeout', () => req.destroy());
      req.end();
    });
    if (status === 200 || status === 401) return;
    if (Date.now() > deadline) throw new Error(`registry on ${host} not ready after 60 s:\n${logs()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startRegistry(opts: {
  bin: string;
  storage: string;
  pki: TestPki;
  auth: AuthMode;
  workDir: string;
}): Promise<RunningRegistry> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  await mkdir(opts.workDir, { recursive: true });
  let auth = '';
  if (opts.auth.kind === 'basic') {
    const htpasswd = join(opts.workDir, 'htpasswd');
    // the registry accepts bcrypt entries only
    const lines = Object.entries(opts.auth.users).map(([u, p]) => `${u}:${bcrypt.hashSync(p, 10)}`);
    await writeFile(htpasswd, `${lines.join('\n')}\n`);
    auth = `auth:\n  htpasswd:\n    realm: wasmgate-test\n    path: ${htpasswd}\n`;
  } else if (opts.auth.kind === 'token') {
    const a = opts.auth;
    auth = `auth:\n  token:\n    realm: ${a.realm}\n    service: ${a.service}\n    issuer: ${a.issuer}\n    jwks: ${a.jwksFile}\n`;
  }
  const config = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${opts.storage}`,
    'http:',
    `  addr: ${host}`,
    `  secret: ${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`,
    '  tls:',
    `    certificate: ${opts.pki.certFile}`,
    `    key: ${opts.pki.keyFile}`,
    auth,
  ].join('\n');
  const configFile = join(opts.workDir, 'config.yml');
  await writeFile(configFile, config);
  const proc = spawn(join(opts.bin, 'registry'), ['serve', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '', HOME: opts.workDir, OTEL_TRACES_EXPORTER: 'none', OTEL_SDK_DISABLED: 'true' },
  });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-20_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const logs = () => out;
  await waitReady(host, opts.pki.ca.cert, proc, logs);
  return {
    host,
    port,
    process: proc,
    logs,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGCONT');
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** `oras ARGS` with the test CA; returns stdout. */
export async function oras(bin: string, cwd: string, pki: TestPki, args: string[]): Promise<string> {
  const [cmd, ...rest] = args;
  const withCa =
    cmd === 'manifest' ? [cmd, rest[0]!, rest[1]!, '--ca-file', pki.caFile, ...rest.slice(2)] : [cmd!, '--ca-file', pki.caFile, ...rest];
  try {
    const { stdout } = await run(join(bin, 'oras'), withCa, { cwd, env: { PATH: process.env['PATH'] ?? '', HOME: cwd }, timeout: 120_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`oras ${withCa.join(' ')} failed: ${e.stderr ?? ''}${e.stdout ?? ''}${e.message}`, { cause: err });
  }
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
