/** The worker thread of src/server/prescanner.ts: prescanVerdict() for each message, answered by id. */
import { parentPort } from 'node:worker_threads';
import { prescanVerdict } from '../review/prescan.js';

interface Job {
  id: number;
  bytes: Uint8Array;
  maxItems: number;
  maxUidLength: number;
}

/** gc(), when the process runs with --expose-gc, as deployed (bin/wasmgate.js); workers inherit the flag. */
const gc = (globalThis as { gc?: () => void }).gc;

parentPort?.on('message', (job: Job) => {
  const result = prescanVerdict(job.bytes, job.maxItems, job.maxUidLength);
  parentPort?.postMessage({ id: job.id, result }, 'plan' in result && result.plan !== undefined ? [result.plan.buffer as ArrayBuffer] : []);
  // Every job is a large body: its bytes and its decoded text (up to 7 MiB each) are garbage now.
  // Collecting them here, off the main thread, keeps them from piling up until V8 would: the peak
  // RSS after eight 5.4 MiB bodies over the item limit was 190 MiB without this, 162 MiB with it.
  gc?.();
});
