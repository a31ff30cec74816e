/**
 * Large review bodies are checked on a worker thread: UTF-8 decoding, counting JSON items and, for
 * a body with too many, finding its uid take 15-20 ms for 7 MiB, during which the main thread
 * would answer no one (bench:adversarial). The main thread copies the bytes to the worker (through
 * shared memory: sharedHandoff) and gets back the verdict: too many items (with the uid), or the
 * plan for parsing it in slices (src/review/slices.ts), in which case it decodes the bytes itself
 * (prescanVerdict says why).
 *
 * One worker, started by the first scan (`serve` makes one as soon as it listens:
 * warmLargeBodies in body.ts), not keeping the process alive. If it cannot start
 * or dies, the same check runs on the main thread: slower for others, never a failed review.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { checkedUtf8Text, prescan, type Prescan, type PrescanVerdict } from '../review/prescan.js';

export interface Prescanner {
  scan(bytes: Uint8Array, maxItems: number, maxUidLength: number): Promise<Prescan>;
  close(): Promise<void>;
}

// under the test runner this module is TypeScript: the worker then loads through tsx
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** A worker for `url`; a TypeScript one registers tsx's ESM loader first (a dev dependency, for tests only). */
function newWorker(url: URL): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  const exports = (JSON.parse(readFileSync(tsxPackage, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports;
  const api = pathToFileURL(join(dirname(tsxPackage), exports['./esm/api']!.import.default)).href;
  const code = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true });
}

/** The shared handoff buffer grows in steps of this much, up to the largest body seen. */
const SHARED_STEP = 1024 * 1024;

/**
 * A body reaches the worker through one reused SharedArrayBuffer: copying it there costs the main
 * thread 0.5 ms for 7 MiB, where postMessage's structured clone cost 4-5 ms (a fresh 7 MiB copy each
 * time). One scan at a time holds it; another large body at the same time is cloned, as before.
 */
function sharedHandoff(): { take(bytes: Uint8Array): Uint8Array | undefined; release(): void } {
  let buffer: SharedArrayBuffer | undefined;
  let busy = false;
  return {
    take(bytes) {
      if (busy) return undefined;
      if (buffer === undefined || buffer.byteLength < bytes.length)
        buffer = new SharedArrayBuffer(Math.ceil(bytes.length / SHARED_STEP) * SHARED_STEP);
      busy = true;
      const view = new Uint8Array(buffer, 0, bytes.length);
      view.set(bytes);
      return view;
    },
    release() {
      busy = false;
    },
  };
}

/**
 * `onScan` hears which thread answered each scan: the worker, or the main thread when the worker
 * could not start or died (`serve` counts them in wasmgate_large_body_scans_total).
 */
export function createPrescanner(opts: { workerUrl?: URL; onScan?: (thread: 'worker' | 'main') => void } = {}): Prescanner {
  let worker: Worker | undefined;
  let nextId = 0;
  const handoff = sharedHandoff();
  const pending = new Map<number, { resolve: (p: PrescanVerdict) => void; reject: (err: Error) => void }>();

  const failAll = (err: Error): void => {
    worker = undefined;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  const start = (): Worker => {
    const url = opts.workerUrl ?? new URL(`./prescan-worker${EXT}`, import.meta.url);
    const w = newWorker(url);
    w.unref();
    w.on('message', (m: { id: number; result: PrescanVerdict }) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      p?.resolve(m.result);
    });
    w.on('error', (err) => failAll(err));
    w.on('exit', (code) => failAll(new Error(`the prescan worker exited with code ${code}`)));
    return w;
  };

  return {
    async scan(bytes, maxItems, maxUidLength) {
      try {
        const w = (worker ??= start());
        const id = nextId++;
        const shared = handoff.take(bytes);
        const verdict = await new Promise<PrescanVerdict>((resolve, reject) => {
          pending.set(id, { resolve, reject });
          w.postMessage({ id, bytes: shared ?? bytes, maxItems, maxUidLength });
        }).finally(() => {
          if (shared !== undefined) handoff.release();
        });
        opts.onScan?.('worker');
        if (!verdict.utf8 || 'dense' in verdict) return verdict;
        // the worker found it UTF-8 and under the item limit: decode it here (see prescanVerdict),
        // without checking it again
        const text = checkedUtf8Text(bytes);
        return verdict.plan === undefined ? { utf8: true, text } : { utf8: true, text, plan: verdict.plan };
      } catch {
        opts.onScan?.('main');
        return prescan(bytes, maxItems, maxUidLength);
      }
    },
    async close() {
      const w = worker;
      worker = undefined;
      await w?.terminate();
    },
  };
}
