/**
 * A real, throw-away Kubernetes control plane (etcd, kube-apiserver, optionally kube-scheduler and
 * kube-controller-manager) running as local processes on 127.0.0.1, for e2e tests and the local
 * playground (`npm start`). No kubelets: createNode() (below) writes fake Nodes and their status
 * so kube-scheduler can bind pods to them. Tests import all of this via test/harness/controlplane.ts.
 *
 * Every component listens on a free loopback port; all state (certificates, kubeconfig, etcd data,
 * logs) lives in a temp dir that `stop()` removes. Children are spawned in their own process
 * groups and, when util-linux `setpriv` is available, with a parent-death signal (SIGKILL) so they
 * die with the spawning process even if it is SIGKILLed. A process 'exit' hook and SIGINT/SIGTERM
 * handlers kill whatever is still running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPair } from 'node:crypto';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { generateCa, signLeaf, type CertPair } from '../certs/generate.js';
import { resolveBinDir } from './binaries.js';

export type ComponentName = 'etcd' | 'kube-apiserver' | 'kube-scheduler' | 'kube-controller-manager';

export interface ControlPlaneOptions {
  /** Run kube-scheduler (default true). */
  scheduler?: boolean;
  /** Run kube-controller-manager, without the node lifecycle controller (default false). */
  controllerManager?: boolean;
  /** Progress/diagnostic lines; default: `[controlplane] ...` on stderr. */
  log?: (line: string) => void;
  /** Directory holding the binaries; default: resolveBinDir() (WASMGATE_BIN_DIR or hack/controlplane/build.sh). */
  binDir?: string;
  /** Per-component readiness timeout (default 90 s). */
  readyTimeoutMs?: number;
  /** Extra kube-apiserver flags, appended last (so they override ours). */
  apiServerArgs?: string[];
  /** Extra kube-scheduler flags, appended last. */
  schedulerArgs?: string[];
  /** Extra kube-controller-manager flags, appended last. */
  controllerManagerArgs?: string[];
  /** Parent directory of the temp dir (default os.tmpdir()). */
  tmpRoot?: string;
  /**
   * Install SIGINT/SIGTERM handlers that stop every running control plane and then exit the
   * process with 130/143 (default true). Set false when the caller handles signals itself and
   * calls stop(). A process 'exit' hook that SIGKILLs the components is always installed.
   */
  handleSignals?: boolean;
}

export interface KubectlOptions {
  /** Written to kubectl's stdin (e.g. for `apply -f -`). */
  input?: string;
  /** Kill kubectl and reject after this long (default 60 s). */
  timeoutMs?: number;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ComponentProcess {
  name: ComponentName;
  pid: number;
  logFile: string;
  running: boolean;
}

export interface ControlPlanePorts {
  etcd: number;
  etcdPeer: number;
  apiServer: number;
  scheduler?: number;
  controllerManager?: number;
}

export interface ControlPlane {
  /** Temp dir holding certificates, kubeconfig, etcd data and logs (removed on stop). */
  readonly dir: string;
  /** Path of the admin kubeconfig (client certificate CN=admin, O=system:masters). */
  readonly kubeconfig: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly binDir: string;
  /** PEM of the CA that signed the apiserver serving certificate and the client certificates. */
  readonly caCert: string;
  /** Admin client certificate and key (PEM) used in the kubeconfig. */
  readonly adminCert: CertPair;
  /** http://127.0.0.1:<port> */
  readonly etcdUrl: string;
  readonly ports: ControlPlanePorts;
  /** The component processes currently known (pids change after restartApiServer). */
  processes(): ComponentProcess[];
  /** Path of a component's log file. */
  logFile(name: ComponentName): string;
  /** Runs the control plane's kubectl with `--kubeconfig <admin kubeconfig>`. */
  kubectl(args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** Stops kube-apiserver and starts it again on the same port (etcd keeps the data); resolves when ready. */
  restartApiServer(): Promise<void>;
  /** Terminates every component (SIGTERM, SIGKILL after 10 s) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;
const POLL_MS = 200;
const LOG_TAIL_LINES = 40;
const SERVICE_CIDR = '10.0.0.0/24';
const APISERVER_SANS = [
  '127.0.0.1',
  'localhost',
  '10.0.0.1',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];
/** The controller that would mark our kubelet-less Nodes unreachable; excluded from kube-controller-manager. */
export const NODE_LIFECYCLE_CONTROLLER = 'node-lifecycle-controller';

// ---------------------------------------------------------------------------------------------
// small utilities

const TMP_PREFIX = 'wasmgate-cp-';
const OWNER_FILE = 'owner.pid';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

/** Distinct free ports (distinct even if the OS hands the same one out twice in a row). */
async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** The last `lines` lines of a (possibly large) text file; '' if it cannot be read. */
export async function tailFile(path: string, lines = LOG_TAIL_LINES): Promise<string> {
  try {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const len = Math.min(size, 256 * 1024);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      const all = buf.toString('utf8').split('\n');
      while (all.length > 0 && all[all.length - 1] === '') all.pop();
      return all.slice(-lines).join('\n');
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

interface ProbeResult {
  ok: boolean;
  detail: string;
}

interface GetOptions {
  ca?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  timeoutMs?: number;
}

/** A single GET; resolves with the status and (truncated) body, rejects on network errors. */
function get(url: string, opts: GetOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const common = { method: 'GET', timeout: opts.timeoutMs ?? 2_000, agent: false as const };
    const req =
      u.protocol === 'https:'
        ? httpsRequest(u, {
            ...common,
            ...(opts.ca === undefined ? {} : { ca: opts.ca }),
            ...(opts.cert === undefined ? {} : { cert: opts.cert }),
            ...(opts.key === undefined ? {} : { key: opts.key }),
            rejectUnauthorized: opts.insecure !== true,
          })
        : httpRequest(u, common);
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 8192) body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.end();
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temp dirs left behind by control planes whose owning process died without cleaning up
 * (SIGKILL; the components themselves die with it through the parent-death signal).
 */
async function sweepStaleDirs(root: string, log: (line: string) => void): Promise<void> {
  let entries: string[];
  try {
    entries = (await readdir(root)).filter((e) => e.startsWith(TMP_PREFIX));
  } catch {
    return;
  }
  for (const e of entries) {
    const dir = join(root, e);
    try {
      const owner = Number.parseInt(await readFile(join(dir, OWNER_FILE), 'utf8'), 10);
      if (!Number.isInteger(owner) || owner <= 0 || owner === process.pid || pidAlive(owner)) continue;
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      log(`removed stale ${dir} (owner pid ${owner} is gone)`);
    } catch {
      /* no owner file (yet), or not ours to judge */
    }
  }
}

let pdeathsigSupport: boolean | undefined;
/** Whether `setpriv --pdeathsig KILL` works here (util-linux, Linux only). */
function canUsePdeathsig(): boolean {
  if (pdeathsigSupport === undefined) {
    if (process.platform !== 'linux' || process.env.WASMGATE_NO_PDEATHSIG === '1') {
      pdeathsigSupport = false;
    } else {
      const r = spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore', timeout: 5_000 });
      pdeathsigSupport = r.status === 0;
    }
  }
  return pdeathsigSupport;
}

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // Never route loopback traffic (kubectl -> apiserver, apiserver -> webhook) through a proxy.
  const noProxy = ['127.0.0.1', 'localhost', '::1'];
  for (const k of ['NO_PROXY', 'no_proxy']) {
    const cur = env[k];
    env[k] = cur === undefined || cur === '' ? noProxy.join(',') : `${cur},${noProxy.join(',')}`;
  }
  delete env.KUBECONFIG;
  return env;
}

// ---------------------------------------------------------------------------------------------
// managed processes

interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

class Component {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  exit: ExitInfo | undefined;
  stopping = false;

  constructor(
    readonly name: ComponentName,
    readonly bin: string,
    readonly args: string[],
    readonly logFile: string,
    onUnexpectedExit: (c: Component) => void,
  ) {
    const fd = openSync(logFile, 'a');
    try {
      writeSync(fd, `==> ${new Date().toISOString()} starting ${bin} ${args.join(' ')}\n`);
      const [cmd, argv] = canUsePdeathsig()
        ? ['setpriv', ['--pdeathsig', 'KILL', '--', bin, ...args]]
        : [bin, args];
      this.child = spawn(cmd, argv, { stdio: ['ignore', fd, fd], detached: true, env: childEnv() });
    } finally {
      closeSync(fd);
    }
    this.exited = new Promise<ExitInfo>((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
        if (!this.stopping) onUnexpectedExit(this);
      });
      this.child.once('error', (error) => {
        // spawn failure (ENOENT, EACCES): no 'exit' follows
        if (this.child.pid === undefined) {
          this.exit = { code: null, signal: null, error };
          resolve(this.exit);
        }
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  describeExit(): string {
    const e = this.exit;
    if (e === undefined) return 'is running';
    if (e.error !== undefined) return `could not be started (${e.error.message})`;
    if (e.signal !== null) return `was killed by ${e.signal}`;
    return `exited with code ${String(e.code)}`;
  }

  async failure(what: string): Promise<Error> {
    const tail = await tailFile(this.logFile);
    return new Error(
      `${this.name} ${what}; last ${LOG_TAIL_LINES} lines of ${this.logFile}:\n${tail === '' ? '(empty log)' : tail}`,
    );
  }

  /** Sends `signal` to the process group (falls back to the process). */
  signal(sig: NodeJS.Signals): void {
    if (!this.running || this.pid <= 0) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      try {
        this.child.kill(sig);
      } catch {
        /* already gone */
      }
    }
  }

  /** SIGTERM, SIGKILL after `graceMs`, resolves once the process has exited. */
  async terminate(graceMs = STOP_GRACE_MS): Promise<void> {
    this.stopping = true;
    if (!this.running) return;
    this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.signal('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    await this.exited;
  }

  /** Polls `probe` until it succeeds; fails fast (with the log tail) if the process exits. */
  async waitReady(probe: () => Promise<ProbeResult>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'not probed yet';
    for (;;) {
      if (!this.running) throw await this.failure(`${this.describeExit()} before becoming ready`);
      try {
        const r = await probe();
        if (r.ok) return;
        last = r.detail;
      } catch (err) {
        last = errMessage(err);
      }
      if (!this.running) throw await this.failure(`${this.describeExit()} before becoming ready`);
      if (Date.now() >= deadline) {
        throw await this.failure(`not ready after ${seconds(timeoutMs)} (last probe: ${last.trim()})`);
      }
      await Promise.race([sleep(POLL_MS), this.exited]);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// process-wide cleanup of everything still running

const live = new Set<ControlPlaneImpl>();
let exitHookInstalled = false;
let signalHooksInstalled = false;
let signalled = false;

function killAllSync(): void {
  for (const cp of live) cp.killSync();
}

function onSignal(sig: NodeJS.Signals): void {
  const code = 128 + (sig === 'SIGINT' ? 2 : 15);
  if (signalled) {
    killAllSync();
    process.exit(code);
  }
  signalled = true;
  process.stderr.write(`[controlplane] ${sig}: stopping ${live.size} control plane(s)\n`);
  void Promise.allSettled([...live].map((cp) => cp.stop())).finally(() => process.exit(code));
}

function updateHooks(): void {
  const wantExit = live.size > 0;
  const wantSignals = [...live].some((cp) => cp.handleSignals);
  if (wantExit !== exitHookInstalled) {
    if (wantExit) process.on('exit', killAllSync);
    else process.off('exit', killAllSync);
    exitHookInstalled = wantExit;
  }
  if (wantSignals !== signalHooksInstalled) {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      if (wantSignals) process.on(sig, onSignal);
      else process.off(sig, onSignal);
    }
    signalHooksInstalled = wantSignals;
  }
}

// ---------------------------------------------------------------------------------------------
// the control plane

interface Pki {
  ca: CertPair;
  apiserver: CertPair;
  admin: CertPair;
  saPrivateKey: string;
  saPublicKey: string;
}

async function generatePki(): Promise<Pki> {
  const ca = await generateCa('wasmgate-controlplane-ca');
  const [apiserver, admin] = await Promise.all([
    signLeaf(ca, { commonName: 'kube-apiserver', sans: APISERVER_SANS, usage: 'server' }),
    signLeaf(ca, { commonName: 'admin', sans: [], usage: 'client', organizations: ['system:masters'] }),
  ]);
  const sa = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { ca, apiserver, admin, saPrivateKey: sa.privateKey, saPublicKey: sa.publicKey };
}

function kubeconfigYaml(server: string, ca: string, client: CertPair, user: string): string {
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'wasmgate', cluster: { server, 'certificate-authority-data': b64(ca) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(client.cert), 'client-key-data': b64(client.key) } }],
    contexts: [{ name: 'wasmgate', context: { cluster: 'wasmgate', user, namespace: 'default' } }],
    'current-context': 'wasmgate',
    preferences: {},
  });
}

class ControlPlaneImpl implements ControlPlane {
  readonly dir: string;
  readonly kubeconfig: string;
  readonly server: string;
  readonly binDir: string;
  readonly etcdUrl: string;
  readonly ports: ControlPlanePorts;
  private pkiData: Pki | undefined;
  private readonly components = new Map<ComponentName, Component>();
  private readonly log: (line: string) => void;
  private readonly readyTimeoutMs: number;
  private apiServerArgs: string[] = [];
  private stopPromise: Promise<void> | undefined;
  private restarting = false;
  readonly handleSignals: boolean;
  /** Set once startup completed: from then on, a component exiting on its own is reported. */
  started = false;

  constructor(init: {
    dir: string;
    binDir: string;
    ports: ControlPlanePorts;
    log: (line: string) => void;
    readyTimeoutMs: number;
    handleSignals: boolean;
  }) {
    this.handleSignals = init.handleSignals;
    this.dir = init.dir;
    this.binDir = init.binDir;
    this.ports = init.ports;
    this.kubeconfig = join(init.dir, 'admin.kubeconfig');
    this.server = `https://127.0.0.1:${init.ports.apiServer}`;
    this.etcdUrl = `http://127.0.0.1:${init.ports.etcd}`;
    this.log = init.log;
    this.readyTimeoutMs = init.readyTimeoutMs;
  }

  get caCert(): string {
    return this.pki.ca.cert;
  }

  get adminCert(): CertPair {
    return this.pki.admin;
  }

  private get pki(): Pki {
    if (this.pkiData === undefined) throw new Error('control plane certificates not generated yet');
    return this.pkiData;
  }

  /** Generates the certificates and writes them, and the kubeconfigs, into the temp dir. */
  async writePki(): Promise<void> {
    const pki = await generatePki();
    this.pkiData = pki;
    const pkiDir = join(this.dir, 'pki');
    await mkdir(pkiDir, { recursive: true });
    const kubeconfig = kubeconfigYaml(this.server, pki.ca.cert, pki.admin, 'admin');
    await Promise.all([
      writeFile(join(pkiDir, 'ca.crt'), pki.ca.cert),
      writeFile(join(pkiDir, 'ca.key'), pki.ca.key, { mode: 0o600 }),
      writeFile(join(pkiDir, 'apiserver.crt'), pki.apiserver.cert),
      writeFile(join(pkiDir, 'apiserver.key'), pki.apiserver.key, { mode: 0o600 }),
      writeFile(join(pkiDir, 'admin.crt'), pki.admin.cert),
      writeFile(join(pkiDir, 'admin.key'), pki.admin.key, { mode: 0o600 }),
      writeFile(join(pkiDir, 'sa.key'), pki.saPrivateKey, { mode: 0o600 }),
      writeFile(join(pkiDir, 'sa.pub'), pki.saPublicKey),
      writeFile(this.kubeconfig, kubeconfig, { mode: 0o600 }),
      // The scheduler and controller-manager use the admin identity too (system:masters).
      writeFile(join(this.dir, 'kube-scheduler.kubeconfig'), kubeconfig, { mode: 0o600 }),
      writeFile(join(this.dir, 'kube-controller-manager.kubeconfig'), kubeconfig, { mode: 0o600 }),
    ]);
  }

  processes(): ComponentProcess[] {
    return [...this.components.values()].map((c) => ({
      name: c.name,
      pid: c.pid,
      logFile: c.logFile,
      running: c.running,
    }));
  }

  logFile(name: ComponentName): string {
    return join(this.dir, `${name}.log`);
  }

  private bin(name: string): string {
    return join(this.binDir, name);
  }

  /** Starts a component; registers it before it can fail, so stop() always sees it. */
  start(name: ComponentName, args: string[]): Component {
    const c = new Component(name, this.bin(name), args, this.logFile(name), (dead) => {
      if (this.started && !this.restarting) {
        this.log(`${dead.name} (pid ${dead.pid}) ${dead.describeExit()} unexpectedly; see ${dead.logFile}`);
      }
    });
    this.components.set(name, c);
    return c;
  }

  async startEtcd(): Promise<void> {
    const { etcd, etcdPeer } = this.ports;
    const peer = `http://127.0.0.1:${etcdPeer}`;
    const c = this.start('etcd', [
      '--name=wasmgate',
      `--data-dir=${join(this.dir, 'etcd-data')}`,
      `--listen-client-urls=${this.etcdUrl}`,
      `--advertise-client-urls=${this.etcdUrl}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=wasmgate=${peer}`,
      '--initial-cluster-state=new',
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ]);
    await c.waitReady(async () => {
      const r = await get(`${this.etcdUrl}/health`);
      return { ok: r.status === 200 && /"health"\s*:\s*"true"/.test(r.body), detail: `${r.status} ${r.body}` };
    }, this.readyTimeoutMs);
  }

  prepareApiServer(extra: string[]): void {
    const pki = join(this.dir, 'pki');
    this.apiServerArgs = [
      `--etcd-servers=${this.etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${this.ports.apiServer}`,
      `--cert-dir=${pki}`,
      `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
      `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
      `--client-ca-file=${join(pki, 'ca.crt')}`,
      '--authorization-mode=Node,RBAC',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${join(pki, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
      // No token controller necessarily running: don't require/mount ServiceAccount tokens.
      '--disable-admission-plugins=ServiceAccount',
      '--allow-privileged=true',
      // The lease reconciler would publish 127.0.0.1 as the `kubernetes` Service endpoint, which
      // validation rejects (loopback) — an error every 10 s. The Service itself is still created.
      '--endpoint-reconciler-type=none',
      // Without it, SIGTERM waits for open watches (the scheduler's) until SIGKILL: restarts took
      // 10 s+. With it, watches are ended and the apiserver exits within ~1 s.
      '--shutdown-watch-termination-grace-period=2s',
      '--profiling=false',
      ...extra,
    ];
  }

  async startApiServer(): Promise<void> {
    const c = this.start('kube-apiserver', this.apiServerArgs);
    await c.waitReady(async () => {
      const r = await get(`${this.server}/readyz`, {
        ca: this.caCert,
        cert: this.adminCert.cert,
        key: this.adminCert.key,
      });
      return { ok: r.status === 200, detail: `${r.status} ${r.body}` };
    }, this.readyTimeoutMs);
  }

  async startScheduler(extra: string[]): Promise<void> {
    const port = this.ports.scheduler ?? 0;
    const kc = join(this.dir, 'kube-scheduler.kubeconfig');
    const c = this.start('kube-scheduler', [
      // No --authentication/authorization-kubeconfig: delegated authn would look up a requestheader
      // CA we don't configure (error spam); /healthz is always allowed anyway.
      `--kubeconfig=${kc}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      ...extra,
    ]);
    await c.waitReady(() => this.healthz(port), this.readyTimeoutMs);
  }

  async startControllerManager(extra: string[]): Promise<void> {
    const port = this.ports.controllerManager ?? 0;
    const kc = join(this.dir, 'kube-controller-manager.kubeconfig');
    const pki = join(this.dir, 'pki');
    const c = this.start('kube-controller-manager', [
      // No --authentication/authorization-kubeconfig: delegated authn would look up a requestheader
      // CA we don't configure (error spam); /healthz is always allowed anyway.
      `--kubeconfig=${kc}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${join(this.dir, 'kube-controller-manager-certs')}`,
      `--service-account-private-key-file=${join(pki, 'sa.key')}`,
      `--root-ca-file=${join(pki, 'ca.crt')}`,
      '--use-service-account-credentials=false',
      `--controllers=*,-${NODE_LIFECYCLE_CONTROLLER}`,
      ...extra,
    ]);
    await c.waitReady(() => this.healthz(port), this.readyTimeoutMs);
  }

  private async healthz(port: number): Promise<ProbeResult> {
    const r = await get(`https://127.0.0.1:${port}/healthz`, { insecure: true });
    return { ok: r.status === 200, detail: `${r.status} ${r.body}` };
  }

  async kubectl(args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
    const timeoutMs = opts.timeoutMs ?? 60_000;
    return await new Promise<KubectlResult>((resolve, reject) => {
      const child = spawn(this.bin('kubectl'), ['--kubeconfig', this.kubeconfig, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: childEnv(),
      });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.stdin.on('error', () => {
        /* EPIPE when kubectl exits before reading stdin; the exit code tells the story */
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`could not run kubectl: ${err.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) {
          reject(
            new Error(`kubectl ${args.join(' ')} timed out after ${seconds(timeoutMs)}\nstdout: ${stdout}\nstderr: ${stderr}`),
          );
        } else {
          resolve({ code: code ?? (signal === null ? -1 : 128), stdout, stderr });
        }
      });
      child.stdin.end(opts.input ?? '');
    });
  }

  async restartApiServer(): Promise<void> {
    if (this.stopPromise !== undefined) throw new Error('restartApiServer: the control plane is stopped');
    const old = this.components.get('kube-apiserver');
    const t0 = Date.now();
    this.restarting = true;
    try {
      if (old !== undefined) await old.terminate();
      await this.startApiServer();
    } finally {
      this.restarting = false;
    }
    this.log(`kube-apiserver restarted in ${seconds(Date.now() - t0)}`);
  }

  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    const comp = (n: ComponentName): Component[] => {
      const c = this.components.get(n);
      return c === undefined ? [] : [c];
    };
    try {
      // Reverse start order; the two leaves can go together.
      await Promise.all([...comp('kube-controller-manager'), ...comp('kube-scheduler')].map((c) => c.terminate()));
      for (const c of comp('kube-apiserver')) await c.terminate();
      for (const c of comp('etcd')) await c.terminate();
      await rm(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } finally {
      live.delete(this);
      updateHooks();
    }
  }

  /** Last resort from the process 'exit' hook: SIGKILL everything, remove the temp dir. */
  killSync(): void {
    for (const c of this.components.values()) {
      c.stopping = true;
      c.signal('SIGKILL');
    }
    try {
      rmSync(this.dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
    } catch {
      /* best effort */
    }
  }

  register(): void {
    live.add(this);
    updateHooks();
  }
}

/**
 * Starts etcd, kube-apiserver and (by default) kube-scheduler, and optionally
 * kube-controller-manager; resolves once every component reports healthy. On failure everything
 * started so far is stopped and the error carries the failing component's exit status and log tail.
 */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = opts.log ?? ((line: string) => void process.stderr.write(`[controlplane] ${line}\n`));
  const withScheduler = opts.scheduler ?? true;
  const withCm = opts.controllerManager ?? false;
  const t0 = Date.now();
  const binDir = opts.binDir ?? (await resolveBinDir());
  const tBin = Date.now();

  const [etcd, etcdPeer, apiServer, scheduler, controllerManager] = await freePorts(5);
  const root = opts.tmpRoot ?? tmpdir();
  await sweepStaleDirs(root, log);
  const dir = await mkdtemp(join(root, TMP_PREFIX));
  await writeFile(join(dir, OWNER_FILE), `${process.pid}\n`);
  const ports: ControlPlanePorts = {
    etcd: etcd!,
    etcdPeer: etcdPeer!,
    apiServer: apiServer!,
    ...(withScheduler ? { scheduler: scheduler! } : {}),
    ...(withCm ? { controllerManager: controllerManager! } : {}),
  };

  const timings: string[] = [];
  const cp = new ControlPlaneImpl({
    dir,
    binDir,
    ports,
    log,
    readyTimeoutMs: opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
    handleSignals: opts.handleSignals ?? true,
  });
  cp.register();
  try {
    // Certificates are generated while etcd starts.
    const tPki = Date.now();
    const pkiReady = cp.writePki().then(() => timings.push(`certs ${seconds(Date.now() - tPki)}`));
    pkiReady.catch(() => undefined);
    const tEtcd = Date.now();
    const etcdReady = cp.startEtcd().then(() => timings.push(`etcd ${seconds(Date.now() - tEtcd)}`));
    etcdReady.catch(() => undefined);
    await pkiReady;
    await etcdReady;

    const tApi = Date.now();
    cp.prepareApiServer(opts.apiServerArgs ?? []);
    await cp.startApiServer();
    timings.push(`kube-apiserver ${seconds(Date.now() - tApi)}`);

    const leaves: Promise<unknown>[] = [];
    if (withScheduler) {
      const t = Date.now();
      leaves.push(
        cp.startScheduler(opts.schedulerArgs ?? []).then(() => timings.push(`kube-scheduler ${seconds(Date.now() - t)}`)),
      );
    }
    if (withCm) {
      const t = Date.now();
      leaves.push(
        cp
          .startControllerManager(opts.controllerManagerArgs ?? [])
          .then(() => timings.push(`kube-controller-manager ${seconds(Date.now() - t)}`)),
      );
    }
    const settled = await Promise.allSettled(leaves);
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
  } catch (err) {
    await cp.stop().catch(() => undefined);
    throw err instanceof Error ? new Error(`control plane failed to start: ${err.message}`, { cause: err }) : err;
  }

  cp.started = true;
  const buildNote = tBin - t0 > 500 ? `binaries ${seconds(tBin - t0)}, ` : '';
  log(`control plane ready in ${seconds(Date.now() - t0)} (${buildNote}${timings.join(', ')}) at ${cp.server}; dir ${dir}`);
  return cp;
}

// ---------------------------------------------------------------------------------------------
// kubectl helpers

/** Runs kubectl and returns stdout; throws (with the command and stderr) on a non-zero exit code. */
export async function kubectlOk(cp: ControlPlane, args: string[], opts?: KubectlOptions): Promise<string> {
  const r = await cp.kubectl(args, opts);
  if (r.code !== 0) {
    throw new Error(`kubectl ${args.join(' ')} exited with ${r.code}\nstderr: ${r.stderr.trim()}\nstdout: ${r.stdout.trim()}`);
  }
  return r.stdout;
}

/** `kubectl <args> -o json`, parsed. */
export async function kubectlJson<T = any>(cp: ControlPlane, args: string[], opts?: KubectlOptions): Promise<T> {
  return JSON.parse(await kubectlOk(cp, [...args, '-o', 'json'], opts)) as T;
}

/** `kubectl apply -f -` with the given object(s) (serialized as a JSON List when several). */
export async function applyObjects(cp: ControlPlane, objects: object | object[]): Promise<string> {
  const input = Array.isArray(objects)
    ? JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects })
    : JSON.stringify(objects);
  return await kubectlOk(cp, ['apply', '-f', '-'], { input });
}

// ---------------------------------------------------------------------------------------------
// fake Nodes

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface FakeNode {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: Taint[];
  /** Ready condition True (default) or False. */
  ready?: boolean;
  /**
   * When not ready, add the `node.kubernetes.io/not-ready:NoSchedule` taint as the node lifecycle
   * controller (which does not run here) would. Default true. Ready nodes never get it: the
   * TaintNodesByCondition admission plugin adds it on creation and createNode removes it.
   */
  notReadyTaint?: boolean;
  unschedulable?: boolean;
  /** Merged over the defaults cpu "4", memory "8Gi", pods "110", ephemeral-storage "100Gi". */
  capacity?: Record<string, string>;
  /** Defaults to the capacity. */
  allocatable?: Record<string, string>;
  /** InternalIP address (default 127.0.0.1). */
  address?: string;
  /** Merged over kubelet-like defaults (linux/amd64, containerd, kubelet v1.35.4). */
  nodeInfo?: Record<string, string>;
  /** status.runtimeHandlers as a kubelet would report them (e.g. wasm shims). */
  runtimeHandlers?: { name: string; features?: Record<string, boolean> }[];
}

export const NOT_READY_TAINT_KEY = 'node.kubernetes.io/not-ready';

const DEFAULT_CAPACITY: Record<string, string> = {
  cpu: '4',
  memory: '8Gi',
  pods: '110',
  'ephemeral-storage': '100Gi',
};

function rfc3339(d = new Date()): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

function desiredTaints(node: FakeNode): Taint[] {
  const taints = (node.taints ?? []).filter((t) => node.ready !== false || t.key !== NOT_READY_TAINT_KEY);
  if (node.ready === false && node.notReadyTaint !== false && !taints.some((t) => t.key === NOT_READY_TAINT_KEY)) {
    taints.push({ key: NOT_READY_TAINT_KEY, effect: 'NoSchedule' });
  }
  return taints.map((t) => ({ ...t, ...(t.effect === 'NoExecute' ? { timeAdded: rfc3339() } : {}) }));
}

function readyCondition(ready: boolean): object {
  const now = rfc3339();
  return ready
    ? {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status (fake node)',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      }
    : {
        type: 'Ready',
        status: 'False',
        reason: 'KubeletNotReady',
        message: 'container runtime network not ready (fake node)',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      };
}

function nodeStatus(node: FakeNode): object {
  const now = rfc3339();
  const capacity = { ...DEFAULT_CAPACITY, ...node.capacity };
  const pressure = (type: string, reason: string): object => ({
    type,
    status: 'False',
    reason,
    message: 'fake node',
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return {
    conditions: [
      pressure('MemoryPressure', 'KubeletHasSufficientMemory'),
      pressure('DiskPressure', 'KubeletHasNoDiskPressure'),
      pressure('PIDPressure', 'KubeletHasSufficientPID'),
      readyCondition(node.ready !== false),
    ],
    capacity,
    allocatable: { ...capacity, ...node.allocatable },
    addresses: [
      { type: 'InternalIP', address: node.address ?? '127.0.0.1' },
      { type: 'Hostname', address: node.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: 'fake',
      systemUUID: 'fake',
      bootID: 'fake',
      kernelVersion: '6.8.0',
      osImage: 'wasmgate fake node',
      containerRuntimeVersion: 'containerd://2.1.0',
      kubeletVersion: 'v1.35.4',
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
      ...node.nodeInfo,
    },
    ...(node.runtimeHandlers === undefined ? {} : { runtimeHandlers: node.runtimeHandlers }),
  };
}

/**
 * Creates (or updates) a Node object and writes its status through the status subresource so the
 * scheduler treats it like a registered kubelet's node. Returns the resulting Node.
 */
export async function createNode(cp: ControlPlane, node: FakeNode): Promise<any> {
  const labels = { 'kubernetes.io/hostname': node.name, 'kubernetes.io/os': 'linux', ...node.labels };
  await applyObjects(cp, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: node.name, labels, ...(node.annotations === undefined ? {} : { annotations: node.annotations }) },
    spec: { unschedulable: node.unschedulable === true },
  });
  // Replace the taints wholesale: drops the not-ready taint TaintNodesByCondition added on create.
  await kubectlOk(cp, ['patch', 'node', node.name, '--type=merge', '-p', JSON.stringify({ spec: { taints: desiredTaints(node) } })]);
  await kubectlOk(cp, [
    'patch',
    'node',
    node.name,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status: nodeStatus(node) }),
  ]);
  return await kubectlJson(cp, ['get', 'node', node.name]);
}

/** Flips a fake Node's Ready condition (and the not-ready taint, unless notReadyTaint is false). */
export async function setNodeReady(
  cp: ControlPlane,
  name: string,
  ready: boolean,
  opts: { notReadyTaint?: boolean } = {},
): Promise<void> {
  const current = await kubectlJson<{ spec?: { taints?: Taint[] }; status?: { conditions?: { type: string }[] } }>(cp, [
    'get',
    'node',
    name,
  ]);
  const others = (current.spec?.taints ?? []).filter((t) => t.key !== NOT_READY_TAINT_KEY);
  const taints = desiredTaints({ name, ready, taints: others, ...(opts.notReadyTaint === undefined ? {} : { notReadyTaint: opts.notReadyTaint }) });
  await kubectlOk(cp, ['patch', 'node', name, '--type=merge', '-p', JSON.stringify({ spec: { taints } })]);
  const conditions = (current.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
  conditions.push(readyCondition(ready) as { type: string });
  await kubectlOk(cp, [
    'patch',
    'node',
    name,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status: { conditions } }),
  ]);
}
