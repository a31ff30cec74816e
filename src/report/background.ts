/**
 * When the background audit runs: every `intervalMs`, and `debounceMs` after a Node or
 * RuntimeClass change that changes a verdict. Passes never overlap; a trigger during a pass runs
 * one more pass after it.
 *
 * "Changes a verdict" is judged by verdictSignature(): the Wasm RuntimeClasses that exist, their
 * handler, selector and tolerations, and whether each has a usable node. Node heartbeats and label
 * changes that no class selects leave it equal, so they cost one signature (a label-index lookup
 * per class), not a pass. A pod's own nodeSelector can make a node change matter to it alone; that
 * is caught by the next interval pass.
 */
import type { ClusterState } from '../cluster/types.js';
import type { Config } from '../config/config.js';
import { classHasUsableNode } from '../decide/placement.js';
import { wasmClasses } from '../decide/wasm.js';

export function verdictSignature(state: ClusterState, config: Config): string {
  const ctx = { state, config };
  const names = state.listRuntimeClasses().map((rc) => rc.name);
  const wasm = wasmClasses(ctx).map((rc) => [rc.name, rc.handler, rc.nodeSelector ?? null, rc.tolerations, classHasUsableNode(rc, ctx)]);
  return JSON.stringify([names, wasm]);
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SchedulerOptions {
  intervalMs: number;
  /** how soon after a verdict-changing event; default 5 s (a burst of node events is one pass) */
  debounceMs?: number;
  /** one audit pass */
  pass: () => Promise<void>;
  /** the current verdict signature (verdictSignature over the live cache) */
  signature: () => string;
  log?: (line: string) => void;
  timers?: Timers;
}

export class AuditScheduler {
  passes = 0;
  private timer: unknown;
  private nudgeTimer: unknown;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastSignature: string | undefined;
  private readonly timers: Timers;

  constructor(private readonly opts: SchedulerOptions) {
    this.timers = opts.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
  }

  /** Run a pass now, then every intervalMs. */
  start(): void {
    this.stopped = false;
    this.trigger();
  }

  /** A Node or RuntimeClass changed: a pass after debounceMs if the verdict signature moved. */
  nudge(): void {
    if (this.stopped || this.nudgeTimer !== undefined) return;
    this.nudgeTimer = this.timers.setTimeout(() => {
      this.nudgeTimer = undefined;
      if (this.opts.signature() !== this.lastSignature) this.trigger();
    }, this.opts.debounceMs ?? 5_000);
  }

  /** Run a pass as soon as the current one (if any) ends. */
  trigger(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.runPass();
  }

  private async runPass(): Promise<void> {
    this.lastSignature = this.opts.signature();
    try {
      await this.opts.pass();
    } catch (err) {
      this.opts.log?.(`background audit: ${(err as Error).message}`);
    }
    this.passes++;
    this.running = undefined;
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      this.trigger();
      return;
    }
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.trigger();
    }, this.opts.intervalMs);
  }

  /** Stop scheduling; resolves when a running pass has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    if (this.nudgeTimer !== undefined) this.timers.clearTimeout(this.nudgeTimer);
    this.timer = this.nudgeTimer = undefined;
    await this.running;
  }
}
