/**
 * The client side of `npm run bench:adversarial` (bench/adversarial.ts): one timed review, the
 * ordinary load in its own process (bench/adversarial-load.ts), a server's own loop delay, and the
 * CPU time of a server's main thread read from /proc (its RSS: bench/proc.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import type { LoadOptions, LoadResult } from '../adversarial-load.js';

export interface Answer {
  ms: number;
  status: number;
  bytes: number;
  allowed?: boolean;
  messageLength?: number;
  error?: string;
}

/** POSTs `body` to /validate and times it from the first byte sent to the last byte of the answer. */
export function post(agent: https.Agent, port: number, body: string | Buffer, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/validate',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          const text = Buffer.concat(chunks).toString('utf8');
          const answer: Answer = { ms, status: res.statusCode ?? 0, bytes: Buffer.byteLength(text) };
          try {
            const r = (JSON.parse(text) as { response?: { allowed: boolean; status?: { message: string } } }).response;
            if (r !== undefined) {
              answer.allowed = r.allowed;
              answer.messageLength = r.status?.message.length ?? 0;
            }
          } catch {
            // a 4xx problem body, or a cut answer: status and size say enough
          }
          resolve(answer);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, status: 0, bytes: 0, error: err.message }));
    req.end(body);
  });
}

/** The ordinary load (bench/adversarial-load.ts) in its own process; duration 0: until its stdin ends. */
export function startLoad(o: LoadOptions): { proc: ChildProcess; result: Promise<LoadResult> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'bench/adversarial-load.ts', JSON.stringify(o)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const result = new Promise<LoadResult>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load client exited ${code}`))));
  });
  return { proc, result };
}

/**
 * The server's own event-loop delay since the last call (prom-client's default metrics: a
 * monitorEventLoopDelay histogram, reset on every scrape of /metrics), in ms: how long the
 * server's loop was held, apart from the time the benchmark's own processes took the CPUs.
 */
export function loopLag(agent: https.Agent, port: number): Promise<{ p99: number; max: number }> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          const read = (name: string): number => Number(new RegExp(`^${name} ([0-9.e+-]+)`, 'm').exec(text)?.[1] ?? NaN) * 1000;
          resolve({ p99: read('nodejs_eventloop_lag_p99_seconds'), max: read('nodejs_eventloop_lag_max_seconds') });
        });
      })
      .on('error', reject);
  });
}

/** CPU time of a process's main thread so far (/proc/<pid>/schedstat), ns: the time its event loop ran. */
export async function mainThreadNs(pid: number): Promise<bigint> {
  return BigInt((await readFile(`/proc/${pid}/schedstat`, 'utf8')).split(' ')[0]!);
}
