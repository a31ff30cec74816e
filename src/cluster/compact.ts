/**
 * One full garbage collection after a list (issue 13, item 4). Listing 150,000 Pods parses about
 * 900 MiB of JSON page by page; what it leaves is a few MiB of counts, but the old generation has
 * grown to hold the pages' objects that outlived a scavenge, and V8 keeps that memory while the
 * process is busy (195 MiB of RSS synced and idle, 125 MiB without the pod list: bench/results.md).
 * A full, compacting collection once the lists are done gives it back. V8's
 * --compact-on-every-full-gc is switched on for that one collection only: ordinary full
 * collections stay as short as V8 makes them.
 *
 * It needs `--expose-gc`, which bin/wasmgate.js, the image's NODE_OPTIONS and the chart's
 * `nodeOptions` pass; without it nothing happens. Lists end together at start-up and a relist is
 * rare, so the collections are coalesced: one, `delayMs` after the last list.
 */
import { setFlagsFromString } from 'node:v8';

// gc() with no argument: a full mark-compact. (Node 20's V8 answers gc({ type: 'major' }) with a
// scavenge, checked with --trace-gc.)
type Gc = () => void;

export interface Compactor {
  /** a list completed: collect once, after `delayMs` without another */
  listed(): void;
  /** collections run so far */
  readonly runs: number;
  stop(): void;
}

/** `gc`: the collector (default: the global one that --expose-gc adds); null: none */
export function createCompactor(delayMs = 1000, gc: Gc | null = (globalThis as { gc?: Gc }).gc ?? null): Compactor {
  let timer: NodeJS.Timeout | undefined;
  let runs = 0;
  return {
    listed() {
      if (gc === null) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        runs++;
        // compacting: a plain full collection frees the list's objects but keeps the pages they
        // were spread over (RSS 124 vs 106 MiB in the fake-server reproduction, 150,000 pods)
        setFlagsFromString('--compact-on-every-full-gc');
        try {
          gc();
        } finally {
          setFlagsFromString('--no-compact-on-every-full-gc');
        }
      }, delayMs);
      timer.unref();
    },
    get runs() {
      return runs;
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
