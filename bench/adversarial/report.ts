/**
 * The Markdown section of `npm run bench:adversarial` (bench/adversarial.ts): each server's
 * ordinary load alone and under attack, and each hostile body's time on each server.
 */
import type { LoadResult } from '../adversarial-load.js';
import type { Answer } from './client.js';
import type { Body } from './shapes.js';

export type ServerName = 'wasmgate' | 'null';

/** What one server's phases measured. */
export interface ServerRun {
  name: ServerName;
  alone: LoadResult;
  underAttack: LoadResult;
  attackSeconds: number;
  /** the server's own event-loop delay over each phase (wasmgate's /metrics; the null webhook has none) */
  lag?: { alone: { p99: number; max: number }; attack: { p99: number; max: number } };
  /** by bodyKey: every pass's answer */
  answers: Map<string, Answer[]>;
  /** by bodyKey: main-thread CPU of the quiet phase, ms */
  cpu: Map<string, number>;
  /** main-thread CPU of an ordinary review, ms (median of 20) */
  ordinaryCpu: number;
  /** bytes (VmHWM); NaN when /proc did not say */
  peakRss: number;
  /** wasmgate's log: longest line and bytes written */
  log?: { maxLine: number; bytes: number };
}

export interface Report {
  when: Date;
  command: string;
  commit: string;
  server: string;
  machine: string;
  rate: number;
  aloneSeconds: number;
  passes: number;
  sameKeys: boolean;
  bodyLimit: number;
  bodies: readonly Body[];
  runs: readonly ServerRun[];
}

export const bodyKey = (b: { shape: string; size: number }): string => `${b.shape}\t${b.size}`;

const KiB = 1024;
const MiB = 1024 * KiB;
export const fmtBytes = (n: number): string =>
  n >= MiB ? `${(n / MiB).toFixed(2)} MiB` : n >= KiB ? `${(n / KiB).toFixed(1)} KiB` : `${n} B`;
export const fmtMs = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

const LABEL: Record<ServerName, string> = { wasmgate: 'wasmgate', null: 'null webhook' };

const sorted = (as: readonly Answer[]): number[] => as.map((a) => a.ms).sort((x, y) => x - y);
const median = (xs: readonly number[]): number => xs[Math.floor(xs.length / 2)] ?? 0;
const worstOf = (run: ServerRun): number => Math.max(0, ...[...run.answers.values()].map((as) => sorted(as).at(-1) ?? 0));

function loadRow(label: string, r: LoadResult, lag: { p99: number; max: number } | undefined): string {
  const l = lag === undefined ? '- | -' : `${fmtMs(lag.p99)} ms | ${fmtMs(lag.max)} ms`;
  return `| ${label} | ${r.requests} | ${r.latency.p50} ms | ${r.latency.p90} ms | ${r.latency.p99} ms | ${r.latency.max} ms | ${r.non2xx} | ${r.errors} | ${r.clientLateMax} ms | ${l} |`;
}

/** The section, without its markers. */
export function adversarialMarkdown(r: Report): string[] {
  const lines: string[] = [];
  const names = r.runs.map((run) => LABEL[run.name]);
  lines.push(`### Latest run: ${r.when.toISOString().slice(0, 16).replace('T', ' ')}Z`, '');
  lines.push(`Command: \`${r.command}\` (commit ${r.commit}). ${r.server} ${r.machine}`, '');
  lines.push(
    `Ordinary load: bench/adversarial-load.ts, one request every ${fmtMs(1000 / r.rate)} ms (${r.rate}/s, open loop) over up to 8 keep-alive connections, a Wasm pod that is allowed; each latency runs from when its request was due, so waiting caused by a stalled server counts. (Before 2026-11-29 05:00Z this was autocannon, whose rate sends each second's quota in bursts: see the history above.) Each server is measured in turn (${names.join(', then ')}), alone with the machine: its ordinary load alone, then under attack, then the quiet phase.`,
    '',
    "The last two columns are the server's own event-loop delay over the phase (prom-client's `nodejs_eventloop_lag_*` from wasmgate's /metrics, 10 ms timer resolution; the null webhook has no /metrics): how long wasmgate held its loop, apart from the time the load generator and the sender of adversarial bodies took the CPUs.",
    '',
    '| phase | requests | p50 | p90 | p99 | max | non-2xx | errors | client late (max) | server loop delay p99 | server loop delay max |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const run of r.runs) {
    lines.push(loadRow(`${LABEL[run.name]}: alone (${r.aloneSeconds} s)`, run.alone, run.lag?.alone));
    lines.push(
      loadRow(`${LABEL[run.name]}: during the adversarial reviews (${run.attackSeconds.toFixed(0)} s)`, run.underAttack, run.lag?.attack),
    );
  }
  lines.push('');
  const wasmgate = r.runs.find((run) => run.name === 'wasmgate');
  const cols = r.runs.flatMap((run) => [`${LABEL[run.name]} median`, `${LABEL[run.name]} max`]);
  const cpuCols = r.runs.map((run) => `${LABEL[run.name]} main-thread CPU (quiet)`);
  lines.push(
    `Adversarial reviews, one at a time, ${r.passes} ${r.passes === 1 ? 'pass' : 'passes'}${r.sameKeys ? ' of the same bodies' : ', each with keys (or name, or value) the server has not seen before'}; time from the first byte sent to the last byte received (median / max of the passes); then, with no other traffic, the CPU time the server's main thread spent on it (its event loop was busy that long: everyone else's wait); what JSON.parse of the same body alone takes in the benchmark's process (best of 3, for scale: the machine's speed at this load); wasmgate's status, verdict (413: not parsed), answer size and denial message length (the null webhook admits everything it can parse). Largest body ${fmtBytes(Math.max(...r.bodies.map((b) => b.bytes)))} (limit ${fmtBytes(r.bodyLimit)}).`,
    '',
    `| shape | body | ${[...cols, ...cpuCols].join(' | ')} | JSON.parse alone | status | verdict | answer | message |`,
    `|---|---|${[...cols, ...cpuCols].map(() => '---|').join('')}---|---|---|---|---|`,
  );
  for (const b of r.bodies) {
    const key = bodyKey(b);
    const times = r.runs.flatMap((run) => {
      const ms = sorted(run.answers.get(key) ?? []);
      return [`${fmtMs(median(ms))} ms`, `${fmtMs(ms.at(-1) ?? 0)} ms`];
    });
    const cpu = r.runs.map((run) => `${fmtMs(run.cpu.get(key) ?? 0)} ms`);
    const last = (wasmgate ?? r.runs[0]!).answers.get(key)?.at(-1);
    const verdict = last?.error ?? (last?.allowed === undefined ? '-' : last.allowed ? 'allowed' : 'denied');
    lines.push(
      `| ${b.shape} | ${fmtBytes(b.bytes)} | ${[...times, ...cpu].join(' | ')} | ${fmtMs(b.parse)} ms | ${last?.status ?? '-'} | ${verdict} | ${last === undefined ? '-' : fmtBytes(last.bytes)} | ${last?.messageLength ?? '-'} |`,
    );
  }
  lines.push('');
  for (const run of r.runs) lines.push(summary(run), '');
  return lines;
}

function summary(run: ServerRun): string {
  const worstCpu = Math.max(0, ...run.cpu.values());
  const ours = run.name === 'wasmgate';
  const log =
    run.log === undefined ? '' : ` Longest server log line: ${fmtBytes(run.log.maxLine)}; log written: ${fmtBytes(run.log.bytes)}.`;
  const loop = run.lag === undefined ? '' : `; the server's longest loop delay under attack: ${fmtMs(run.lag.attack.max)} ms`;
  return (
    `${ours ? 'wasmgate' : 'The null webhook'}: worst adversarial review ${fmtMs(worstOf(run))} ms wall under load${ours ? ' (goal ≤ 100 ms)' : ''}, ${fmtMs(worstCpu)} ms of the server's main-thread CPU alone; ` +
    `an ordinary review costs ${fmtMs(run.ordinaryCpu)} ms of it (median of 20). Ordinary p99 alone: ${run.alone.latency.p99} ms; under attack: ${run.underAttack.latency.p99} ms${ours ? ' (goal < 20 ms)' : ''}${loop}.${log} ` +
    `Server peak RSS: ${Number.isNaN(run.peakRss) ? '?' : fmtBytes(run.peakRss)}.`
  );
}
