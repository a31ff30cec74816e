/**
 * The null webhook (bench/transport/null-app.ts) served over HTTPS with wasmgate's certificate:
 *
 *   node [v8 flags] --import tsx bench/transport/null-webhook.ts <cert-dir> <port> [--patch]
 *
 * Prints `listening <url>` on stdout once it listens; exits on SIGTERM/SIGINT or when stdin closes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildNullApp } from './null-app.js';

const [certDir, portArg, mode] = process.argv.slice(2);
if (certDir === undefined || portArg === undefined || (mode !== undefined && mode !== '--patch')) {
  process.stderr.write('usage: null-webhook.ts <cert-dir> <port> [--patch]\n');
  process.exit(2);
}

const app = buildNullApp({
  https: { cert: readFileSync(join(certDir, 'tls.crt')), key: readFileSync(join(certDir, 'tls.key')) },
  patch: mode === '--patch',
});
await app.listen({ port: Number(portArg), host: '127.0.0.1' });
process.stdout.write(`listening https://127.0.0.1:${portArg}\n`);
const stop = (): void => void app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
