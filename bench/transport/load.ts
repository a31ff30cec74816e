/**
 * One keep-alive HTTPS load run with autocannon (closed loop: each connection sends its next
 * request when the answer arrives). autocannon's own histogram rounds latencies to whole
 * milliseconds; every response's latency is also recorded here at full resolution, from its
 * 'response' event, for p50/p99 below a millisecond.
 */
import autocannon from 'autocannon';
import { cpuSeconds, percentile } from '../proc.js';

export interface LoadRun {
  target: string;
  connections: number;
  durationS: number;
  requests: number;
  /** 2xx responses per second */
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** server CPU seconds used during the run, and per 1,000 requests */
  serverCpuS: number;
  serverCpuMsPerKReq: number;
  /** the server's share of one core during the run */
  serverCores: number;
}

export interface LoadOptions {
  target: string;
  url: string;
  body: string;
  connections: number;
  durationS: number;
  ca: string;
  serverPid: number;
}

export async function load(o: LoadOptions): Promise<LoadRun> {
  const latencies: number[] = [];
  const cpu0 = cpuSeconds(o.serverPid);
  const t0 = process.hrtime.bigint();
  const instance = autocannon({
    url: o.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: o.body,
    connections: o.connections,
    pipelining: 1,
    duration: o.durationS,
    timeout: 10,
    tlsOptions: { ca: o.ca },
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await instance;
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds(o.serverPid) - cpu0;
  const sorted = Float64Array.from(latencies).sort();
  const ok = sorted.length;
  return {
    target: o.target,
    connections: o.connections,
    durationS: o.durationS,
    requests: ok,
    rps: ok / wallS,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[ok - 1] ?? Number.NaN,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    serverCpuS: cpu,
    serverCpuMsPerKReq: ok === 0 ? Number.NaN : (cpu * 1e6) / ok,
    serverCores: cpu / wallS,
  };
}
