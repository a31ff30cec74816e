/**
 * Smoke runs of the benchmark scripts: a temporary directory for their results, removed after the
 * test file, and each script run under tsx from the repository root, with its settings on top of
 * the environment.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** Call at a test file's top level: each run of `runBench` is killed after `timeoutMs`. */
export function benchSmoke(timeoutMs: number): {
  dir: string;
  runBench(script: string, env: Record<string, string>): Promise<{ stdout: string; stderr: string }>;
} {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-bench-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    runBench: (script, env) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
        cwd: ROOT,
        timeout: timeoutMs,
        maxBuffer: 64 * 2 ** 20,
        env: { ...process.env, ...env },
      }),
  };
}
