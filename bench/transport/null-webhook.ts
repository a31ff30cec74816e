/**
 * The null webhook (bench/transport/null-app.ts) served over HTTPS with wasmgate's certificate:
 *
 *   node [v8 flags] --import tsx bench/transport/null-webhook.ts <cert-dir> <port> [--patch] [--spin-us N]
 *
 * --spin-us N: busy-wait N microseconds per review (null-app.ts; bench:transport:calibrate).
 *
 * Prints `listening <url>` on stdout once it listens; exits on SIGTERM/SIGINT or when stdin closes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildNullApp } from './null-app.js';

const usage = (): never => {
  process.stderr.write('usage: null-webhook.ts <cert-dir> <port> [--patch] [--spin-us N]\n');
  process.exit(2);
};
const [certDir, portArg, ...flags] = process.argv.slice(2);
if (certDir === undefined || portArg === undefined) usage();
let patch = false;
let spinUs = 0;
for (let i = 0; i < flags.length; i++) {
  if (flags[i] === '--patch') patch = true;
  else if (flags[i] === '--spin-us' && /^\d+(\.\d+)?$/.test(flags[i + 1] ?? '')) spinUs = Number(flags[++i]);
  else usage();
}

const app = buildNullApp({
  https: { cert: readFileSync(join(certDir!, 'tls.crt')), key: readFileSync(join(certDir!, 'tls.key')) },
  patch,
  spinUs,
});
await app.listen({ port: Number(portArg), host: '127.0.0.1' });
process.stdout.write(`listening https://127.0.0.1:${portArg}\n`);
const stop = (): void => void app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
