/**
 * Process supervision for the control-plane components (envtest's `process`): spawning in their
 * own process group with a parent-death signal where util-linux `setpriv` allows it, readiness
 * polling that fails fast with the log tail, SIGTERM-then-SIGKILL, and the sweep of temp dirs left
 * by owners that died without cleaning up.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComponentName } from './types.js';

const STOP_GRACE_MS = 10_000;
const POLL_MS = 200;
const LOG_TAIL_LINES = 40;
export const TMP_PREFIX = 'wasmgate-cp-';
export const OWNER_FILE = 'owner.pid';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
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

export interface ProbeResult {
  ok: boolean;
  detail: string;
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
export async function sweepStaleDirs(root: string, log: (line: string) => void): Promise<void> {
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

export function childEnv(): NodeJS.ProcessEnv {
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

/** How a component process ended. */
interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

export class Component {
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
      const [cmd, argv] = canUsePdeathsig() ? ['setpriv', ['--pdeathsig', 'KILL', '--', bin, ...args]] : [bin, args];
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
    return new Error(`${this.name} ${what}; last ${LOG_TAIL_LINES} lines of ${this.logFile}:\n${tail === '' ? '(empty log)' : tail}`);
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
    let last: string;
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
