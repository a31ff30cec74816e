/**
 * A real, throw-away Kubernetes control plane (etcd, kube-apiserver, optionally kube-scheduler and
 * kube-controller-manager) running as local processes on 127.0.0.1, for e2e tests and the local
 * playground (`npm start`). No kubelets: createNode() (nodes.ts) writes fake Nodes and their status
 * so kube-scheduler can bind pods to them. Tests import all of this via test/harness/controlplane.ts.
 *
 * Every component listens on a free loopback port; all state (certificates, kubeconfig, etcd data,
 * logs) lives in a temp dir that `stop()` removes. Children are supervised by process.ts (own
 * process groups, parent-death signal); cleanup.ts kills whatever is still running on exit and,
 * unless handleSignals is false, on SIGINT/SIGTERM.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CertPair } from '../certs/generate.js';
import { resolveBinDir } from './binaries.js';
import { track, untrack } from './cleanup.js';
import * as comp from './components.js';
import { runKubectl } from './kubectl.js';
import { freePorts } from './net.js';
import { writePki, type Pki } from './pki.js';
import { Component, OWNER_FILE, seconds, sweepStaleDirs, TMP_PREFIX, type ProbeResult } from './process.js';
import type {
  ComponentName,
  ComponentProcess,
  ControlPlane,
  ControlPlaneOptions,
  ControlPlanePorts,
  KubectlOptions,
  KubectlResult,
} from './types.js';

export { NODE_LIFECYCLE_CONTROLLER } from './components.js';

const DEFAULT_READY_TIMEOUT_MS = 90_000;

class ControlPlaneImpl implements ControlPlane {
  readonly kubeconfig: string;
  readonly server: string;
  readonly etcdUrl: string;
  /** Set once startup completed: from then on, a component exiting on its own is reported. */
  started = false;
  private pkiData: Pki | undefined;
  private readonly components = new Map<ComponentName, Component>();
  private apiServerArgs: string[] = [];
  private stopPromise: Promise<void> | undefined;
  private restarting = false;

  constructor(
    readonly dir: string,
    readonly binDir: string,
    readonly ports: ControlPlanePorts,
    private readonly log: (line: string) => void,
    private readonly readyTimeoutMs: number,
    readonly handleSignals: boolean,
  ) {
    this.kubeconfig = join(dir, 'admin.kubeconfig');
    this.server = `https://127.0.0.1:${ports.apiServer}`;
    this.etcdUrl = `http://127.0.0.1:${ports.etcd}`;
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

  private get layout(): comp.PlaneLayout {
    return { dir: this.dir, ports: this.ports, etcdUrl: this.etcdUrl };
  }

  async writePki(): Promise<void> {
    this.pkiData = await writePki(this.dir, this.server, this.kubeconfig);
  }

  processes(): ComponentProcess[] {
    return [...this.components.values()].map((c) => ({ name: c.name, pid: c.pid, logFile: c.logFile, running: c.running }));
  }

  logFile(name: ComponentName): string {
    return join(this.dir, `${name}.log`);
  }

  /** Starts a component (registered before it can fail, so stop() always sees it) and waits until `probe` passes. */
  private async run(name: ComponentName, args: string[], probe: () => Promise<ProbeResult>): Promise<void> {
    const c = new Component(name, join(this.binDir, name), args, this.logFile(name), (dead) => {
      if (this.started && !this.restarting) {
        this.log(`${dead.name} (pid ${dead.pid}) ${dead.describeExit()} unexpectedly; see ${dead.logFile}`);
      }
    });
    this.components.set(name, c);
    await c.waitReady(probe, this.readyTimeoutMs);
  }

  startEtcd(): Promise<void> {
    return this.run('etcd', comp.etcdArgs(this.layout), () => comp.etcdHealthy(this.etcdUrl));
  }

  prepareApiServer(extra: string[]): void {
    this.apiServerArgs = comp.apiServerArgs(this.layout, extra);
  }

  startApiServer(): Promise<void> {
    return this.run('kube-apiserver', this.apiServerArgs, () => comp.apiServerReady(this.server, this.caCert, this.adminCert));
  }

  startScheduler(extra: string[]): Promise<void> {
    return this.run('kube-scheduler', comp.schedulerArgs(this.layout, extra), () => comp.healthz(this.ports.scheduler ?? 0));
  }

  startControllerManager(extra: string[]): Promise<void> {
    const port = this.ports.controllerManager ?? 0;
    return this.run('kube-controller-manager', comp.controllerManagerArgs(this.layout, extra), () => comp.healthz(port));
  }

  kubectl(args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
    return runKubectl(join(this.binDir, 'kubectl'), this.kubeconfig, args, opts);
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
    const get = (n: ComponentName): Component[] => {
      const c = this.components.get(n);
      return c === undefined ? [] : [c];
    };
    try {
      // Reverse start order; the two leaves can go together.
      await Promise.all([...get('kube-controller-manager'), ...get('kube-scheduler')].map((c) => c.terminate()));
      for (const c of get('kube-apiserver')) await c.terminate();
      for (const c of get('etcd')) await c.terminate();
      await rm(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } finally {
      untrack(this);
    }
  }

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
  const timed = async (what: string, start: () => Promise<void>): Promise<void> => {
    const t = Date.now();
    await start();
    timings.push(`${what} ${seconds(Date.now() - t)}`);
  };
  const readyTimeoutMs = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const cp = new ControlPlaneImpl(dir, binDir, ports, log, readyTimeoutMs, opts.handleSignals ?? true);
  track(cp);
  try {
    // Certificates are generated while etcd starts.
    const pkiReady = timed('certs', () => cp.writePki());
    pkiReady.catch(() => undefined);
    const etcdReady = timed('etcd', () => cp.startEtcd());
    etcdReady.catch(() => undefined);
    await pkiReady;
    await etcdReady;

    cp.prepareApiServer(opts.apiServerArgs ?? []);
    await timed('kube-apiserver', () => cp.startApiServer());

    const leaves: Promise<unknown>[] = [];
    if (withScheduler) leaves.push(timed('kube-scheduler', () => cp.startScheduler(opts.schedulerArgs ?? [])));
    if (withCm) {
      leaves.push(timed('kube-controller-manager', () => cp.startControllerManager(opts.controllerManagerArgs ?? [])));
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
