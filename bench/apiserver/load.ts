/**
 * Wasm pods created through kube-apiserver at a fixed rate (open loop: a create is issued every
 * 1/rate seconds whatever the previous ones are doing), each timed from request to response.
 * The pods carry the runtime annotation and no runtimeClassName: what a user writes, and what
 * each set-up must turn into a pod with runtimeClassName.
 */
import type { ApiClient } from '../api.js';
import { percentile } from '../proc.js';
import { RUNTIME_ANNOTATION } from '../transport/pods.js';

export const NAMESPACE = 'wasm-load';

export function wasmPod(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE, labels: { app: 'wasm-load' }, annotations: { [RUNTIME_ANNOTATION]: 'wasm1' } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.example.com/wasm/hello@sha256:4c1d6f0f3e2b9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29180f7e6d5c4b3a29',
          resources: { requests: { cpu: '10m', memory: '16Mi' } },
        },
      ],
    },
  });
}

export interface RateRun {
  rate: number;
  seconds: number;
  sent: number;
  created: number;
  failed: number;
  /** the first few failure messages */
  failures: string[];
  /** client-side latency of a create (ms) */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** pods that carried runtimeClassName wasm1 when created (the mutation took effect) */
  mutated: number;
}

export async function createAtRate(api: ApiClient, rate: number, seconds: number, prefix: string): Promise<RateRun> {
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const failures: string[] = [];
  let failed = 0;
  let mutated = 0;
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    inflight.push(
      api.request('POST', `/api/v1/namespaces/${NAMESPACE}/pods`, wasmPod(`${prefix}-${i}`)).then(
        (res) => {
          if (res.status === 201) {
            latencies.push(performance.now() - t0);
            if (res.body.includes('"runtimeClassName":"wasm1"')) mutated++;
          } else {
            failed++;
            if (failures.length < 5) failures.push(`HTTP ${res.status}: ${res.body.slice(0, 300)}`);
          }
        },
        (err: Error) => {
          failed++;
          if (failures.length < 5) failures.push(err.message);
        },
      ),
    );
  }
  await Promise.all(inflight);
  const sorted = Float64Array.from(latencies).sort();
  return {
    rate,
    seconds: (performance.now() - started) / 1000,
    sent: total,
    created: latencies.length,
    failed,
    failures,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    mutated,
  };
}
