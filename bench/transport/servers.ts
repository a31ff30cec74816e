/**
 * The two servers of the transport benchmark, each its own process with the same V8 flags:
 * wasmgate as deployed (`node bin/wasmgate.js serve`, compiled by `npm run build`, deciding from a
 * snapshot of realistic Nodes) and the null webhook (bench/transport/null-webhook.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevCerts } from '../../src/certs/generate.js';
import { nodeOn } from '../cpus.js';
import { makeNode } from '../nodes.js';
import { RUNTIME_CLASSES } from '../shared.js';

export interface Server {
  name: 'wasmgate' | 'null';
  pid: number;
  url: string;
  command: string;
  /** lines the server wrote on stdout (wasmgate: one JSON log line per review at --log-level debug; at info, only denials, warnings and errors) */
  stdoutLines(): number;
  /** everything it wrote on stderr so far */
  stderrText(): string;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

/** SIGKILL every server still running (the runner's exit hook). */
export function killServers(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

export interface Workspace {
  /** the temporary directory, removed when the process exits */
  work: string;
  certDir: string;
  /** the CA that signed the servers' certificate (PEM) */
  ca: string;
  /** wasmgate's --cluster-state */
  snapshot: string;
}

/**
 * What every run of servers needs: a temporary directory with development certificates and a
 * snapshot of `nodes` realistic Nodes. On exit, every server still running is killed and the
 * directory removed.
 */
export async function workspace(prefix: string, nodes: number): Promise<Workspace> {
  const work = mkdtempSync(join(tmpdir(), prefix));
  process.on('exit', () => {
    killServers();
    rmSync(work, { recursive: true, force: true });
  });
  const certDir = join(work, 'certs');
  const certs = await ensureDevCerts(certDir);
  const ca = certs.caCert ?? readFileSync(join(certDir, 'ca.crt'), 'utf8');
  const snapshot = join(work, 'state.json');
  writeSnapshot(snapshot, nodes);
  return { work, certDir, ca, snapshot };
}

/** A snapshot (one List) of `nodes` realistic Nodes, without status.images, and the benchmark's RuntimeClasses. */
export function writeSnapshot(path: string, nodes: number): void {
  const items: unknown[] = RUNTIME_CLASSES.map((rc) => ({
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name: rc.name },
    handler: rc.handler,
    scheduling: { nodeSelector: rc.nodeSelector, tolerations: rc.tolerations },
  }));
  for (let i = 0; i < nodes; i++) {
    const { node } = makeNode(i);
    const status = node['status'] as Record<string, unknown>;
    items.push({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: node['metadata'],
      spec: node['spec'],
      status: { conditions: status['conditions'] },
    });
  }
  writeFileSync(path, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
}

export function startServer(
  name: Server['name'],
  args: string[],
  cwd: string,
  ready: RegExp,
  url: string,
  timeoutMs: number,
  opts: {
    /**
     * write stdout to this file instead of a pipe: wasmgate can log a line per review (at debug),
     * and a pipe read by this (busy) process fills and blocks its synchronous writes, which
     * production's log pipe, drained by the container runtime, does not
     */
    stdoutFile?: string | undefined;
    /** run it on these CPUs only (a taskset list: BENCH_SERVER_CPUS, bench/cpus.ts) */
    cpus?: string | undefined;
  } = {},
): Promise<Server> {
  const { stdoutFile, cpus } = opts;
  const out = stdoutFile === undefined ? 'pipe' : openSync(stdoutFile, 'w');
  const child = spawn(...nodeOn(cpus, args), { cwd, stdio: ['pipe', out, 'pipe'] });
  if (typeof out === 'number') closeSync(out);
  children.add(child);
  let lines = 0;
  let stderr = '';
  let stdoutTail = '';
  child.stdout?.on('data', (c: Buffer) => {
    for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) lines++;
    stdoutTail = (stdoutTail + c.toString('utf8')).slice(-2000);
  });
  const countLines = (): number => {
    if (stdoutFile === undefined) return lines;
    const text = readFileSync(stdoutFile);
    let n = 0;
    for (let i = text.indexOf(10); i !== -1; i = text.indexOf(10, i + 1)) n++;
    return n;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${name} did not start within ${timeoutMs} ms; stderr: ${stderr.slice(-1000)}`)),
      timeoutMs,
    );
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const onReady = (): void => {
      clearTimeout(timer);
      resolve({
        name,
        pid: child.pid!,
        url,
        command: `${cpus === undefined ? '' : `taskset -c ${cpus} `}node ${args.join(' ')}`,
        stdoutLines: countLines,
        stderrText: () => stderr,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(kill);
              children.delete(child);
              done();
            });
            child.kill('SIGTERM');
          }),
      });
    };
    const watch = (c: Buffer): void => {
      stderr += c.toString('utf8');
      if (ready.test(stderr) || ready.test(stdoutTail)) onReady();
    };
    child.stderr?.on('data', watch);
    child.stdout?.on('data', () => {
      if (ready.test(stdoutTail)) onReady();
    });
    child.once('exit', (code) => fail(new Error(`${name} exited with ${code}; stderr: ${stderr.slice(-2000)}`)));
  });
}

/**
 * A config file for a benchmarked `wasmgate serve`: `lines` plus no drain on SIGTERM (stopping a
 * server is not measured; the default 5 s of draining would only make every run longer).
 */
export function benchConfig(path: string, lines: string[] = []): string {
  writeFileSync(path, [...lines, 'server: { drainSeconds: 0 }', ''].join('\n'));
  return path;
}

/**
 * `node [v8Flags] bin/wasmgate.js serve` against a live cluster, as the envelope and apiserver
 * benchmarks run it: the background audit (issue 12, measured by bench/reports-scale.ts) off, so
 * that what is measured is the live source and admission.
 */
export function liveServeArgs(o: { v8Flags: string[]; kubeconfig: string; config: string; certDir: string; port: number }): string[] {
  return [
    ...o.v8Flags,
    'bin/wasmgate.js',
    'serve',
    '--kubeconfig',
    o.kubeconfig,
    '--config',
    o.config,
    '--cert-dir',
    o.certDir,
    '--port',
    String(o.port),
    '--host',
    '127.0.0.1',
    '--audit-interval',
    '0',
  ];
}

export interface ServerSetup {
  root: string;
  v8Flags: string[];
  certDir: string;
  snapshot: string;
  port: number;
  /** wasmgate's stdout (its log) goes to this file */
  logFile?: string;
  /** extra node flags, e.g. --cpu-prof --cpu-prof-dir=... */
  extraNodeFlags?: string[];
  /** extra arguments for the server itself (the null webhook's --patch) */
  extraArgs?: string[];
  /** the server's CPUs (BENCH_SERVER_CPUS) */
  cpus?: string;
}

export async function startWasmgate(s: ServerSetup): Promise<Server> {
  if (!existsSync(join(s.root, 'dist', 'cli', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first (the benchmark runs wasmgate as deployed, compiled)');
  const args = [
    ...s.v8Flags,
    ...(s.extraNodeFlags ?? []),
    'bin/wasmgate.js',
    'serve',
    '--cluster-state',
    s.snapshot,
    '--config',
    benchConfig(join(s.certDir, '..', 'wasmgate-config.yaml')),
    '--cert-dir',
    s.certDir,
    '--port',
    String(s.port),
    '--host',
    '127.0.0.1',
    // e.g. BENCH_TRANSPORT_WASMGATE_ARGS='--log-level debug' to see what a log line per review costs
    ...(process.env['BENCH_TRANSPORT_WASMGATE_ARGS'] ?? '').split(' ').filter((a) => a !== ''),
  ];
  return startServer('wasmgate', args, s.root, /wasmgate listening on/, `https://127.0.0.1:${s.port}`, 120_000, {
    stdoutFile: s.logFile,
    cpus: s.cpus,
  });
}

export async function startNull(s: ServerSetup): Promise<Server> {
  const args = [
    ...s.v8Flags,
    ...(s.extraNodeFlags ?? []),
    '--import',
    'tsx',
    'bench/transport/null-webhook.ts',
    s.certDir,
    String(s.port),
    ...(s.extraArgs ?? []),
  ];
  return startServer('null', args, s.root, /^listening /m, `https://127.0.0.1:${s.port}`, 60_000, { cpus: s.cpus });
}

export function stopAll(servers: Server[]): Promise<void[]> {
  return Promise.all(servers.map((s) => s.stop()));
}
