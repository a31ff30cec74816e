/**
 * Checks of what a client sends, made before the body is read (who may call, what the body may
 * be), and how much of a client's strings is echoed or logged (clipped by src/decide/limits.ts's
 * clip(), as every message is).
 */
import type { TLSSocket } from 'node:tls';
import { clip } from '../decide/limits.js';

/** The most of one client-controlled string (name, namespace, message) that goes into a log line. */
export const LOG_FIELD_LIMIT = 256;
export const LOG_MESSAGE_LIMIT = 2048;

/** Status and message for a content type or encoding a review cannot have, or undefined. */
export function mediaProblem(headers: Record<string, string | string[] | undefined>): { status: number; message: string } | undefined {
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && String(encoding).trim().toLowerCase() !== 'identity') {
    return {
      status: 415,
      message: `Content-Encoding must be absent (identity), got ${clip(String(encoding), 64)}; send the AdmissionReview uncompressed`,
    };
  }
  const type = headers['content-type'];
  const charset = typeof type === 'string' ? /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(type)?.[1] : undefined;
  if (charset !== undefined && !['utf-8', 'utf8'].includes(charset.toLowerCase())) {
    return { status: 415, message: `Content-Type charset must be utf-8, got ${clip(charset, 64)}` };
  }
  return undefined;
}

/** A refusal when client certificates are required and this connection did not present a valid one. */
export function clientCertProblem(socket: TLSSocket | undefined, path: string): string | undefined {
  if (socket?.authorized === true) return undefined;
  const why =
    socket?.getPeerCertificate !== undefined && Object.keys(socket.getPeerCertificate()).length > 0
      ? `its certificate was not accepted (${String(socket.authorizationError)})`
      : 'it presented no certificate';
  return `${path} requires a client certificate signed by the configured client CA (server.tls.clientCAFile); this connection was refused because ${why}`;
}
