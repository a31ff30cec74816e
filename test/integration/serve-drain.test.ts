/**
 * Graceful shutdown of a real `node bin/wasmgate.js serve` process under steady load.
 *
 * The load plays the API server: keep-alive connections, no retries. After SIGTERM it keeps
 * sending for a while after /readyz turns 503 (the time endpoints take to update, shorter than
 * the drain period) and then sends nothing new, as the API server does once the pod has left
 * the Service's endpoints. Requests still in flight when the listener closes must complete.
 * Zero failed requests is the bar. A second test shows that one slow client cannot keep the
 * process alive past the hard deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookCerts, writeWebhookCerts, type WebhookCerts } from '../../src/certs/generate.js';
import { podObject, review } from '../harness/fixtures.js';
import { ensureBuilt } from '../harness/wasmgate.js';
import { freePort, getUrl } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/wasmgate.js');

interface Proc {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let dir: string;
let certs: WebhookCerts;
const procs: ChildProcess[] = [];

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'wasmgate-shutdown-'));
  certs = await generateWebhookCerts('wasmgate', 'wasmgate');
  await writeWebhookCerts(dir, certs);
});
afterAll(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function serve(server: Record<string, unknown>): Promise<Proc> {
  const cfg = join(dir, `config-${procs.length}.yaml`);
  await writeFile(cfg, stringify({ server }));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--cluster-state',
      'examples/cluster',
      '--cert-dir',
      dir,
      '--config',
      cfg,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--log-level',
      'warn',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  procs.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`serve exited: ${out}`);
    try {
      if ((await getUrl(`https://127.0.0.1:${port}/readyz`, certs.ca.cert)).status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (i > 300) throw new Error(`serve did not become ready: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, port, output: () => out, exited };
}

interface Outcome {
  ok: boolean;
  detail: string;
}

/** POST one review; ok when the answer is a 200 review carrying the request's uid. */
function post(port: number, agent: Agent | false, uid: string, slowChunksMs?: number): Promise<Outcome> {
  const r = review(podObject({ annotations: { 'wasmgate.dev/runtime': 'wasmtime' } }));
  r.request.uid = uid;
  const body = Buffer.from(JSON.stringify(r));
  return new Promise((resolveOutcome) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/validate',
        method: 'POST',
        ca: certs.ca.cert,
        servername: 'localhost',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          const ok = res.statusCode === 200 && (JSON.parse(text) as { response?: { uid?: string } }).response?.uid === uid;
          resolveOutcome({ ok, detail: `${res.statusCode} ${text.slice(0, 200)}` });
        });
        res.on('error', (err) => resolveOutcome({ ok: false, detail: `response error ${err.message}` }));
      },
    );
    req.on('error', (err) => resolveOutcome({ ok: false, detail: `request error ${err.message}` }));
    if (slowChunksMs === undefined) {
      req.end(body);
      return;
    }
    // send the body in 10 pieces, slowChunksMs apart
    const step = Math.ceil(body.length / 10);
    let at = 0;
    const next = (): void => {
      req.write(body.subarray(at, at + step));
      at += step;
      if (at >= body.length) req.end();
      else setTimeout(next, slowChunksMs);
    };
    next();
  });
}

describe('graceful shutdown of wasmgate serve', () => {
  it('fails no request across SIGTERM under steady keep-alive load, then exits 0', { timeout: 120_000 }, async () => {
    const DRAIN_S = 3;
    // how long the "API server" keeps sending after it could see readiness off: less than the drain
    const ENDPOINTS_UPDATE_MS = 1000;
    const p = await serve({ drainSeconds: DRAIN_S, shutdownTimeoutSeconds: 30, requestTimeoutSeconds: 30, headersTimeoutSeconds: 10 });
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const outcomes: Outcome[] = [];
    let sending = true;
    let servedAfterNotReady = 0;
    // eslint-disable-next-line prefer-const -- assigned once the drain starts (below), read by the load loops meanwhile
    let notReadyAt: number | undefined;
    let n = 0;
    const loop = async (): Promise<void> => {
      while (sending) {
        const o = await post(p.port, agent, `load-${n++}`);
        outcomes.push(o);
        if (notReadyAt !== undefined && o.ok) servedAfterNotReady++;
      }
    };
    const loops = Array.from({ length: 8 }, () => loop());
    // steady state first
    while (outcomes.length < 400) await new Promise((r) => setTimeout(r, 20));
    expect(outcomes.every((o) => o.ok)).toBe(true);

    p.child.kill('SIGTERM');
    // readiness must turn off while the process still answers
    for (;;) {
      const r = await getUrl(`https://127.0.0.1:${p.port}/readyz`, certs.ca.cert).catch(() => undefined);
      if (r?.status === 503) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    notReadyAt = Date.now();
    // slow requests on fresh connections, started during the drain, finishing after the listener
    // has closed (10 pieces x 400 ms)
    const slow = [0, 1, 2].map((i) => post(p.port, false, `slow-${i}`, 400));
    await new Promise((r) => setTimeout(r, ENDPOINTS_UPDATE_MS));
    sending = false;
    await Promise.all(loops);
    outcomes.push(...(await Promise.all(slow)));
    agent.destroy();

    const exit = await Promise.race([p.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 60_000))]);
    const failed = outcomes.filter((o) => !o.ok);
    console.log(
      `shutdown under load: ${outcomes.length} requests, ${failed.length} failed, ${servedAfterNotReady} served after /readyz turned 503`,
    );
    expect(failed.map((o) => o.detail)).toEqual([]);
    expect(servedAfterNotReady).toBeGreaterThan(0);
    expect(exit, p.output()).toEqual({ code: 0, signal: null });
    expect(p.output()).toContain('shutdown complete: every request finished, every connection closed');
  });

  it('exits 0 at the hard deadline even with a slow client still sending', { timeout: 120_000 }, async () => {
    const p = await serve({ drainSeconds: 0.5, shutdownTimeoutSeconds: 3, requestTimeoutSeconds: 120, headersTimeoutSeconds: 60 });
    const socket = tlsConnect({ host: '127.0.0.1', port: p.port, ca: certs.ca.cert, servername: 'localhost' });
    socket.on('error', () => {});
    await new Promise<void>((r) => socket.once('secureConnect', () => r()));
    socket.write('POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
    const trickle = setInterval(() => socket.write(' '), 500);
    const socketClosed = new Promise<void>((r) => socket.once('close', () => r()));
    try {
      p.child.kill('SIGTERM');
      const exit = await Promise.race([p.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 60_000))]);
      expect(exit, p.output()).toEqual({ code: 0, signal: null });
      expect(p.output()).toContain('shutdown deadline of 3 s reached: closed 1 connection(s) still open');
      await socketClosed;
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  });
});
