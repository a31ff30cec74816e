/**
 * Connection timeouts and caps of the HTTPS server, from config.server.
 *
 * - requestTimeout: the whole request (headers and body) must arrive within it, so a body
 *   trickled a byte at a time cannot hold a connection (Node answers 408 and closes).
 * - headersTimeout: a connection must finish TLS and send its headers within it; one that
 *   completes TLS and then says nothing is closed (handshakeTimeout covers one that stalls the
 *   handshake itself).
 * - keepAliveTimeout: 120 s by default, LONGER than kube-apiserver's idle connection timeout.
 *   The API server calls webhooks through client-go's transport (k8s.io/client-go/transport/cache.go
 *   → k8s.io/apimachinery/pkg/util/net.SetTransportDefaults), which takes IdleConnTimeout from
 *   Go's http.DefaultTransport: 90 s. When the server closes an idle connection first, the client
 *   may already be writing a request on it and gets a connection reset (a POST is not retried
 *   once written): with our timeout above 90 s, it is always the API server that closes idle
 *   connections, never wasmgate.
 * - maxConnections: sockets beyond it are dropped at accept.
 */
import type { IncomingMessage } from 'node:http';
import type { Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { ServerConfig } from '../config/config.js';

/** kube-apiserver's idle timeout for webhook connections (Go http.DefaultTransport.IdleConnTimeout). */
export const APISERVER_IDLE_CONN_TIMEOUT_SECONDS = 90;

export interface ConnectionLimits {
  requestTimeout: number;
  headersTimeout: number;
  keepAliveTimeout: number;
  handshakeTimeout: number;
  /** how often Node checks connections against headersTimeout and requestTimeout */
  connectionsCheckingInterval: number;
}

const ms = (seconds: number): number => Math.max(1, Math.round(seconds * 1000));

/** Options for https.createServer (and fastify's own requestTimeout/keepAliveTimeout). */
export function connectionLimits(server: ServerConfig): ConnectionLimits {
  const headersTimeout = ms(server.headersTimeoutSeconds);
  const requestTimeout = ms(server.requestTimeoutSeconds);
  return {
    requestTimeout,
    headersTimeout,
    keepAliveTimeout: ms(server.keepAliveTimeoutSeconds),
    handshakeTimeout: headersTimeout,
    // Node's default is 30 s, which would let a silent connection outlive a 5 s headers timeout
    // by up to 30 s; a check per second (or faster for small test timeouts) costs nothing.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(headersTimeout, requestTimeout) / 4))),
  };
}

/** What can only be set on the server object once it exists. */
export function applyConnectionCap(server: Server, cfg: ServerConfig): void {
  server.maxConnections = cfg.maxConnections;
  closeSilentConnections(server, connectionLimits(cfg).headersTimeout);
}

/**
 * Node's headersTimeout only runs once a request has begun: a connection that completes TLS and
 * never sends a byte would stay open. Close any connection that has not delivered a complete
 * request head within the headers timeout (one that is still sending its headers would be closed
 * by Node at the same time).
 */
function closeSilentConnections(server: Server, headersTimeoutMs: number): void {
  const spoke = new WeakSet<object>();
  server.on('request', (req: IncomingMessage) => spoke.add(req.socket));
  server.on('secureConnection', (socket: TLSSocket) => {
    const timer = setTimeout(() => {
      if (!spoke.has(socket)) socket.destroy();
    }, headersTimeoutMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
}
