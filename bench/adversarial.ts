/**
 * `npm run bench:adversarial`: what one hostile AdmissionReview costs a real wasmgate server, and
 * what it does to everyone else's requests meanwhile (issue 10, item 1), beside the null webhook
 * (bench/transport/null-webhook.ts: the same transport, JSON.parse of the whole body, allowed)
 * measured the same way in the same run: what any webhook on this transport and this machine pays.
 *
 * For each server in turn (BENCH_ADVERSARIAL_SERVERS, default `wasmgate,null`), alone on the machine:
 *
 * 1. Starts it over HTTPS on loopback: `node bin/wasmgate.js serve` (the built dist: run `npm run
 *    build` first) with the example snapshot, logging at info to a pipe this script reads (log lines
 *    are measured); or the null webhook, with the same certificate and V8 flags.
 * 2. Ordinary load alone: an open-loop client (bench/adversarial-load.ts, its own process) POSTs an
 *    ordinary Wasm pod review at a fixed overall rate: the p99 baseline.
 * 3. The same load again while this process sends the hostile bodies (bench/adversarial/shapes.ts)
 *    one after the other, at sizes up to the 7 MiB body limit. Each is timed from the first byte
 *    sent to the last byte of the answer.
 * 4. Quiet: each body once more, alone, measuring the server's main-thread CPU.
 *
 * Then prints a Markdown section with every figure and the command, and writes it into
 * bench/results.md (or BENCH_RESULTS_MD) between the adversarial markers (BENCH_WRITE=0: print only).
 *
 * Environment: BENCH_MAX_BYTES (largest body, default just under 7 MiB), BENCH_RATE (ordinary
 * requests per second, default 200), BENCH_ALONE_SECONDS (the load-alone phase, default 10),
 * BENCH_PASSES (rounds over every shape and size, default 5), BENCH_TIMEOUT_MS (per adversarial
 * request, default 120000), BENCH_SERVER_NODE_FLAGS (node flags added to the deployed ones, e.g.
 * --trace-gc or --cpu-prof, to find where a stall comes from), BENCH_SAME_KEYS=1 (send the first
 * pass's bodies in every pass; by default each pass has keys the server has not seen, as an
 * attacker's would: keys the server has seen cost it less), BENCH_SERVER_OUT (the file wasmgate's
 * stdout goes to, its log and --trace-gc's lines; default: one in the run's temporary directory), BENCH_SERVER_ARGS (added to
 * `wasmgate serve`), BENCH_SERVER_CPUS (a taskset CPU list, e.g. 0: each server runs on those CPUs
 * and this process, its load client and the sender of adversarial bodies on the others).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ensureDevCerts } from '../src/certs/generate.js';
import { DEFAULT_CONFIG } from '../src/config/config.js';
import { freePort } from '../src/controlplane/index.js';
import { BODY_LIMIT } from '../src/server/app.js';
import { loopLag, mainThreadNs, post, startLoad, type Answer } from './adversarial/client.js';
import { adversarialMarkdown, bodyKey, fmtBytes, fmtMs, type ServerName, type ServerRun } from './adversarial/report.js';
import { buildBodies, ordinaryBody, type Body } from './adversarial/shapes.js';
import { pinSelf, serverCpus, type CpuSplit } from './cpus.js';
import { rss } from './proc.js';
import { writeSection } from './sections.js';
import { killServers, startNull, startServer, type Server } from './transport/servers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The V8 flags wasmgate runs with everywhere (bin/wasmgate.js's first line, the image, the chart), which `node bin/wasmgate.js` would not read; the null webhook gets the same. */
const DEPLOYED_FLAGS = ['--max-semi-space-size=8', '--expose-gc'];

const KiB = 1024;
const MiB = 1024 * KiB;
const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const MAX_BYTES = env('BENCH_MAX_BYTES', BODY_LIMIT - 4 * KiB);
const RATE = env('BENCH_RATE', 200);
const ALONE_SECONDS = env('BENCH_ALONE_SECONDS', 10);
const PASSES = env('BENCH_PASSES', 5);
const TIMEOUT_MS = env('BENCH_TIMEOUT_MS', 120_000);
const SIZES = [64 * KiB, 517 * KiB, 1 * MiB, 2 * MiB, 4 * MiB, BODY_LIMIT - 4 * KiB].filter((s) => s <= MAX_BYTES);
const SAME_KEYS = process.env['BENCH_SAME_KEYS'] === '1';
const SERVERS = (process.env['BENCH_ADVERSARIAL_SERVERS'] ?? 'wasmgate,null').split(',').map((s) => s.trim());
const extra = (name: string): string[] => (process.env[name] ?? '').split(' ').filter((a) => a !== '');

/** An ordinary review: a Wasm pod with a RuntimeClass of the example snapshot, allowed. */
const ORDINARY = ordinaryBody();

/** A full garbage collection of this process, now (--expose-gc set at run time: the npm script runs tsx without flags). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * Starts one server (bench/transport/servers.ts, as bench:transport does) and waits until it answers
 * an ordinary review. wasmgate's stdout, its log, goes to `logFile`.
 */
async function start(name: ServerName, certDir: string, ca: string, logFile: string, split: CpuSplit | undefined): Promise<Server> {
  const port = await freePort();
  const v8Flags = [...DEPLOYED_FLAGS, ...extra('BENCH_SERVER_NODE_FLAGS')];
  const cpus = split === undefined ? {} : { cpus: split.server };
  const serve = ['bin/wasmgate.js', 'serve', '--cluster-state', 'examples/cluster', '--cert-dir', certDir, '--port', String(port)];
  const url = `https://127.0.0.1:${port}`;
  const server =
    name === 'wasmgate'
      ? await startServer(
          'wasmgate',
          [...v8Flags, ...serve, '--host', '127.0.0.1', ...extra('BENCH_SERVER_ARGS')],
          ROOT,
          /wasmgate listening on/,
          url,
          120_000,
          {
            stdoutFile: logFile,
            ...cpus,
          },
        )
      : await startNull({ root: ROOT, v8Flags, certDir, snapshot: '', port, ...cpus });
  process.stderr.write(`${name} pid ${server.pid}: ${server.command}\n`);
  const agent = new https.Agent({ keepAlive: true, ca, maxSockets: 1 });
  for (let i = 0; ; i++) {
    const a = await post(agent, port, ORDINARY, TIMEOUT_MS);
    if (a.status === 200) break;
    if (i > 300) throw new Error(`${name} not answering: ${a.error ?? a.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  agent.destroy();
  return server;
}

/** The longest line of a log file and its size. */
function logFigures(path: string): { maxLine: number; bytes: number } {
  const text = readFileSync(path, 'utf8');
  return { maxLine: Math.max(0, ...text.split('\n').map((l) => l.length)), bytes: Buffer.byteLength(text) };
}

/** One server's phases: ordinary load alone, under attack, then every body once more on a quiet server. */
async function measure(name: ServerName, s: Server, bodies: readonly Body[], ca: string): Promise<ServerRun> {
  const { url, pid } = s;
  const port = Number(new URL(url).port);
  const agent = new https.Agent({ keepAlive: true, ca, maxSockets: 1 });
  const lag = name === 'wasmgate' ? (): Promise<{ p99: number; max: number }> => loopLag(agent, port) : undefined;
  for (let i = 0; i < 300; i++) await post(agent, port, ORDINARY, TIMEOUT_MS); // warm-up
  const load = (duration: number): ReturnType<typeof startLoad> =>
    startLoad({ url, path: '/validate', body: ORDINARY, rate: RATE, connections: 8, duration, ca });

  process.stderr.write(`${name}: ${RATE} ordinary req/s for ${ALONE_SECONDS} s\n`);
  await lag?.();
  const alone = await load(ALONE_SECONDS).result;
  const lagAlone = await lag?.();

  process.stderr.write(`${name}: ${PASSES} passes of ${bodies.length} adversarial bodies under load\n`);
  const attack = load(0);
  await new Promise((r) => setTimeout(r, 2000));
  const hostileAgent = new https.Agent({ keepAlive: true, ca, maxSockets: 1 });
  const answers = new Map<string, Answer[]>();
  const started = Date.now();
  await lag?.();
  for (let pass = 0; pass < PASSES; pass++) {
    for (const b of bodies) {
      const a = await post(hostileAgent, port, b.passes[pass]!, TIMEOUT_MS);
      answers.set(bodyKey(b), [...(answers.get(bodyKey(b)) ?? []), a]);
      process.stderr.write(
        `  ${b.shape} ${fmtBytes(b.bytes)}: ${fmtMs(a.ms)} ms, ${a.status}, ${fmtBytes(a.bytes)}${a.error ? ` ${a.error}` : ''}\n`,
      );
    }
  }
  const lagAttack = await lag?.();
  const attackSeconds = (Date.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 1000));
  attack.proc.stdin!.end();
  const underAttack = await attack.result;

  // Quiet: each body once more with nothing else sent, measuring the CPU time of the server's main
  // thread: the time its event loop was busy with this review, which is what every other request
  // waits for. Much less sensitive to the machine's load than wall time (it leaves out time spent
  // waiting for a CPU).
  const cpu = new Map<string, number>();
  for (const b of bodies) {
    await new Promise((r) => setTimeout(r, 50));
    const before = await mainThreadNs(pid);
    await post(hostileAgent, port, b.quiet, TIMEOUT_MS);
    cpu.set(bodyKey(b), Number((await mainThreadNs(pid)) - before) / 1e6);
  }
  const ordinaryCpu: number[] = [];
  for (let i = 0; i < 20; i++) {
    const before = await mainThreadNs(pid);
    await post(agent, port, ORDINARY, TIMEOUT_MS);
    ordinaryCpu.push(Number((await mainThreadNs(pid)) - before) / 1e6);
  }
  ordinaryCpu.sort((x, y) => x - y);
  agent.destroy();
  hostileAgent.destroy();
  return {
    name,
    alone,
    underAttack,
    attackSeconds,
    ...(lagAlone === undefined || lagAttack === undefined ? {} : { lag: { alone: lagAlone, attack: lagAttack } }),
    answers,
    cpu,
    ordinaryCpu: ordinaryCpu[10] ?? ordinaryCpu[0]!,
    peakRss: rss(pid).peakBytes,
  };
}

async function main(): Promise<void> {
  const names = SERVERS.map((s) => {
    if (s !== 'wasmgate' && s !== 'null') throw new Error(`BENCH_ADVERSARIAL_SERVERS: unknown server ${s} (wasmgate, null)`);
    return s;
  });
  const dir = await mkdtemp(join(tmpdir(), 'wasmgate-bench-'));
  const ca = (await ensureDevCerts(dir)).caCert ?? (await readFile(join(dir, 'ca.crt'), 'utf8'));
  const split = serverCpus();
  // this process (and the load client it spawns) on the other CPUs
  if (split !== undefined) pinSelf(split.others);
  process.once('exit', killServers);
  // wasmgate's log: a file, as production's log pipe is drained (a pipe read by this busy process would block its writes)
  const logFile = process.env['BENCH_SERVER_OUT'] ?? join(dir, 'wasmgate.log');
  try {
    const bodies = buildBodies(SIZES, PASSES, SAME_KEYS);
    process.stderr.write(`${bodies.length} adversarial bodies built, ${SAME_KEYS ? 'the same in every pass' : 'new keys in each pass'}\n`);
    // the texts they were built from (about 900 MB) are garbage now: collected here, not while a review is timed
    collectGarbage();
    process.stderr.write(`heap after collection: ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB\n`);
    const runs: ServerRun[] = [];
    for (const name of names) {
      const s = await start(name, dir, ca, logFile, split);
      const run = await measure(name, s, bodies, ca);
      runs.push(name === 'wasmgate' ? { ...run, log: logFigures(logFile) } : run);
      killServers();
    }
    const settings = Object.entries({
      BENCH_MAX_BYTES: process.env['BENCH_MAX_BYTES'],
      BENCH_RATE: process.env['BENCH_RATE'],
      BENCH_ALONE_SECONDS: process.env['BENCH_ALONE_SECONDS'],
      BENCH_PASSES: process.env['BENCH_PASSES'],
      BENCH_ADVERSARIAL_SERVERS: process.env['BENCH_ADVERSARIAL_SERVERS'],
      BENCH_SERVER_ARGS: process.env['BENCH_SERVER_ARGS'],
      BENCH_SERVER_CPUS: split?.server,
    }).filter(([, v]) => v !== undefined);
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
    const logLevel = /--log-level\s+(\S+)/.exec(process.env['BENCH_SERVER_ARGS'] ?? '')?.[1] ?? 'info';
    const section = adversarialMarkdown({
      when: new Date(),
      command: `npm run build && ${settings.map(([k, v]) => `${k}=${v} `).join('')}npm run bench:adversarial`,
      commit,
      server:
        `wasmgate: \`node ${DEPLOYED_FLAGS.join(' ')} bin/wasmgate.js serve --cluster-state examples/cluster\`, log level ${logLevel}, default config (limits.jsonItems ${DEFAULT_CONFIG.limits.jsonItems.toLocaleString('en-US')}); ` +
        `the null webhook: \`node ${DEPLOYED_FLAGS.join(' ')} --import tsx bench/transport/null-webhook.ts\`; both over HTTPS on loopback with the same certificate.`,
      machine: `Machine: ${cpus().length} CPUs${split === undefined ? '' : ` (each server on CPU ${split.server}, the load generators on CPU ${split.others})`}, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')} at the end (shared with other jobs: compare within this run).`,
      rate: RATE,
      aloneSeconds: ALONE_SECONDS,
      passes: PASSES,
      sameKeys: SAME_KEYS,
      bodyLimit: BODY_LIMIT,
      bodies,
      runs,
    });
    process.stdout.write(`${section.join('\n')}\n`);
    if (process.env['BENCH_WRITE'] !== '0')
      writeSection(process.env['BENCH_RESULTS_MD'] ?? join(ROOT, 'bench', 'results.md'), 'adversarial', section.join('\n'));
  } finally {
    killServers();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
