/**
 * `npm run bench:transport:inject`: the CPU that wasmgate's HTTP handling and decision add to a
 * review, without TLS or a load generator to share the CPUs with (issue 13, item 1). In one
 * process, wasmgate's own app (src/server/app.ts compiled into dist/, deciding from a snapshot of
 * realistic Nodes, logging to a file) and the null webhook's (null-app.ts) answer the transport
 * benchmark's bodies through fastify.inject, in alternating rounds; each round's figure is process
 * CPU time per request, and a row reports the minimum and the median of the rounds, and wasmgate ÷
 * null of the minima (the ratio of throughputs a CPU-bound server would show).
 *
 *   BENCH_INJECT_LOG_LEVEL (default info), BENCH_INJECT_ROUNDS (default 10), BENCH_INJECT_REQUESTS
 *   (per round, default 2000; a fifth of it for 100k bodies), BENCH_TRANSPORT_SIZES,
 *   BENCH_TRANSPORT_ENDPOINTS
 *
 * The transport benchmark (run.ts) is the measure; this one attributes its gap, and is
 * steadier on a shared machine, where the whole-server figures move by ±30% between runs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { median } from '../proc.js';
import { buildNullApp } from './null-app.js';
import { admissionReview } from './pods.js';
import { writeSnapshot } from './servers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(dirname(HERE));
// wasmgate as deployed, compiled (the script builds it first): under tsx, code can run at another
// speed (the item count of a 100 KB body took 800 µs there against 160 µs compiled)
const dist = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(ROOT, 'dist', path)).href)) as T;
const { loadSnapshot } = await dist<typeof import('../../src/cluster/snapshot.js')>('cluster/snapshot.js');
const { parseConfig } = await dist<typeof import('../../src/config/config.js')>('config/config.js');
const { buildApp } = await dist<typeof import('../../src/server/app.js')>('server/app.js');
const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name}: expected a positive integer`);
  return v;
};
const list = (name: string, fallback: string): string[] => (process.env[name] ?? fallback).split(',').filter((s) => s !== '');
const ROUNDS = num('BENCH_INJECT_ROUNDS', 10);
const REQUESTS = num('BENCH_INJECT_REQUESTS', 2000);
const SIZES = list('BENCH_TRANSPORT_SIZES', '5k,20k,100k');
const ENDPOINTS = list('BENCH_TRANSPORT_ENDPOINTS', 'mutate,validate');

const dir = mkdtempSync(join(tmpdir(), 'wasmgate-inject-'));
try {
  writeSnapshot(join(dir, 'state.json'), 200);
  const { state } = await loadSnapshot(join(dir, 'state.json'));
  // as deployed (info: denials, warnings and errors only); BENCH_INJECT_LOG_LEVEL=debug logs every review
  const logger = {
    level: process.env.BENCH_INJECT_LOG_LEVEL ?? 'info',
    stream: pino.destination({ dest: join(dir, 'wasmgate.log'), sync: true }),
  };
  const apps: [string, FastifyInstance][] = [
    ['wasmgate', buildApp({ config: parseConfig({}), state, logger }).app],
    ['null', buildNullApp()],
  ];
  for (const [, app] of apps) await app.ready();

  const lines = [
    '| endpoint | body | wasmgate µs/request (min / median) | null µs/request (min / median) | wasmgate − null (min) | **ratio** null ÷ wasmgate |',
    '|---|---|---|---|---|---|',
  ];
  for (const endpoint of ENDPOINTS) {
    for (const size of SIZES) {
      const pod: unknown = JSON.parse(readFileSync(join(HERE, 'fixtures', `pod-${size}-${endpoint}.json`), 'utf8'));
      const payload = JSON.stringify(admissionReview(pod, '705ab4f5-6393-11e8-b7cc-42010a800002'));
      const requests = size === '100k' ? Math.max(1, Math.floor(REQUESTS / 5)) : REQUESTS;
      const round = async (app: FastifyInstance): Promise<number> => {
        const before = process.cpuUsage();
        for (let i = 0; i < requests; i++) {
          const res = await app.inject({ method: 'POST', url: `/${endpoint}`, headers: { 'content-type': 'application/json' }, payload });
          if (res.statusCode !== 200) throw new Error(`/${endpoint} ${size}: HTTP ${res.statusCode}: ${res.body.slice(0, 300)}`);
        }
        const used = process.cpuUsage(before);
        return (used.user + used.system) / requests;
      };
      const times = new Map<string, number[]>(apps.map(([name]) => [name, []]));
      await round(apps[0]![1]); // warm-up
      await round(apps[1]![1]);
      for (let r = 0; r < ROUNDS; r++)
        for (const [name, app] of r % 2 === 0 ? apps : [...apps].reverse()) times.get(name)!.push(await round(app));
      const w = times.get('wasmgate')!;
      const n = times.get('null')!;
      const f = (x: number): string => x.toFixed(1);
      const line = `| /${endpoint} | ${size} (${(payload.length / 1024).toFixed(1)} KiB) | ${f(Math.min(...w))} / ${f(median(w))} | ${f(Math.min(...n))} / ${f(median(n))} | ${f(Math.min(...w) - Math.min(...n))} | **${(Math.min(...n) / Math.min(...w)).toFixed(2)}** |`;
      lines.push(line);
      process.stderr.write(`[bench:transport:inject] ${line}\n`);
    }
  }
  for (const [, app] of apps) await app.close();
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
