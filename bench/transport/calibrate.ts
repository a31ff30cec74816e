/**
 * `npm run bench:transport:calibrate`: what bench:transport's ratio means on this machine (issue 13,
 * item 1). The null webhook is run several times over, each copy holding the CPU for a known number
 * of extra microseconds per review (null-app.ts, `spinUs`), beside wasmgate as deployed, all under
 * the same load, in alternating rounds. Each copy's throughput ÷ the plain null webhook's is the
 * ratio that a webhook doing exactly that much more work per review gets here; wasmgate's ratio,
 * read on that curve, is the extra work it behaves like.
 *
 * On 2 shared CPUs the load generator and the server compete, and a slower server pays more for
 * the same writes and reads (its client is more often asleep and must be woken): the curve says how
 * much, so the goal (≥ 0.85) can be read as microseconds.
 *
 *   BENCH_CALIBRATE_SPINS (default 0,10,20,30,50; must include 0), BENCH_CALIBRATE_SIZE (default 5k),
 *   BENCH_CALIBRATE_ENDPOINT (default validate), BENCH_CALIBRATE_CONNECTIONS (default 16),
 *   BENCH_TRANSPORT_ROUNDS (default 3), BENCH_TRANSPORT_DURATION (default 5), BENCH_TRANSPORT_WARMUP
 *   (default 3), BENCH_TRANSPORT_NODES (default 200), BENCH_RESULTS_MD, BENCH_CALIBRATE_JSON
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/controlplane/index.js';
import { loadNow, median } from '../proc.js';
import { benchCommand, envNumber, machineInfo, publish } from '../publish.js';
import { calibrationMarkdown, type CalibrationResults, type CalibrationServer } from './calibrate-report.js';
import { load } from './load.js';
import { admissionReview, POD_SIZES } from './pods.js';
import { startNull, startWasmgate, stopAll, workspace, type Server } from './servers.js';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const HERE = join(ROOT, 'bench', 'transport');
const spins = (process.env['BENCH_CALIBRATE_SPINS'] ?? '0,10,20,30,50').split(',').map((s) => Number(s.trim()));
if (!spins.includes(0) || spins.some((s) => !Number.isFinite(s) || s < 0))
  throw new Error('BENCH_CALIBRATE_SPINS: microseconds ≥ 0, separated by commas, including 0 (the plain null webhook)');
const settings = {
  spins: [...new Set(spins)].sort((a, b) => a - b),
  size: process.env['BENCH_CALIBRATE_SIZE'] ?? '5k',
  endpoint: (process.env['BENCH_CALIBRATE_ENDPOINT'] ?? 'validate') as 'mutate' | 'validate',
  connections: envNumber('BENCH_CALIBRATE_CONNECTIONS', 16),
  rounds: envNumber('BENCH_TRANSPORT_ROUNDS', 3),
  durationS: envNumber('BENCH_TRANSPORT_DURATION', 5),
  warmupS: envNumber('BENCH_TRANSPORT_WARMUP', 3),
  nodes: envNumber('BENCH_TRANSPORT_NODES', 200),
};
if (!POD_SIZES.some((p) => p.label === settings.size)) throw new Error(`BENCH_CALIBRATE_SIZE: unknown ${settings.size}`);
if (!['mutate', 'validate'].includes(settings.endpoint)) throw new Error('BENCH_CALIBRATE_ENDPOINT: mutate or validate');
const RESULTS_MD = process.env['BENCH_RESULTS_MD'] ?? join(ROOT, 'bench', 'results.md');
/** one section and one JSON file per endpoint and body, so that several can be kept */
const SECTION = `transport-calibration-${settings.endpoint}-${settings.size}`;
const RESULTS_JSON = process.env['BENCH_CALIBRATE_JSON'] ?? join(HERE, `calibration-${settings.endpoint}-${settings.size}.json`);
/** As deployed (README, "Memory setting"); the same for every server. */
const V8_FLAGS = ['--max-semi-space-size=8'];

const say = (line: string): void => void process.stdout.write(`[bench:transport:calibrate] ${line}\n`);

async function main(): Promise<void> {
  const started = Date.now();
  const servers: { label: string; spinUs?: number; server: Server }[] = [];
  try {
    const { work, certDir, ca, snapshot } = await workspace('wasmgate-calibrate-', settings.nodes);
    const pod: unknown = JSON.parse(readFileSync(join(HERE, 'fixtures', `pod-${settings.size}-${settings.endpoint}.json`), 'utf8'));
    const body = JSON.stringify(admissionReview(pod, '705ab4f5-6393-11e8-b7cc-42010a800002'));
    const setup = async (name: string, extraArgs: string[] = []) => ({
      root: ROOT,
      v8Flags: V8_FLAGS,
      certDir,
      snapshot,
      port: await freePort(),
      logFile: join(work, `${name}.log`),
      extraArgs,
    });
    servers.push({ label: 'wasmgate', server: await startWasmgate(await setup('wasmgate')) });
    for (const us of settings.spins)
      servers.push({ label: `null + ${us} µs`, spinUs: us, server: await startNull(await setup(`null-${us}`, ['--spin-us', String(us)])) });
    for (const s of servers) say(`${s.label}: pid ${s.server.pid}: ${s.server.command}`);

    const run = (s: Server, durationS: number) =>
      load({
        target: s.name,
        url: `${s.url}/${settings.endpoint}`,
        body,
        connections: settings.connections,
        durationS,
        ca,
        serverPid: s.pid,
      });
    for (const s of servers) await run(s.server, settings.warmupS);
    const runs = new Map(servers.map((s) => [s.label, [] as Awaited<ReturnType<typeof load>>[]]));
    const load0 = loadNow();
    for (let r = 0; r < settings.rounds; r++) {
      for (const s of r % 2 === 0 ? servers : [...servers].reverse()) {
        const x = await run(s.server, settings.durationS);
        runs.get(s.label)!.push(x);
        say(`round ${r + 1}: ${s.label}: ${x.rps.toFixed(0)}/s, CPU ${x.serverCpuMsPerKReq.toFixed(0)} ms per 1,000`);
      }
    }
    const rows: CalibrationServer[] = servers.map((s) => {
      const mine = runs.get(s.label)!;
      return {
        label: s.label,
        ...(s.spinUs === undefined ? {} : { spinUs: s.spinUs }),
        rps: median(mine.map((x) => x.rps)),
        p50Ms: median(mine.map((x) => x.p50Ms)),
        p99Ms: median(mine.map((x) => x.p99Ms)),
        cpuMsPerKReq: median(mine.map((x) => x.serverCpuMsPerKReq)),
        failed: mine.reduce((n, x) => n + x.non2xx + x.errors + x.timeouts, 0),
        runs: mine,
      };
    });
    const results: CalibrationResults = {
      date: new Date().toISOString(),
      command: benchCommand('bench:transport:calibrate', ['BENCH_CALIBRATE_', 'BENCH_TRANSPORT_'], false),
      machine: machineInfo(),
      settings,
      bodyBytes: body.length,
      servers: rows,
      loadBefore: load0,
      loadAfter: loadNow(),
      totalS: (Date.now() - started) / 1000,
    };
    publish({
      name: SECTION,
      results,
      markdown: calibrationMarkdown(results),
      mdPath: RESULTS_MD,
      jsonPath: RESULTS_JSON,
      say,
    });
  } finally {
    await stopAll(servers.map((s) => s.server));
  }
}

await main();
