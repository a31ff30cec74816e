/**
 * Test-side entry point for the real control plane (src/controlplane/controlplane.ts).
 *
 * Re-exports the runner and its helpers — startControlPlane, kubectlOk/kubectlJson/applyObjects,
 * createNode/setNodeReady (fake Nodes kube-scheduler can bind pods to; they live in src because
 * the playground uses them too) — and adds vitest-specific ones: useControlPlane and waitFor.
 */
import { afterAll, beforeAll } from 'vitest';
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../src/controlplane/controlplane.js';

export * from '../../src/controlplane/controlplane.js';
export { resolveBinDir, findRepoRoot, BIN_DIR_ENV, BINARIES } from '../../src/controlplane/binaries.js';

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Used in the timeout error message. */
  what?: string;
}

/**
 * Polls `fn` until it returns something other than undefined/false and returns that value.
 * Errors thrown by `fn` are retried; the last one is quoted if the deadline passes.
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  opts: WaitForOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
      last = '';
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}${last === '' ? '' : ` (last error: ${last})`}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Starts a control plane in beforeAll and stops it in afterAll; returns a getter for use inside
 * tests. A start failure is not thrown from the hook (vitest would then report the tests as
 * skipped): the getter rethrows it, so every test of the file FAILS with the reason.
 */
export function useControlPlane(opts: ControlPlaneOptions = {}): () => ControlPlane {
  let cp: ControlPlane | undefined;
  let startError: unknown;
  beforeAll(async () => {
    try {
      cp = await startControlPlane(opts);
    } catch (err) {
      startError = err;
    }
  }, 240_000);
  afterAll(async () => {
    await cp?.stop();
  }, 60_000);
  return () => {
    if (startError !== undefined) throw startError;
    if (cp === undefined) throw new Error('control plane not started (beforeAll did not run or timed out)');
    return cp;
  };
}

