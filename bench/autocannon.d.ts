/**
 * The slice of autocannon 9's API the benchmarks use (the package ships no types): the callback
 * form (bench:adversarial) and the promise form with per-response events (bench:transport).
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';
  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p90: number;
    p99: number;
    p99_9?: number;
  }
  export interface Result {
    latency: Histogram;
    requests: { total: number; average: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    duration: number;
    '1xx': number;
    '2xx': number;
    '3xx': number;
    '4xx': number;
    '5xx': number;
  }
  export interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    connections?: number;
    pipelining?: number;
    overallRate?: number;
    duration?: number;
    timeout?: number;
    tlsOptions?: Record<string, unknown>;
  }
  export interface Instance extends EventEmitter, PromiseLike<Result> {
    stop(): void;
  }
  function autocannon(opts: Options, cb: (err: Error | null, result: Result) => void): Instance;
  function autocannon(opts: Options): Instance;
  export default autocannon;
}
