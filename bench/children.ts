/**
 * Runs the measurement workers as child processes, one at a time, and collects their JSON result.
 *
 * Runners:
 * - `tsx` (default): `node --expose-gc --import tsx bench/worker-<kind>.ts <kubeconfig>`. tsx's
 *   loader (a module-hooks thread plus esbuild) is part of every worker's floor.
 * - `compiled`: the workers (and the wasmgate sources they import) bundled once with esbuild
 *   (node_modules stay external, as in the published package), run as
 *   `node --expose-gc bench/.build/worker-<kind>.js <kubeconfig>`: the floor a deployed,
 *   compiled wasmgate has.
 *
 * Every child is tracked; killAll() (called from the runner's finally and its 'exit' hook) kills
 * the ones still running. Children also exit by themselves when their stdin (our pipe) closes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * V8 flags for every worker, lean and full alike: as deployed (bin/wasmgate.js, the image, the
 * chart), --max-semi-space-size=8. After the initial list burst V8 keeps a young generation sized
 * for it: 16 MiB semi-spaces by default (about 20 MiB more RSS at 5,000 nodes); 2 MiB ones cost
 * 10-30% more CPU per review and push decision p99 up with frequent scavenges (README, "Memory
 * setting"). BENCH_V8_FLAGS='' measures V8's defaults, BENCH_V8_FLAGS='--max-semi-space-size=2' the small one.
 */
export const V8_FLAGS = (process.env['BENCH_V8_FLAGS'] ?? '--max-semi-space-size=8').split(' ').filter((f) => f !== '');
import { RESULT_MARKER } from './shared.js';

export type Runner = 'tsx' | 'compiled';
export type WorkerKind = 'baseline' | 'lean' | 'full';

const WORKERS: WorkerKind[] = ['baseline', 'lean', 'full'];
const live = new Set<ChildProcess>();

export function killAll(): void {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
}

export class Workers {
  private built = false;

  constructor(
    private readonly root: string,
    readonly runner: Runner,
    private readonly timeoutMs: number,
  ) {}

  get buildDir(): string {
    return join(this.root, 'bench', '.build');
  }

  /** The command line for a worker (relative to the repo root), as reported in results. */
  command(kind: WorkerKind, kubeconfig = '<kubeconfig>'): string[] {
    return this.runner === 'tsx'
      ? ['node', '--expose-gc', ...V8_FLAGS, '--import', 'tsx', `bench/worker-${kind}.ts`, kubeconfig]
      : ['node', '--expose-gc', ...V8_FLAGS, `bench/.build/worker-${kind}.js`, kubeconfig];
  }

  async prepare(): Promise<void> {
    if (this.runner !== 'compiled' || this.built) return;
    const { build } = await import('esbuild');
    await build({
      entryPoints: WORKERS.map((k) => join(this.root, 'bench', `worker-${k}.ts`)),
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      outdir: this.buildDir,
      logLevel: 'warning',
    });
    this.built = true;
  }

  cleanup(): void {
    if (this.built) rmSync(this.buildDir, { recursive: true, force: true });
    this.built = false;
  }

  /** Run one worker to completion; resolves with its parsed result and its wall time. */
  run<T>(kind: WorkerKind, kubeconfig: string, env: Record<string, string>, label: string): Promise<{ result: T; wallMs: number }> {
    const [, ...args] = this.command(kind, kubeconfig);
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, args, {
        cwd: this.root,
        env: { ...process.env, ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      live.add(child);
      let stdout = '';
      let stderrTail: string[] = [];
      let partial = '';
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (c: string) => (stdout += c));
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (c: string) => {
        const lines = (partial + c).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          process.stderr.write(`    [${label}] ${line}\n`);
          stderrTail.push(line);
        }
        if (stderrTail.length > 40) stderrTail = stderrTail.slice(-40);
      });
      child.stdin!.on('error', () => undefined);
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(new Error(`${label}: timed out after ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      let done = false;
      const finish = (err: Error | undefined, value?: { result: T; wallMs: number }): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        live.delete(child);
        child.stdin!.destroy();
        if (err !== undefined) reject(err);
        else resolve(value!);
      };
      child.on('error', (err) => finish(new Error(`${label}: could not start: ${err.message}`)));
      child.on('exit', (code, signal) => {
        if (partial !== '') process.stderr.write(`    [${label}] ${partial}\n`);
        const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
        if (code !== 0 || line === undefined) {
          finish(
            new Error(
              `${label}: exited with ${signal ?? `code ${String(code)}`}${line === undefined ? ' without a result' : ''}\n` +
                `stderr (tail):\n${stderrTail.join('\n')}\nstdout (tail):\n${stdout.slice(-2000)}`,
            ),
          );
          return;
        }
        try {
          finish(undefined, { result: JSON.parse(line.slice(RESULT_MARKER.length)) as T, wallMs: Date.now() - started });
        } catch (err) {
          finish(new Error(`${label}: unparsable result: ${(err as Error).message}`));
        }
      });
    });
  }
}
