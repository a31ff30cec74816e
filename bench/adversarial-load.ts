/**
 * The ordinary load of `npm run bench:adversarial`, in its own process so that building and sending
 * the adversarial bodies cannot delay it: an open-loop client that starts one request every
 * 1/rate seconds over a pool of keep-alive connections, until its duration ends, stdin closes or
 * SIGTERM. Each latency is measured from the moment its request was due, not from when a free
 * connection let it go: a stalled server delays the requests behind it, and that wait is counted
 * (no coordinated omission).
 *
 * Why not autocannon: its rate is a quota per connection per second, so each second starts with
 * every connection sending back to back until its quota is used (200/s over 8 connections: 8
 * bursts of 25), and its correction for coordinated omission then adds one synthetic sample per
 * millisecond of each latency. The p99 it reported for a steady 200/s was the bursts' queueing.
 *
 * argv[2]: JSON {url, path, body, rate, connections, duration (s, 0: until stopped), ca (PEM)}.
 * Prints one JSON line: LoadResult.
 */
import https from 'node:https';

export interface LoadOptions {
  url: string;
  path: string;
  body: string;
  rate: number;
  connections: number;
  duration: number;
  ca: string;
}

export interface LoadResult {
  requests: number;
  /** ms, from when each request was due to the last byte of its answer */
  latency: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  /** how late the client itself started requests (its own loop delay), ms: the max */
  clientLateMax: number;
}

/** The q-quantile of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function run(o: LoadOptions): Promise<LoadResult> {
  const { hostname, port } = new URL(o.url);
  const agent = new https.Agent({ keepAlive: true, maxSockets: o.connections, ca: o.ca });
  const body = Buffer.from(o.body);
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let clientLateMax = 0;
  let inFlight = 0;
  let stopped = false;
  const interval = 1000 / o.rate;
  const start = performance.now();

  return new Promise((resolve) => {
    const finish = (): void => {
      if (inFlight > 0) return;
      agent.destroy();
      const sorted = [...latencies].sort((a, b) => a - b);
      const round = (n: number): number => Math.round(n * 10) / 10;
      resolve({
        requests: latencies.length + errors,
        latency: {
          p50: round(quantile(sorted, 0.5)),
          p90: round(quantile(sorted, 0.9)),
          p99: round(quantile(sorted, 0.99)),
          max: round(sorted[sorted.length - 1] ?? NaN),
        },
        non2xx,
        errors,
        clientLateMax: round(clientLateMax),
      });
    };
    const send = (due: number): void => {
      inFlight++;
      const req = https.request(
        {
          host: hostname,
          port,
          path: o.path,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - due);
            if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) non2xx++;
            inFlight--;
            if (stopped) finish();
          });
        },
      );
      req.on('error', () => {
        errors++;
        inFlight--;
        if (stopped) finish();
      });
      req.end(body);
    };
    // due times are start + k × interval; a late timer sends every request that is due, each
    // timed from its own due time
    let k = 0;
    const tick = (): void => {
      if (stopped) return;
      const now = performance.now();
      if (o.duration > 0 && now - start >= o.duration * 1000) return stop();
      for (; start + k * interval <= now; k++) {
        clientLateMax = Math.max(clientLateMax, now - (start + k * interval));
        send(start + k * interval);
      }
      setTimeout(tick, Math.max(0, start + k * interval - performance.now()));
    };
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      finish();
    };
    process.once('SIGTERM', stop);
    process.stdin.on('end', stop);
    process.stdin.resume();
    tick();
  });
}

if (process.argv[1]?.endsWith('adversarial-load.ts')) {
  const result = await run(JSON.parse(process.argv[2] ?? '{}') as LoadOptions);
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}
