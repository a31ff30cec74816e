/**
 * `npm run bench:adversarial`: what one hostile AdmissionReview costs a real wasmgate server, and
 * what it does to everyone else's requests meanwhile (issue 10, item 1).
 *
 * 1. Starts `node bin/wasmgate.js serve` (the built dist: run `npm run build` first) over HTTPS
 *    with the example snapshot, logging at info to a pipe this script reads (log lines are measured).
 * 2. Ordinary load alone: an open-loop client (bench/adversarial-load.ts, its own process) POSTs an ordinary
 *    Wasm pod review at a fixed overall rate: the p99 baseline.
 * 3. The same load again while this process sends adversarial reviews one after the other: Wasm
 *    pods with huge node selectors (reserved and plain keys), tolerations, containers, node affinity
 *    terms, annotations, a huge name and a huge selector value, at sizes up to the 7 MiB body limit.
 *    Each is timed from the first byte sent to the last byte of the answer.
 * 4. Prints a Markdown section with every figure and the command, and writes it into
 *    bench/results.md between the adversarial markers (BENCH_WRITE=0: print only).
 *
 * Environment: BENCH_MAX_BYTES (largest body, default just under 7 MiB), BENCH_RATE (ordinary
 * requests per second, default 200), BENCH_PASSES (rounds over every shape and size, default 5),
 * BENCH_TIMEOUT_MS (per adversarial request, default 120000), BENCH_SERVER_NODE_FLAGS (node flags added
 * to the deployed ones, e.g. --trace-gc or --cpu-prof, to find where a stall comes from), BENCH_SAME_KEYS=1
 * (send the first pass's bodies in every pass; by default each pass has keys the server has not seen,
 * as an attacker's would: keys the server has seen cost it less), BENCH_SERVER_OUT (a file
 * that gets a copy of the server's stdout: its log, and --trace-gc's lines), BENCH_SERVER_CPUS (a
 * taskset CPU list, e.g. 0: the server runs on those CPUs and this process, its load client and
 * the sender of adversarial bodies on the others, to tell the server's own cost from the time the
 * load generators take from it on a small machine).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { createServer } from 'node:net';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_CONFIG } from '../src/config/config.js';
import type { LoadOptions, LoadResult } from './adversarial-load.js';
import { nodeOn, pinSelf, serverCpus } from './cpus.js';

/** The V8 flags wasmgate runs with everywhere (bin/wasmgate.js's first line, the image, the chart), which `node bin/wasmgate.js` would not read. */
const DEPLOYED_FLAGS = ['--max-semi-space-size=8', '--expose-gc'];

const KiB = 1024;
const MiB = 1024 * KiB;
const BODY_LIMIT = 7 * MiB;
const MAX_BYTES = Number(process.env['BENCH_MAX_BYTES'] ?? BODY_LIMIT - 4 * KiB);
const RATE = Number(process.env['BENCH_RATE'] ?? 200);
const PASSES = Number(process.env['BENCH_PASSES'] ?? 5);
const TIMEOUT_MS = Number(process.env['BENCH_TIMEOUT_MS'] ?? 120_000);
const SIZES = [64 * KiB, 517 * KiB, 1 * MiB, 2 * MiB, 4 * MiB, BODY_LIMIT - 4 * KiB].filter((s) => s <= MAX_BYTES);

const RESOURCE: Record<string, [string, string, string]> = {
  Pod: ['', 'v1', 'pods'],
  Node: ['', 'v1', 'nodes'],
  RuntimeClass: ['node.k8s.io', 'v1', 'runtimeclasses'],
};

function review(uid: string, object: Record<string, unknown>, oldObject?: Record<string, unknown>): Record<string, unknown> {
  const meta = object['metadata'] as { name: string; namespace?: string };
  const [group, version, resource] = RESOURCE[object['kind'] as string]!;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group, version, kind: object['kind'] },
      resource: { group, version, resource },
      operation: oldObject === undefined ? 'CREATE' : 'UPDATE',
      name: meta.name,
      ...(meta.namespace === undefined ? {} : { namespace: meta.namespace }),
      object,
      ...(oldObject === undefined ? {} : { oldObject }),
    },
  };
}

const wasmNode = (labels: Record<string, string>): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'wasm-1', labels: { 'kubernetes.io/hostname': 'wasm-1', 'wasmtime-enabled': 'yes', ...labels } },
  spec: { taints: [{ key: 'wasm', value: 'true', effect: 'NoSchedule' }] },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});

function pod(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'hostile', namespace: 'apps', ...metadata },
    spec: { runtimeClassName: 'wasm1', containers: [{ name: 'app', image: 'ghcr.io/example/app:1' }], ...spec },
  };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const keyed = (n: number, key: (i: number) => string, value: string): Record<string, string> =>
  Object.fromEntries(range(n).map((i) => [key(i), value]));

interface Shape {
  name: string;
  /** the object with n repetitions of the hostile part (and the old object, for an UPDATE) */
  /** `salt` goes into every key, so that each pass sends keys the server has not seen (an attacker's would vary too) */
  build(n: number, salt: string): Record<string, unknown> | [Record<string, unknown>, Record<string, unknown>];
}

const SHAPES: Shape[] = [
  {
    name: 'nodeSelector, reserved keys (kubernetes.io/kN)',
    build: (n, s) => pod({ nodeSelector: keyed(n, (i) => `kubernetes.io/k${s}${i}`, 'v') }),
  },
  { name: 'nodeSelector, ordinary keys', build: (n, s) => pod({ nodeSelector: keyed(n, (i) => `example.com/k${s}${i}`, 'v') }) },
  {
    name: 'tolerations',
    build: (n, s) => pod({ tolerations: range(n).map((i) => ({ key: `k${s}${i}`, operator: 'Exists', effect: 'NoSchedule' })) }),
  },
  { name: 'containers', build: (n, s) => pod({ containers: range(n).map((i) => ({ name: `c${s}${i}`, image: 'i' })) }) },
  {
    name: 'node affinity terms',
    build: (n, s) =>
      pod({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: range(n).map((i) => ({ matchExpressions: [{ key: `k${s}${i}`, operator: 'In', values: ['v'] }] })),
            },
          },
        },
      }),
  },
  { name: 'annotations', build: (n, s) => pod({}, { annotations: keyed(n, (i) => `example.com/a${s}${i}`, 'v') }) },
  { name: 'one huge name', build: (n, s) => pod({}, { name: `${s}${'n'.repeat(n * 16)}` }) },
  {
    name: 'one reserved key with a huge value',
    build: (n, s) => pod({ nodeSelector: { 'kubernetes.io/wasm': `${s}${'v'.repeat(n * 16)}` } }),
  },
  {
    name: 'RuntimeClass, nodeSelector keys',
    build: (n, s) => ({
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'hostile' },
      handler: 'wasmtime',
      scheduling: { nodeSelector: keyed(n, (i) => `kubernetes.io/k${s}${i}`, 'v') },
    }),
  },
  {
    name: 'Node UPDATE, labels (cordon)',
    build: (n, s) => [{ ...wasmNode(keyed(n, (i) => `example.com/l${s}${i}`, 'v')), spec: { unschedulable: true } }, wasmNode({})],
  },
];

/** The body of `n` repetitions of this shape, with `salt` in its keys. */
function bodyText(shape: Shape, n: number, uid: string, salt: string): string {
  const built = shape.build(n, salt);
  return JSON.stringify(Array.isArray(built) ? review(uid, built[0], built[1]) : review(uid, built));
}

/** The most repetitions of this shape that fit `bytes`, with a salt of SALT_LENGTH characters. */
function repetitions(shape: Shape, bytes: number): number {
  const size = (n: number): number => Buffer.byteLength(bodyText(shape, n, 'hostile-000', saltOf(0)));
  const per = (size(1000) - size(0)) / 1000;
  let n = Math.max(1, Math.floor((bytes - size(0)) / per));
  while (size(n) > bytes) n = Math.floor(n * 0.98);
  return n;
}

/** Pass p's salt ("a-", "b-", ...; the quiet phase's is "z-"): each pass's keys are new to the server, all of one length. */
const saltOf = (pass: number): string => `${String.fromCharCode(97 + pass)}-`;
const SAME_KEYS = process.env['BENCH_SAME_KEYS'] === '1';

/** The floor: JSON.parse of the same body in this process (best of 3), at the same machine load. */
function parseMs(body: string): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    JSON.parse(body);
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return best;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

interface Answer {
  ms: number;
  status: number;
  bytes: number;
  allowed?: boolean;
  messageLength?: number;
  error?: string;
}

function post(agent: https.Agent, port: number, body: string): Promise<Answer> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/validate',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          const text = Buffer.concat(chunks).toString('utf8');
          const answer: Answer = { ms, status: res.statusCode ?? 0, bytes: Buffer.byteLength(text) };
          try {
            const r = (JSON.parse(text) as { response?: { allowed: boolean; status?: { message: string } } }).response;
            if (r !== undefined) {
              answer.allowed = r.allowed;
              answer.messageLength = r.status?.message.length ?? 0;
            }
          } catch {
            // a 4xx problem body, or a cut answer: status and size say enough
          }
          resolve(answer);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', (err) => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, status: 0, bytes: 0, error: err.message }));
    req.end(body);
  });
}

function startLoad(url: string, body: string, duration: number, ca: string): { proc: ChildProcess; result: Promise<LoadResult> } {
  const options: LoadOptions = { url, path: '/validate', body, rate: RATE, connections: 8, duration, ca };
  const proc = spawn(process.execPath, ['--import', 'tsx', 'bench/adversarial-load.ts', JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const result = new Promise<LoadResult>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load client exited ${code}`))));
  });
  return { proc, result };
}

const fmtBytes = (n: number): string => (n >= MiB ? `${(n / MiB).toFixed(2)} MiB` : n >= KiB ? `${(n / KiB).toFixed(1)} KiB` : `${n} B`);
const fmtMs = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

/**
 * The server's own event-loop delay since the last call (prom-client's default metrics: a
 * monitorEventLoopDelay histogram, reset on every scrape of /metrics), in ms: how long the
 * server's loop was held, apart from the time the benchmark's own processes took the CPUs.
 */
function loopLag(agent: https.Agent, port: number): Promise<{ p99: number; max: number }> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          const read = (name: string): number => Number(new RegExp(`^${name} ([0-9.e+-]+)`, 'm').exec(text)?.[1] ?? NaN) * 1000;
          resolve({ p99: read('nodejs_eventloop_lag_p99_seconds'), max: read('nodejs_eventloop_lag_max_seconds') });
        });
      })
      .on('error', reject);
  });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmgate-bench-'));
  const port = await freePort();
  // --dev-certs: since issue 10, serve makes certificates only when asked
  const devCerts = execFileSync(process.execPath, ['bin/wasmgate.js', 'serve', '--help']).toString().includes('--dev-certs')
    ? ['--dev-certs']
    : [];
  const split = serverCpus();
  // this process (and the load client it spawns) on the other CPUs
  if (split !== undefined) pinSelf(split.others);
  const server = spawn(
    ...nodeOn(split?.server, [
      ...DEPLOYED_FLAGS,
      ...(process.env['BENCH_SERVER_NODE_FLAGS'] ?? '').split(' ').filter((f) => f !== ''),
      'bin/wasmgate.js',
      'serve',
      '--cluster-state',
      'examples/cluster',
      '--cert-dir',
      dir,
      ...devCerts,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      // e.g. BENCH_SERVER_ARGS='--log-level debug': a log line for every review, as before the eighth session
      ...(process.env['BENCH_SERVER_ARGS'] ?? '').split(' ').filter((a) => a !== ''),
    ]),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let maxLogLine = 0;
  let logBytes = 0;
  const serverOut = process.env['BENCH_SERVER_OUT'];
  createInterface({ input: server.stdout! }).on('line', (l) => {
    if (serverOut !== undefined) appendFileSync(serverOut, `${l}\n`);
    logBytes += l.length + 1;
    maxLogLine = Math.max(maxLogLine, l.length);
  });
  server.stderr!.pipe(process.stderr);
  const stop = (): void => {
    if (server.exitCode === null) server.kill('SIGTERM');
  };
  process.once('exit', stop);
  try {
    const url = `https://127.0.0.1:${port}`;
    const ca = await waitForCa(join(dir, 'ca.crt'));
    const agent = new https.Agent({ keepAlive: true, ca, maxSockets: 1 });
    const ordinary = JSON.stringify(review('ordinary', pod({ runtimeClassName: 'wasmtime-spin-v2' })));
    for (let i = 0; ; i++) {
      const a = await post(agent, port, ordinary);
      if (a.status === 200) break;
      if (i > 300) throw new Error(`server not answering: ${a.error ?? a.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    for (let i = 0; i < 300; i++) await post(agent, port, ordinary); // warm-up

    process.stderr.write(`baseline: ${RATE} ordinary req/s for 10 s\n`);
    await loopLag(agent, port);
    const baseline = await startLoad(url, ordinary, 10, ca.toString()).result;
    const lagAlone = await loopLag(agent, port);

    // every pass's bodies built before the attack (about 150 MB each), so that building them cannot
    // slow the sender down; BENCH_SAME_KEYS=1 sends the first pass's bodies every time
    const bodies: { shape: string; size: number; bytes: number; parse: number; passes: string[]; quiet: string }[] = [];
    for (const size of SIZES) {
      for (const shape of SHAPES) {
        const n = repetitions(shape, size);
        const uid = `hostile-${String(bodies.length).padStart(3, '0')}`;
        const first = bodyText(shape, n, uid, saltOf(0));
        const passes = [
          first,
          ...Array.from({ length: PASSES - 1 }, (_, p) => (SAME_KEYS ? first : bodyText(shape, n, uid, saltOf(p + 1)))),
        ];
        bodies.push({
          shape: shape.name,
          size,
          bytes: Buffer.byteLength(first),
          parse: parseMs(first),
          passes,
          quiet: SAME_KEYS ? first : bodyText(shape, n, uid, saltOf(25)),
        });
      }
    }
    process.stderr.write(
      `${bodies.length} adversarial bodies built; sending ${PASSES} passes under load, ${SAME_KEYS ? 'the same bodies each time' : 'with new keys in each'}\n`,
    );

    const load = startLoad(url, ordinary, 0, ca.toString());
    await new Promise((r) => setTimeout(r, 2000));
    const hostileAgent = new https.Agent({ keepAlive: true, ca, maxSockets: 1 });
    const answers = new Map<string, Answer[]>();
    const started = Date.now();
    await loopLag(agent, port);
    for (let pass = 0; pass < PASSES; pass++) {
      for (const b of bodies) {
        const a = await post(hostileAgent, port, b.passes[pass]!);
        const key = `${b.shape}\t${b.size}`;
        answers.set(key, [...(answers.get(key) ?? []), { ...a, bytes: a.bytes }]);
        process.stderr.write(
          `  ${b.shape} ${fmtBytes(b.bytes)}: ${fmtMs(a.ms)} ms, ${a.status}, ${fmtBytes(a.bytes)}${a.error ? ` ${a.error}` : ''}\n`,
        );
      }
    }
    const lagAttack = await loopLag(agent, port);
    const attackSeconds = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
    load.proc.stdin!.end();
    const underAttack = await load.result;

    // Quiet phase: each body once more with nothing else sent, measuring the CPU time of the server's
    // main thread (/proc/<pid>/schedstat, ns): the time its event loop was busy with this review,
    // which is what every other request waits for. Much less sensitive to the machine's load than
    // wall time (it leaves out time spent waiting for a CPU).
    const mainThreadNs = async (): Promise<bigint> => BigInt((await readFile(`/proc/${server.pid}/schedstat`, 'utf8')).split(' ')[0]!);
    const cpu = new Map<string, number>();
    for (const b of bodies) {
      await new Promise((r) => setTimeout(r, 50));
      const before = await mainThreadNs();
      await post(hostileAgent, port, b.quiet);
      cpu.set(`${b.shape}\t${b.size}`, Number((await mainThreadNs()) - before) / 1e6);
    }
    const ordinaryCpu: number[] = [];
    for (let i = 0; i < 20; i++) {
      const before = await mainThreadNs();
      await post(agent, port, ordinary);
      ordinaryCpu.push(Number((await mainThreadNs()) - before) / 1e6);
    }
    ordinaryCpu.sort((x, y) => x - y);
    const rss = await readFile(`/proc/${server.pid}/status`, 'utf8').then((s) => /VmHWM:\s+(\d+) kB/.exec(s)?.[1]);

    const lines: string[] = [];
    lines.push(`### Latest run: ${new Date().toISOString().slice(0, 16).replace('T', ' ')}Z`, '');
    lines.push(
      `Command: \`npm run build && ${Object.entries({
        BENCH_MAX_BYTES: process.env['BENCH_MAX_BYTES'],
        BENCH_RATE: process.env['BENCH_RATE'],
        BENCH_PASSES: process.env['BENCH_PASSES'],
        BENCH_SERVER_ARGS: process.env['BENCH_SERVER_ARGS'],
        BENCH_SERVER_CPUS: split?.server,
      })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${v} `)
        .join('')}npm run bench:adversarial\` (commit ${execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim()}). ` +
        `Server: \`node ${DEPLOYED_FLAGS.join(' ')} bin/wasmgate.js serve --cluster-state examples/cluster\`, HTTPS on loopback, log level ${/--log-level\s+(\S+)/.exec(process.env['BENCH_SERVER_ARGS'] ?? '')?.[1] ?? 'info'}, default config (limits.jsonItems ${DEFAULT_CONFIG.limits.jsonItems.toLocaleString('en-US')}). ` +
        `Machine: ${cpus().length} CPUs${split === undefined ? '' : ` (the server on CPU ${split.server}, the load generators on CPU ${split.others})`}, load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' / ')} at the end (shared with other jobs: compare within this run).`,
      '',
    );
    lines.push(
      `Ordinary load: bench/adversarial-load.ts, one request every ${fmtMs(1000 / RATE)} ms (${RATE}/s, open loop) over up to 8 keep-alive connections, a Wasm pod that is allowed; each latency runs from when its request was due, so waiting caused by a stalled server counts. (Before 2026-11-29 05:00Z this was autocannon, whose rate sends each second's quota in bursts: see the history above.)`,
      '',
      "The last two columns are the server's own event-loop delay over the phase (prom-client's `nodejs_eventloop_lag_*` from its /metrics, 10 ms timer resolution): how long wasmgate held its loop, apart from the time the load generator and the sender of adversarial bodies took the 2 CPUs.",
      '',
      '| phase | requests | p50 | p90 | p99 | max | non-2xx | errors | client late (max) | server loop delay p99 | server loop delay max |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
      `| alone (10 s) | ${baseline.requests} | ${baseline.latency.p50} ms | ${baseline.latency.p90} ms | ${baseline.latency.p99} ms | ${baseline.latency.max} ms | ${baseline.non2xx} | ${baseline.errors} | ${baseline.clientLateMax} ms | ${fmtMs(lagAlone.p99)} ms | ${fmtMs(lagAlone.max)} ms |`,
      `| during the adversarial reviews (${attackSeconds.toFixed(0)} s) | ${underAttack.requests} | ${underAttack.latency.p50} ms | ${underAttack.latency.p90} ms | ${underAttack.latency.p99} ms | ${underAttack.latency.max} ms | ${underAttack.non2xx} | ${underAttack.errors} | ${underAttack.clientLateMax} ms | ${fmtMs(lagAttack.p99)} ms | ${fmtMs(lagAttack.max)} ms |`,
      '',
    );
    lines.push(
      `Adversarial reviews, one at a time, ${PASSES} passes${SAME_KEYS ? ' of the same bodies' : ', each with keys (or name, or value) the server has not seen before'}; time from the first byte sent to the last byte received (median / max of the passes); then, with no other traffic, the CPU time the server's main thread spent on it (its event loop was busy that long: everyone else's wait); what JSON.parse of the same body alone takes in the benchmark's process (best of 3, for scale: the machine's speed at this load); status, verdict (413: not parsed), answer size, denial message length. Largest body ${fmtBytes(Math.max(...bodies.map((b) => b.bytes)))} (limit ${fmtBytes(BODY_LIMIT)}).`,
      '',
      '| shape | body | median | max | server main-thread CPU (quiet) | JSON.parse alone | status | verdict | answer | message |',
      '|---|---|---|---|---|---|---|---|---|---|',
    );
    let worst = 0;
    const worstCpu = Math.max(...cpu.values());
    for (const b of bodies) {
      const as = answers.get(`${b.shape}\t${b.size}`) ?? [];
      const ms = as.map((a) => a.ms).sort((x, y) => x - y);
      const last = as[as.length - 1]!;
      worst = Math.max(worst, ms[ms.length - 1] ?? 0);
      const verdict = last.error !== undefined ? last.error : last.allowed === undefined ? '-' : last.allowed ? 'allowed' : 'denied';
      lines.push(
        `| ${b.shape} | ${fmtBytes(b.bytes)} | ${fmtMs(ms[Math.floor(ms.length / 2)] ?? 0)} ms | ${fmtMs(ms[ms.length - 1] ?? 0)} ms | ${fmtMs(cpu.get(`${b.shape}\t${b.size}`) ?? 0)} ms | ${fmtMs(b.parse)} ms | ${last.status} | ${verdict} | ${fmtBytes(last.bytes)} | ${last.messageLength ?? '-'} |`,
      );
    }
    lines.push(
      '',
      `Worst adversarial review: ${fmtMs(worst)} ms wall under load, ${fmtMs(worstCpu)} ms of the server's main-thread CPU alone (goal ≤ 100 ms); ` +
        `an ordinary review costs ${fmtMs(ordinaryCpu[10]!)} ms of it (median of 20). Ordinary p99 alone: ${baseline.latency.p99} ms; under attack: ${underAttack.latency.p99} ms (goal < 20 ms); the server's longest loop delay under attack: ${fmtMs(lagAttack.max)} ms. ` +
        `Longest server log line: ${fmtBytes(maxLogLine)}; log written: ${fmtBytes(logBytes)}; server peak RSS: ${rss === undefined ? '?' : fmtBytes(Number(rss) * KiB)}.`,
      '',
    );
    // its own part of bench/results.md, between markers (as bench/images.ts does)
    const section = ['<!-- adversarial:start -->', ...lines, '<!-- adversarial:end -->'].join('\n');
    process.stdout.write(`${section}\n`);
    if (process.env['BENCH_WRITE'] !== '0') {
      const path = new URL('results.md', import.meta.url).pathname;
      const current = await readFile(path, 'utf8');
      const re = /<!-- adversarial:start -->[\s\S]*?<!-- adversarial:end -->\n?/;
      await writeFile(path, re.test(current) ? current.replace(re, `${section}\n`) : `${current.trimEnd()}\n\n${section}\n`);
    }
  } finally {
    stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function waitForCa(path: string): Promise<Buffer> {
  for (let i = 0; i < 600; i++) {
    try {
      return await readFile(path);
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${path} did not appear`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
