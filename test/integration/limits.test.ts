/**
 * Connection limits over real TLS: a slowloris body, a connection that completes TLS and says
 * nothing, one that stalls the handshake, and connections past the cap are all closed, within
 * small test-chosen timeouts (asserted as "closed before a generous deadline", never timed).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookCerts, type WebhookCerts } from '../../src/certs/generate.js';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { buildApp } from '../../src/server/app.js';
import { APISERVER_IDLE_CONN_TIMEOUT_SECONDS, connectionLimits } from '../../src/server/limits.js';
import { config, podObject, review, seedCluster } from '../harness/fixtures.js';
import { postJson } from './helpers.js';

/** Generous: a closed connection must be seen closed well before this; the configured times are < 1 s. */
const CLOSED_WITHIN_MS = 15_000;

interface Started {
  port: number;
  certs: WebhookCerts;
  close(): Promise<void>;
}

async function start(server: Record<string, unknown>): Promise<Started> {
  const certs = await generateWebhookCerts('wasmgate', 'wasmgate');
  const { app } = buildApp({
    config: config({ server }),
    state: seedCluster(),
    https: { cert: certs.serving.cert, key: certs.serving.key },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  return {
    port,
    certs,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}

/** Resolves with 'closed' when the socket closes, or 'open' at the generous deadline. */
function closedBefore(socket: Socket, ms = CLOSED_WITHIN_MS): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve('closed');
    const t = setTimeout(() => resolve('open'), ms);
    socket.once('close', () => {
      clearTimeout(t);
      resolve('closed');
    });
  });
}

function tlsOpen(port: number, ca: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => resolve(s));
    s.once('error', reject);
  });
}

describe('connection timeouts and cap', () => {
  let srv: Started;
  beforeAll(async () => {
    srv = await start({ requestTimeoutSeconds: 1, headersTimeoutSeconds: 0.5, keepAliveTimeoutSeconds: 1, maxConnections: 4 });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('closes a connection that completes TLS and sends nothing', async () => {
    const s = await tlsOpen(srv.port, srv.certs.ca.cert);
    s.on('error', () => {});
    expect(await closedBefore(s)).toBe('closed');
  });

  it('closes a connection that stalls the TLS handshake (TCP only, no ClientHello)', async () => {
    const s = netConnect({ host: '127.0.0.1', port: srv.port });
    s.on('error', () => {});
    expect(await closedBefore(s)).toBe('closed');
  });

  it('closes a slowloris body (one byte at a time, never finishing) with a 408', async () => {
    const s = await tlsOpen(srv.port, srv.certs.ca.cert);
    s.on('error', () => {});
    let received = '';
    s.on('data', (d: Buffer) => (received += d.toString()));
    s.write('POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
    const trickle = setInterval(() => {
      if (!s.destroyed) s.write(' ');
    }, 100);
    try {
      expect(await closedBefore(s)).toBe('closed');
    } finally {
      clearInterval(trickle);
    }
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a slow header section (headers trickled, never finished)', async () => {
    const s = await tlsOpen(srv.port, srv.certs.ca.cert);
    s.on('error', () => {});
    s.write('POST /validate HTTP/1.1\r\nHost: localhost\r\n');
    const trickle = setInterval(() => {
      if (!s.destroyed) s.write('X-Slow: 1\r\n');
    }, 100);
    try {
      expect(await closedBefore(s)).toBe('closed');
    } finally {
      clearInterval(trickle);
    }
  });

  it('closes an idle keep-alive connection after keepAliveTimeoutSeconds', async () => {
    const s = await tlsOpen(srv.port, srv.certs.ca.cert);
    s.on('error', () => {});
    let received = '';
    s.on('data', (d: Buffer) => (received += d.toString()));
    s.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(await closedBefore(s)).toBe('closed');
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(received.toLowerCase()).toContain('keep-alive: timeout=1');
  });

  it('serves a request on a keep-alive connection that was idle longer than the headers timeout', async () => {
    const srv2 = await start({ requestTimeoutSeconds: 1, headersTimeoutSeconds: 0.5, keepAliveTimeoutSeconds: 30 });
    try {
      const s = await tlsOpen(srv2.port, srv2.certs.ca.cert);
      s.on('error', () => {});
      let received = '';
      s.on('data', (d: Buffer) => (received += d.toString()));
      const answers = async (count: number): Promise<void> => {
        for (let i = 0; i < 200 && (received.match(/HTTP\/1\.1 200 /g) ?? []).length < count; i++)
          await new Promise((r) => setTimeout(r, 25));
      };
      s.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await answers(1);
      // idle for three headers timeouts, as the API server's pooled connections are between reviews
      await new Promise((r) => setTimeout(r, 1500));
      expect(s.destroyed).toBe(false);
      s.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await answers(2);
      expect((received.match(/HTTP\/1\.1 200 /g) ?? []).length).toBe(2);
      s.destroy();
    } finally {
      await srv2.close();
    }
  });

  it('refuses connections beyond maxConnections, and accepts again once they close', async () => {
    // timeouts far above the deadline: only the cap can close the fifth connection in time
    const capped = await start({ requestTimeoutSeconds: 60, headersTimeoutSeconds: 60, maxConnections: 4 });
    try {
      await overCap(capped);
    } finally {
      await capped.close();
    }
  });
});

async function overCap(srv: Started): Promise<void> {
  {
    const held: TLSSocket[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await tlsOpen(srv.port, srv.certs.ca.cert);
      s.on('error', () => {});
      held.push(s);
    }
    // the fifth is dropped at accept: its handshake never completes
    const fifth = netConnect({ host: '127.0.0.1', port: srv.port });
    fifth.on('error', () => {});
    expect(await closedBefore(fifth)).toBe('closed');
    for (const s of held) s.destroy();
    // then a real request goes through again
    let ok = false;
    for (let i = 0; i < 100 && !ok; i++) {
      try {
        ok = (await postJson(`https://127.0.0.1:${srv.port}/validate`, review(podObject()), { ca: srv.certs.ca.cert })).status === 200;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(ok).toBe(true);
  }
}

describe('defaults', () => {
  it('keeps idle connections open longer than kube-apiserver does (it closes first, never us)', () => {
    const limits = connectionLimits(DEFAULT_CONFIG.server);
    expect(limits.keepAliveTimeout).toBeGreaterThan(APISERVER_IDLE_CONN_TIMEOUT_SECONDS * 1000);
    expect(limits.headersTimeout).toBeLessThanOrEqual(limits.requestTimeout);
    expect(limits.connectionsCheckingInterval).toBeLessThanOrEqual(limits.headersTimeout);
  });
});
