/**
 * Serving certificate files, the TLS policy, and reloading the files when they change on disk
 * (rotated Secrets). Every problem with a file is an error that names the file and what is wrong.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync, watchFile, unwatchFile } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import { CERT_FILES } from '../certs/generate.js';
import type { ServerConfig } from '../config/config.js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export class CertError extends Error {}

export function tlsFiles(certDir: string): TlsFiles {
  return { certFile: join(certDir, CERT_FILES.cert), keyFile: join(certDir, CERT_FILES.key) };
}

/**
 * TLS 1.2 suites allowed when server.tls.minVersion is TLSv1.2: ECDHE key exchange (forward
 * secrecy) with an AEAD cipher only; no CBC, no SHA-1, no static RSA. The TLS 1.3 suites are all
 * AEAD and are listed so that setting `ciphers` keeps them.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
] as const;
export const TLS13_CIPHERS = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const;

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'the file does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory, not a file';
  return code ?? (err as Error).message;
}

function readFile(what: string, path: string, hint = ''): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CertError(`cannot read the ${what} ${path}: ${reason(err)}${hint}`);
  }
}

const MISSING_HINT =
  '; mount the Secret holding tls.crt and tls.key there (--cert-dir), or pass --dev-certs to generate development certificates';

/** Read and check the serving pair: both files readable, PEM, the key matching, the certificate in date. */
export function readTls(files: TlsFiles, now = new Date()): { cert: Buffer; key: Buffer } {
  const cert = readFile('serving certificate', files.certFile, MISSING_HINT);
  const key = readFile('serving key', files.keyFile, MISSING_HINT);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new CertError(`the serving certificate ${files.certFile} is not a PEM certificate`);
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(key);
  } catch {
    throw new CertError(`the serving key ${files.keyFile} is not a PEM private key`);
  }
  if (!x509.checkPrivateKey(keyObject)) {
    throw new CertError(`the serving key ${files.keyFile} does not match the certificate ${files.certFile}`);
  }
  if (new Date(x509.validTo).getTime() < now.getTime()) {
    throw new CertError(`the serving certificate ${files.certFile} expired on ${new Date(x509.validTo).toISOString()}`);
  }
  return { cert, key };
}

/** Read and check the CA that client certificates must chain to. */
export function readClientCa(path: string): Buffer {
  const pem = readFile('client CA file', path, ' (server.tls.clientCAFile / --client-ca-file)');
  try {
    new X509Certificate(pem);
  } catch {
    throw new CertError(`the client CA file ${path} is not a PEM certificate`);
  }
  return pem;
}

export interface TlsPolicy {
  minVersion: 'TLSv1.3' | 'TLSv1.2';
  /** PEM CA for client certificates; absent: none requested */
  clientCa?: Buffer;
}

export function tlsPolicy(server: ServerConfig): TlsPolicy {
  const clientCa = server.tls.clientCAFile === undefined ? undefined : readClientCa(server.tls.clientCAFile);
  return clientCa === undefined ? { minVersion: server.tls.minVersion } : { minVersion: server.tls.minVersion, clientCa };
}

/** The secure-context half of the policy (what setSecureContext must be given again on reload). */
export function secureContextOptions(pair: { cert: Buffer; key: Buffer }, policy: TlsPolicy): SecureContextOptions {
  return {
    ...pair,
    minVersion: policy.minVersion,
    ciphers: [...TLS13_CIPHERS, ...TLS12_CIPHERS].join(':'),
    honorCipherOrder: true,
    ...(policy.clientCa === undefined ? {} : { ca: policy.clientCa }),
  };
}

/**
 * Server options for https.createServer. A client certificate is requested but not required at
 * the handshake, so kubelet's probes (which present none) still reach /healthz and /readyz; the
 * review routes check `socket.authorized` themselves (app.ts).
 */
export function httpsServerOptions(
  pair: { cert: Buffer; key: Buffer },
  policy: TlsPolicy,
): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
  return { ...secureContextOptions(pair, policy), requestCert: policy.clientCa !== undefined, rejectUnauthorized: false };
}

/**
 * Poll the files (fs.watchFile: works for Secret volume symlink swaps, where inotify on the file
 * misses the change) and swap the server's secure context, policy included; new handshakes get
 * the new certificate. A pair that fails the checks of readTls is not loaded.
 * Returns a function that stops watching.
 */
export function reloadOnChange(
  server: Server,
  files: TlsFiles,
  log: { info: (msg: string) => void; error: (msg: string) => void },
  intervalMs = 5000,
  policy: TlsPolicy = { minVersion: 'TLSv1.3' },
): () => void {
  let last = stamp(files);
  const onChange = (): void => {
    const now = stamp(files);
    if (now === last) return;
    try {
      server.setSecureContext(secureContextOptions(readTls(files), policy));
      last = now;
      log.info(`reloaded serving certificate from ${files.certFile}`);
    } catch (err) {
      log.error(`could not reload serving certificate (${(err as Error).message}); keeping the previous one`);
    }
  };
  watchFile(files.certFile, { interval: intervalMs }, onChange);
  watchFile(files.keyFile, { interval: intervalMs }, onChange);
  return () => {
    unwatchFile(files.certFile, onChange);
    unwatchFile(files.keyFile, onChange);
  };
}

function stamp(files: TlsFiles): string {
  try {
    const a = statSync(files.certFile);
    const b = statSync(files.keyFile);
    return `${a.mtimeMs}:${a.size}:${b.mtimeMs}:${b.size}`;
  } catch {
    return 'missing';
  }
}
