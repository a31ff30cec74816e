/**
 * Real containerd binaries for test/containerd/: 1.7 and 2.x built from their Go modules by
 * hack/containerd/build.sh (cached outside the repo), and Debian's package (1.6) at
 * /usr/bin/containerd when installed (.ci/run installs it). Only `containerd config ...` is run:
 * it needs no daemon, no root and no socket.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const REPO = resolve(import.meta.dirname, '../..');
export const BUILD_SCRIPT = join(REPO, 'hack', 'containerd', 'build.sh');
export const DEBIAN_CONTAINERD = '/usr/bin/containerd';

export type Built = '1.7' | '2';

/** Run build.sh for one version: progress lines to `progress`, the bin dir (its last stdout line) back. */
export function buildContainerd(which: Built, progress: (line: string) => void): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const env = { ...process.env, PATH: `${process.env['PATH'] ?? ''}:/usr/local/go/bin` };
    const child = spawn('bash', [BUILD_SCRIPT, which], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let log = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      log = (log + c).slice(-200_000);
      const lines = (partial + c).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) progress(line);
    });
    child.on('error', (err) => reject(new Error(`could not run ${BUILD_SCRIPT}: ${err.message}`)));
    child.on('close', (code, signal) => {
      const dir = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || dir === '') {
        const tail = log.split('\n').slice(-30).join('\n');
        reject(new Error(`${BUILD_SCRIPT} ${which} failed (${signal ?? `exit ${String(code)}`}); last lines:\n${tail}`));
        return;
      }
      resolvePromise(dir);
    });
  });
}

export interface Containerd {
  /** "1.6 (Debian)", "1.7", "2.x" */
  readonly label: string;
  readonly bin: string;
  readonly major: 1 | 2;
}

export function debianContainerd(): Containerd | undefined {
  return existsSync(DEBIAN_CONTAINERD) ? { label: '1.6 (Debian)', bin: DEBIAN_CONTAINERD, major: 1 } : undefined;
}

const run = promisify(execFile);

/** `containerd [--config FILE] config <sub>`: stdout; throws with stderr on failure. */
export async function containerdConfig(c: Containerd, sub: 'default' | 'dump' | 'migrate', file?: string): Promise<string> {
  const args = [...(file === undefined ? [] : ['--config', file]), 'config', sub];
  try {
    const { stdout } = await run(c.bin, args, { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${c.bin} ${args.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}
