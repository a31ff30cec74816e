/**
 * Locates the control-plane binaries (etcd, kube-apiserver, kube-scheduler,
 * kube-controller-manager, kubectl) used by the local playground and the e2e tests.
 *
 * Resolution order:
 *  1. `WASMGATE_BIN_DIR` (if set): used as is, after checking that every binary is present.
 *  2. `bash <repoRoot>/hack/controlplane/build.sh`: builds into a cache outside the repo when
 *     needed (progress on stderr, streamed to ours) and prints the bin dir as its last stdout line.
 *
 * Any failure throws an Error that carries the reason (and the tail of the build log): callers
 * such as tests must fail loudly, never skip.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN_DIR_ENV = 'WASMGATE_BIN_DIR';
export const BUILD_SCRIPT = join('hack', 'controlplane', 'build.sh');
export const BINARIES = ['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'kubectl'] as const;
export type BinaryName = (typeof BINARIES)[number];

export interface ResolveBinDirOptions {
  /** Repository root holding hack/controlplane/build.sh; found from this module's location by default. */
  repoRoot?: string;
  /** Where build-script progress goes; defaults to writing to process.stderr. */
  progress?: (chunk: string) => void;
  /** Ignore WASMGATE_BIN_DIR (default false). */
  ignoreEnv?: boolean;
  /** Aborting stops a running build (the script and its `go build`); the promise then rejects. */
  signal?: AbortSignal;
}

/** Number of build-log lines quoted in error messages. */
const LOG_TAIL_LINES = 40;

/**
 * The repository root: the nearest ancestor of this module (src/controlplane or
 * dist/controlplane) that contains hack/controlplane/build.sh, or undefined.
 */
export function findRepoRoot(start: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, BUILD_SCRIPT))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Throws unless every control-plane binary exists in `binDir` and is executable. */
export function assertBinaries(binDir: string, origin: string): void {
  const missing: string[] = [];
  for (const name of BINARIES) {
    try {
      accessSync(join(binDir, name), constants.X_OK);
    } catch {
      missing.push(name);
    }
  }
  if (missing.length > 0) {
    throw new Error(`control-plane bin dir ${binDir} (from ${origin}) lacks executable ${missing.join(', ')}`);
  }
}

function tail(text: string, lines = LOG_TAIL_LINES): string {
  const all = text.split('\n');
  while (all.length > 0 && all[all.length - 1] === '') all.pop();
  return all.slice(-lines).join('\n');
}

/**
 * Runs build.sh and returns the bin dir it prints last on stdout. With a `signal`, the script
 * runs in its own process group, so aborting stops its `go build` too (SIGTERM to the group; a
 * signal to bash alone waits for the running command); the group is also stopped if this process
 * exits first. Without one it stays in our group and gets the terminal's Ctrl-C with us.
 */
export async function runBuildScript(repoRoot: string, progress: (chunk: string) => void, signal?: AbortSignal): Promise<string> {
  const script = join(repoRoot, BUILD_SCRIPT);
  signal?.throwIfAborted();
  return await new Promise<string>((resolvePromise, reject) => {
    const child = spawn('bash', [script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: signal !== undefined });
    const abort = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    };
    const onExit = (): void => abort();
    if (signal !== undefined) {
      signal.addEventListener('abort', abort, { once: true });
      process.once('exit', onExit);
    }
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > 1_000_000) stderr = stderr.slice(-500_000);
      progress(chunk);
    });
    child.on('error', (err) => {
      reject(new Error(`could not run ${script}: ${err.message}`));
    });
    child.on('close', (code, killedBy) => {
      signal?.removeEventListener('abort', abort);
      process.off('exit', onExit);
      if (signal?.aborted === true) {
        reject(new Error(`${script} was stopped`));
        return;
      }
      const lastLine = tail(stdout, 1).trim();
      if (code !== 0) {
        const why = killedBy !== null ? `was killed by ${killedBy}` : `exited with code ${String(code)}`;
        const log = tail(`${stderr}\n${stdout}`);
        reject(new Error(`${script} ${why}; last lines of its output:\n${log}`));
        return;
      }
      if (lastLine === '') {
        reject(new Error(`${script} printed no bin dir on stdout; last lines of its stderr:\n${tail(stderr)}`));
        return;
      }
      resolvePromise(lastLine);
    });
  });
}

const cache = new Map<string, Promise<string>>();

/**
 * Resolves the directory holding the control-plane binaries (see the module comment).
 * The result of a build is memoized per repo root for the life of the process.
 */
export async function resolveBinDir(opts: ResolveBinDirOptions = {}): Promise<string> {
  const fromEnv = opts.ignoreEnv === true ? undefined : process.env[BIN_DIR_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const dir = resolve(fromEnv);
    assertBinaries(dir, `$${BIN_DIR_ENV}`);
    return dir;
  }
  const root = opts.repoRoot ?? findRepoRoot();
  if (root === undefined) {
    throw new Error(
      `cannot locate ${BUILD_SCRIPT} above ${dirname(fileURLToPath(import.meta.url))}; ` +
        `set ${BIN_DIR_ENV} to a directory holding ${BINARIES.join(', ')}`,
    );
  }
  const progress = opts.progress ?? ((chunk: string) => void process.stderr.write(chunk));
  let pending = cache.get(root);
  if (pending === undefined) {
    pending = runBuildScript(root, progress, opts.signal).then((dir) => {
      assertBinaries(dir, BUILD_SCRIPT);
      return dir;
    });
    cache.set(root, pending);
    // A failed build is not memoized: the next call tries again.
    pending.catch(() => cache.delete(root));
  }
  return await pending;
}
