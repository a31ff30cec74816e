/** The worker thread of src/server/prescanner.ts: prescanVerdict() for each message, answered by id. */
import { parentPort } from 'node:worker_threads';
import { prescanVerdict } from '../review/prescan.js';

interface Job {
  id: number;
  bytes: Uint8Array;
  maxItems: number;
  maxUidLength: number;
}

parentPort?.on('message', (job: Job) => {
  const result = prescanVerdict(job.bytes, job.maxItems, job.maxUidLength);
  parentPort?.postMessage({ id: job.id, result }, 'plan' in result && result.plan !== undefined ? [result.plan.buffer as ArrayBuffer] : []);
});
