/**
 * Process-wide cleanup of every control plane still running: a process 'exit' hook that SIGKILLs
 * the components, and (for planes started with handleSignals) SIGINT/SIGTERM handling through the
 * shared shutdown helper, which stops them all and exits with 130/143.
 */
import { onShutdown, signalExitCode } from '../cli/shutdown.js';

export interface Tracked {
  readonly handleSignals: boolean;
  stop(): Promise<void>;
  /** Last resort from the 'exit' hook: SIGKILL everything, remove the temp dir. */
  killSync(): void;
}

const live = new Set<Tracked>();
let exitHookInstalled = false;
let removeSignalHandlers: (() => void) | undefined;

function killAllSync(): void {
  for (const cp of live) cp.killSync();
}

function updateHooks(): void {
  const wantExit = live.size > 0;
  const wantSignals = [...live].some((cp) => cp.handleSignals);
  if (wantExit !== exitHookInstalled) {
    if (wantExit) process.on('exit', killAllSync);
    else process.off('exit', killAllSync);
    exitHookInstalled = wantExit;
  }
  if (wantSignals && removeSignalHandlers === undefined) {
    removeSignalHandlers = onShutdown([() => Promise.allSettled([...live].map((cp) => cp.stop()))], {
      onSignal: (sig) => process.stderr.write(`[controlplane] ${sig}: stopping ${live.size} control plane(s)\n`),
      exitCode: signalExitCode,
      onForce: killAllSync,
    });
  } else if (!wantSignals && removeSignalHandlers !== undefined) {
    removeSignalHandlers();
    removeSignalHandlers = undefined;
  }
}

export function track(cp: Tracked): void {
  live.add(cp);
  updateHooks();
}

export function untrack(cp: Tracked): void {
  live.delete(cp);
  updateHooks();
}
