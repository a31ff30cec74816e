/**
 * Graceful shutdown of the webhook server, in the order Kubernetes needs it:
 *
 * 1. draining: /readyz answers 503 at once, so the endpoints controller takes the pod out of its
 *    Service; requests keep being served meanwhile (the API server still has this address, and
 *    its established connections keep reaching this pod through kube-proxy's conntrack entries).
 *    Every response now carries `Connection: close`, so each client opens its next connection
 *    afresh, through the updated endpoints.
 * 2. after the drain period: stop listening, close idle keep-alive connections, let requests in
 *    flight finish (each response again closes its connection).
 * 3. at the hard deadline (from the start of the shutdown): destroy whatever is still open, so
 *    one slow client cannot keep the process alive.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

export interface Lifecycle {
  /** readiness is off and responses close their connections */
  draining: boolean;
}

export function createLifecycle(): Lifecycle {
  return { draining: false };
}

export interface ShutdownTiming {
  drainSeconds: number;
  /** hard deadline, counted from the start of the shutdown */
  shutdownTimeoutSeconds: number;
}

export interface ShutdownResult {
  /** connections destroyed at the hard deadline (0: everything finished in time) */
  forcedConnections: number;
}

/** Track every TCP socket of the server (TLS sockets still in their handshake included). */
export function trackSockets(app: FastifyInstance): Set<Socket> {
  const sockets = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function drainAndClose(
  app: FastifyInstance,
  lifecycle: Lifecycle,
  sockets: Set<Socket>,
  timing: ShutdownTiming,
  log: (line: string) => void,
): Promise<ShutdownResult> {
  const start = Date.now();
  const deadlineAt = start + timing.shutdownTimeoutSeconds * 1000;
  lifecycle.draining = true;
  log(
    `shutting down: /readyz answers 503; serving for ${timing.drainSeconds} s while endpoints update, ` +
      `then finishing requests in flight (deadline ${timing.shutdownTimeoutSeconds} s)`,
  );
  await sleep(Math.min(timing.drainSeconds * 1000, deadlineAt - Date.now()));

  let forced = 0;
  let deadlineTimer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    deadlineTimer = setTimeout(
      () => {
        forced = sockets.size;
        for (const socket of sockets) socket.destroy();
        resolve();
      },
      Math.max(0, deadlineAt - Date.now()),
    );
  });
  // a connection that finishes its request while we wait is closed by its response
  // (Connection: close); one that was idle is closed at once by close() and by this sweep
  const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
  try {
    await Promise.race([app.close(), deadline]);
    if (forced > 0) {
      // the deadline destroyed the rest: let close() finish now that nothing is open
      await Promise.race([app.close(), sleep(1000)]);
    }
  } finally {
    clearInterval(sweep);
    clearTimeout(deadlineTimer);
  }
  log(
    forced > 0
      ? `shutdown deadline of ${timing.shutdownTimeoutSeconds} s reached: closed ${forced} connection(s) still open`
      : `shutdown complete: every request finished, every connection closed`,
  );
  return { forcedConnections: forced };
}
