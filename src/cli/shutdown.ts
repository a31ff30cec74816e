/**
 * The one SIGINT/SIGTERM handler: `serve`, `playground` and the control plane's own signal
 * handling (src/controlplane/plane.ts) all stop through it. The first signal runs the closers
 * once, in order, then exits; a second signal exits at once.
 */

export type Closer = () => Promise<unknown>;

export interface ShutdownOptions {
  /** Called once, on the first signal, before the closers run (e.g. to print "stopping..."). */
  onSignal?: (sig: NodeJS.Signals) => void;
  /** Exit code once the closers have run (default 0). */
  exitCode?: (sig: NodeJS.Signals) => number;
  /** Called on a second signal, right before the forced exit (e.g. to SIGKILL children). */
  onForce?: () => void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** 130 for SIGINT, 143 for SIGTERM: what a shell reports for a process killed by the signal. */
export function signalExitCode(sig: NodeJS.Signals): number {
  return 128 + (sig === 'SIGINT' ? 2 : 15);
}

/**
 * Installs the handlers; returns a function that removes them. A closer that fails is reported
 * on stderr and does not keep the others from running.
 */
export function onShutdown(closers: readonly Closer[], opts: ShutdownOptions = {}): () => void {
  let signalled: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals): void => {
    if (signalled !== undefined) {
      opts.onForce?.();
      process.exit(signalExitCode(sig));
    }
    signalled = sig;
    opts.onSignal?.(sig);
    void (async () => {
      for (const close of closers) {
        try {
          await close();
        } catch (err) {
          process.stderr.write(`error while stopping: ${err instanceof Error ? err.message : String(err)}\n`);
        }
      }
      process.exit(opts.exitCode?.(sig) ?? 0);
    })();
  };
  for (const sig of SIGNALS) process.on(sig, handler);
  return () => {
    for (const sig of SIGNALS) process.off(sig, handler);
  };
}
