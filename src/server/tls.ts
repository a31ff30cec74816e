/** Serving certificate files, and reloading them when they change on disk (rotated Secrets). */
import { readFileSync, statSync, watchFile, unwatchFile } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:https';
import { CERT_FILES } from '../certs/generate.js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export function tlsFiles(certDir: string): TlsFiles {
  return { certFile: join(certDir, CERT_FILES.cert), keyFile: join(certDir, CERT_FILES.key) };
}

export function readTls(files: TlsFiles): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
}

/**
 * Poll the files (fs.watchFile: works for Secret volume symlink swaps, where inotify on the file
 * misses the change) and swap the server's secure context; new handshakes get the new certificate.
 * Returns a function that stops watching.
 */
export function reloadOnChange(
  server: Server,
  files: TlsFiles,
  log: { info: (msg: string) => void; error: (msg: string) => void },
  intervalMs = 5000,
): () => void {
  let last = stamp(files);
  const onChange = (): void => {
    const now = stamp(files);
    if (now === last) return;
    try {
      server.setSecureContext(readTls(files));
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
