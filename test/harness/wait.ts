/** The one polling helper of the tests: wait for a condition with a deadline, never a fixed sleep. */

export interface WaitForOptions {
  /** Default 30 s: generous, so a slow machine does not fail a test that is right. */
  timeoutMs?: number;
  intervalMs?: number;
  /** Used in the timeout error message. */
  what?: string;
}

/**
 * Polls `fn` until it returns something other than undefined/false and returns that value.
 * Errors thrown by `fn` are retried; the last one is quoted if the deadline passes.
 */
export async function waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, opts: WaitForOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let last: string;
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
