/** Summaries, the console table and bench/results.md from the raw results. */
import type { CreationResult, ListMeasurement } from './cluster.js';
import type { BaselineResult, DecisionResult, FullResult, LatencyStats, LeanResult, MemorySample } from './shared.js';

export interface MeasurementSet {
  runner: string;
  /** the worker command lines, e.g. node --expose-gc --import tsx bench/worker-lean.ts <kubeconfig> */
  commands: Record<string, string>;
  baseline: BaselineResult;
  lean: LeanResult[];
  full: FullResult;
}

export interface Results {
  date: string;
  command: string;
  machine: {
    nproc: number;
    cpuModel: string;
    totalMemGiB: number;
    node: string;
    platform: string;
    kubernetes: { server: string; kubectl: string };
  };
  settings: { nodes: number; concurrency: number; leanRuns: number; pageSize: number; runners: string[]; v8Flags: string[] };
  controlPlane: { startMs: number; apiServerExtraArgs: string[] };
  creation: CreationResult & { runtimeClasses: string[] };
  list: ListMeasurement;
  sets: MeasurementSet[];
  summaries: Summary[];
  goals: Goal[];
  totalMs: number;
}

export interface Summary {
  runner: string;
  baseline: { rss: number; heapUsed: number };
  lean: { syncMsMedian: number; syncMsRuns: number[]; rss: number; heapUsed: number; netRss: number; netHeapUsed: number; maxRss: number };
  full: { syncMs: number; rss: number; heapUsed: number; netRss: number; netHeapUsed: number; maxRss: number };
  ratio: { rssTotal: number; rssNet: number; heapUsed: number; netHeapUsed: number };
  decisions: Record<string, DecisionResult> | undefined;
}

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarize(set: MeasurementSet): Summary {
  const b = set.baseline.memory;
  const med = (f: (m: MemorySample) => number): number => median(set.lean.map((r) => f(r.memory)));
  const leanRss = med((m) => m.rssBytes);
  const leanHeap = med((m) => m.heapUsedBytes);
  const f = set.full.memory;
  const withDecisions = set.lean.find((r) => r.decisions !== undefined);
  return {
    runner: set.runner,
    baseline: { rss: b.rssBytes, heapUsed: b.heapUsedBytes },
    lean: {
      syncMsMedian: median(set.lean.map((r) => r.syncMs)),
      syncMsRuns: set.lean.map((r) => r.syncMs),
      rss: leanRss,
      heapUsed: leanHeap,
      netRss: leanRss - b.rssBytes,
      netHeapUsed: leanHeap - b.heapUsedBytes,
      maxRss: med((m) => m.maxRssBytes),
    },
    full: {
      syncMs: set.full.syncMs,
      rss: f.rssBytes,
      heapUsed: f.heapUsedBytes,
      netRss: f.rssBytes - b.rssBytes,
      netHeapUsed: f.heapUsedBytes - b.heapUsedBytes,
      maxRss: f.maxRssBytes,
    },
    ratio: {
      rssTotal: leanRss / f.rssBytes,
      rssNet: (leanRss - b.rssBytes) / (f.rssBytes - b.rssBytes),
      heapUsed: leanHeap / f.heapUsedBytes,
      netHeapUsed: (leanHeap - b.heapUsedBytes) / (f.heapUsedBytes - b.heapUsedBytes),
    },
    decisions: withDecisions?.decisions,
  };
}

const SYNC_GOAL_MS = 5000;
const RSS_GOAL = 0.25;
const P99_GOAL_US = 50;

export function goals(summaries: Summary[]): Goal[] {
  const out: Goal[] = [];
  for (const m of summaries) {
    out.push(
      {
        goal: `initial sync, lean (median of runs; ${m.runner})`,
        target: `≤ ${SYNC_GOAL_MS / 1000} s`,
        measured: `${(m.lean.syncMsMedian / 1000).toFixed(2)} s`,
        met: m.lean.syncMsMedian <= SYNC_GOAL_MS,
      },
      {
        goal: `lean RSS / full-object RSS, total (${m.runner})`,
        target: `≤ ${RSS_GOAL}×`,
        measured: `${m.ratio.rssTotal.toFixed(3)}× (${mib(m.lean.rss)} / ${mib(m.full.rss)})`,
        met: m.ratio.rssTotal <= RSS_GOAL,
      },
      {
        goal: `lean RSS / full-object RSS, net of baseline (${m.runner})`,
        target: `≤ ${RSS_GOAL}×`,
        measured: `${m.ratio.rssNet.toFixed(3)}× (${mib(m.lean.netRss)} / ${mib(m.full.netRss)})`,
        met: m.ratio.rssNet <= RSS_GOAL,
      },
    );
    for (const [rc, d] of Object.entries(m.decisions ?? {})) {
      out.push({
        goal: `decision p99, RuntimeClass ${rc} (${m.runner})`,
        target: `≤ ${P99_GOAL_US} µs`,
        measured: `${us(d.validateIndex.p99)}`,
        met: d.validateIndex.p99 <= P99_GOAL_US,
      });
    }
  }
  return out;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function us(v: number): string {
  return v >= 100 ? `${v.toFixed(0)} µs` : v >= 10 ? `${v.toFixed(1)} µs` : `${v.toFixed(2)} µs`;
}

function ms(v: number): string {
  return v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(0)} ms`;
}

function ratio(a: number, b: number): string {
  if (!(b > 0)) return '–';
  const r = a / b;
  if (r > 0 && r < 0.01) return `1/${Math.round(1 / r)}`;
  return r >= 10 ? `${r.toFixed(0)}×` : r >= 1 ? `${r.toFixed(1)}×` : `${r.toFixed(3)}×`;
}

/** A GitHub-flavoured markdown table (also readable on a terminal). */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function memoryTable(s: Summary, leanRuns: number): string {
  return table(
    ['measurement', 'sync time', 'RSS', 'heapUsed', 'net RSS over baseline', 'net heapUsed', 'peak RSS'],
    [
      ['baseline (modules loaded, no data)', '–', mib(s.baseline.rss), mib(s.baseline.heapUsed), '–', '–', '–'],
      [
        `lean: wasmgate live source (median of ${leanRuns})`,
        `${ms(s.lean.syncMsMedian)} (runs: ${s.lean.syncMsRuns.map((v) => v.toFixed(0)).join(', ')} ms)`,
        mib(s.lean.rss),
        mib(s.lean.heapUsed),
        mib(s.lean.netRss),
        mib(s.lean.netHeapUsed),
        mib(s.lean.maxRss),
      ],
      [
        'full: client-node informer (full objects)',
        ms(s.full.syncMs),
        mib(s.full.rss),
        mib(s.full.heapUsed),
        mib(s.full.netRss),
        mib(s.full.netHeapUsed),
        mib(s.full.maxRss),
      ],
      [
        'ratio lean / full',
        ratio(s.lean.syncMsMedian, s.full.syncMs),
        ratio(s.lean.rss, s.full.rss),
        ratio(s.lean.heapUsed, s.full.heapUsed),
        ratio(s.lean.netRss, s.full.netRss),
        ratio(s.lean.netHeapUsed, s.full.netHeapUsed),
        ratio(s.lean.maxRss, s.full.maxRss),
      ],
    ],
  );
}

export function decisionTable(s: Summary): string {
  const rows: string[][] = [];
  for (const [rc, d] of Object.entries(s.decisions ?? {})) {
    rows.push([
      rc,
      `${Object.entries(d.selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')} (${d.matchingNodes} nodes)`,
      d.allowed ? 'allowed' : 'denied',
      us(d.validateIndex.p50),
      us(d.validateIndex.p90),
      us(d.validateIndex.p99),
      us(d.validateIndex.max),
      `${us(d.validateScan.p50)} / ${us(d.validateScan.p99)}`,
      `${ratio(d.validateIndex.p50, d.validateScan.p50)} / ${ratio(d.validateIndex.p99, d.validateScan.p99)}`,
    ]);
  }
  return table(
    ['RuntimeClass', 'selector (matching)', 'decision', 'p50', 'p90', 'p99', 'max', 'no-index validate p50 / p99', 'index/scan p50 / p99'],
    rows,
  );
}

export function questionTable(s: Summary): string {
  const rows: string[][] = [];
  const fmt = (l: LatencyStats): string => `${us(l.p50)} / ${us(l.p99)}`;
  for (const [rc, d] of Object.entries(s.decisions ?? {})) {
    rows.push([
      rc,
      fmt(d.questionIndex),
      fmt(d.questionScan),
      `${ratio(d.questionIndex.p50, d.questionScan.p50)} / ${ratio(d.questionIndex.p99, d.questionScan.p99)}`,
    ]);
  }
  return table(['RuntimeClass', 'index p50 / p99', 'linear scan p50 / p99', 'index/scan p50 / p99'], rows);
}

/** Where the decision tail comes from: GCs during the timed calls, and warm-up (the first 10%). */
export function tailTable(s: Summary): string {
  const rows: string[][] = [];
  for (const [rc, d] of Object.entries(s.decisions ?? {})) {
    const v = d.validateIndex;
    rows.push([
      rc,
      `${us(v.p99)} / ${us(v.p999)} / ${us(v.max)}`,
      v.gc === undefined ? '–' : `${v.gc.collections} (${v.gc.totalMs} ms, max ${v.gc.maxMs} ms)`,
      v.gc === undefined ? '–' : String(v.gc.callsOverlapping),
      v.gc === undefined ? '–' : `${us(v.gc.withoutThem.p99)} / ${us(v.gc.withoutThem.max)}`,
      v.firstTenth === undefined ? '–' : `${us(v.firstTenth.p99)} / ${us(v.firstTenth.max)}`,
    ]);
  }
  return table(
    [
      'RuntimeClass',
      'p99 / p99.9 / max',
      'GCs during the timed calls',
      'calls overlapping a GC',
      'p99 / max without them',
      'first 10% of calls p99 / max',
    ],
    rows,
  );
}

/** Resident memory by kind (bytes), for one worker result. */
function rssParts(m: MemorySample): { v8: number; brk: number; anon: number; file: number } {
  const d = m.detail;
  if (d === undefined) return { v8: Number.NaN, brk: Number.NaN, anon: Number.NaN, file: Number.NaN };
  const map = d.mappings;
  const get = (k: string): number => map[k]?.rss ?? 0;
  const anon = Object.entries(map)
    .filter(([k]) => k.startsWith('anon'))
    .reduce((t, [, v]) => t + v.rss, 0);
  return { v8: d.v8TotalPhysical, brk: get('brk heap'), anon, file: get('file') };
}

/**
 * Where each process's RSS is: V8's JS heap (physically resident), glibc's brk heap (malloc:
 * Buffers, OpenSSL, V8-internal zones), all anonymous mappings (V8 heap pages and large objects,
 * thread stacks, large mallocs), file-backed mappings (the node binary, libraries).
 */
export function rssBreakdownTable(set: MeasurementSet): string {
  const leanByRss = [...set.lean].sort((a, b) => a.memory.rssBytes - b.memory.rssBytes);
  const leanMid = leanByRss[Math.floor(leanByRss.length / 2)]!;
  const base = rssParts(set.baseline.memory);
  const rows: [string, MemorySample][] = [
    ['baseline', set.baseline.memory],
    ['lean (run with the median RSS)', leanMid.memory],
    ['full', set.full.memory],
  ];
  return table(
    ['process', 'RSS', 'V8 JS heap (resident)', 'glibc brk heap (malloc)', 'other anonymous (minus V8 heap)', 'file-backed'],
    rows.map(([name, m]) => {
      const p = rssParts(m);
      const cell = (v: number, b: number): string =>
        name === 'baseline' ? mib(v) : `${mib(v)} (${v >= b ? '+' : '−'}${mib(Math.abs(v - b))})`;
      return [
        name,
        cell(m.rssBytes, set.baseline.memory.rssBytes),
        cell(p.v8, base.v8),
        cell(p.brk, base.brk),
        cell(p.anon - p.v8, base.anon - base.v8),
        cell(p.file, base.file),
      ];
    }),
  );
}

export function goalTable(gs: Goal[]): string {
  return table(
    ['goal (issue)', 'target', 'measured', 'met?'],
    gs.map((g) => [g.goal, g.target, g.measured, g.met ? 'yes' : '**no**']),
  );
}

/** Facts worth reading next to the tables, derived from the raw results. */
export function observations(r: Results): string[] {
  const out: string[] = [];
  const p = r.summaries[0]!;
  out.push(
    `Lean sync ${p.lean.syncMsMedian.toFixed(0)} ms (median) vs. ${r.list.fetchMs.toFixed(0)} ms the API server took to serve the same ` +
      `${r.list.pages} pages to a bare client (${mib(r.list.responseBytes)}, no parsing): the API server's share is about ` +
      `${Math.round((100 * r.list.fetchMs) / p.lean.syncMsMedian)}%; the pages are fetched one after the other, so client-side work (parsing, reducing, GC) adds to it.`,
  );
  for (const set of r.sets) {
    const errs = set.lean.flatMap((l) => l.stopErrors ?? []);
    if (errs.length > 0) {
      out.push(
        `[${set.runner}] Stopping the live source (LiveState.stop()) raised ${errs.length} uncaught error(s) in ${set.lean.filter((l) => (l.stopErrors ?? []).length > 0).length} of ${set.lean.length} lean runs: ` +
          `${[...new Set(errs)].join('; ')}. The benchmark catches them (uncaughtException handler around stop()); a process without such a handler would crash on stop.`,
      );
    }
    if (set.full.errors.length > 0)
      out.push(`[${set.runner}] The full-object informers reported errors while syncing: ${set.full.errors.join('; ')}`);
  }
  for (const [i, s] of r.summaries.entries()) {
    const set = r.sets[i]!;
    const base = rssParts(set.baseline.memory);
    const byRss = [...set.lean].sort((a, b) => a.memory.rssBytes - b.memory.rssBytes);
    const mid = byRss[Math.floor(byRss.length / 2)]!.memory;
    const lp = rssParts(mid);
    out.push(
      `[${s.runner}] Lean's live data is small — net heapUsed ${mib(s.lean.netHeapUsed)} vs. ${mib(s.full.netHeapUsed)} for full objects ` +
        `(${s.ratio.netHeapUsed.toFixed(3)}×) — but its net RSS is ${mib(mid.rssBytes - set.baseline.memory.rssBytes)}: ` +
        `+${mib(lp.brk - base.brk)} in glibc's brk heap (malloc'd memory freed after the sync but kept by the allocator) and ` +
        `+${mib(lp.v8 - base.v8)} of resident V8 heap for +${mib(mid.heapUsedBytes - set.baseline.memory.heapUsedBytes)} of live objects ` +
        `(heap pages the sync's garbage left partly empty). Peak RSS during the sync: ${mib(s.lean.maxRss)}.`,
    );
  }
  out.push(
    `The full-object cache syncs in ${(r.summaries[0]!.full.syncMs / 1000).toFixed(1)} s: client-node's \`listNode()\` is one unpaginated ` +
      `${mib(r.list.responseBytes)} response, deserialized into typed objects.`,
  );
  return out;
}

export function markdown(r: Results): string {
  const out: string[] = [];
  const c = r.creation;
  out.push('# Benchmark: wasmgate live source vs. a full-object informer cache');
  out.push('');
  out.push(
    `Generated by \`${r.command}\` on ${r.date} (whole run: ${(r.totalMs / 1000).toFixed(0)} s). Raw numbers: [results.json](results.json). What is measured and how: [README.md](README.md).`,
  );
  out.push('');
  out.push('## Setup');
  out.push('');
  out.push(
    `- Machine: ${r.machine.nproc} CPUs (${r.machine.cpuModel}), ${r.machine.totalMemGiB.toFixed(0)} GiB RAM, ${r.machine.platform}`,
  );
  out.push(
    `- Node.js ${r.machine.node}; Kubernetes ${r.machine.kubernetes.server} (kube-apiserver + etcd on the same machine, no scheduler; kubectl ${r.machine.kubernetes.kubectl})`,
  );
  out.push(
    `- Command: \`${r.command}\` (BENCH_NODES=${r.settings.nodes}, ${r.settings.concurrency} requests in flight, lean runs: ${r.settings.leanRuns}; every worker, lean and full, runs with V8 flags \`${r.settings.v8Flags.join(' ') || '(none)'}\`, as deployed; \`BENCH_V8_FLAGS=''\` measures V8's defaults)`,
  );
  out.push(
    `- Nodes: ${c.nodes}, ~${c.labelsPerNode.toFixed(1)} labels each; ${c.facts.wasmtime} labelled wasmtime-enabled=yes, ${c.facts.spin} spin-enabled=yes; ` +
      `${c.facts.tainted} with taints, ${c.facts.notReady} NotReady, ${c.facts.cordoned} cordoned; 50 status.images each.`,
  );
  out.push(
    `- Average Node JSON size: **${r.list.avgItemBytes.toFixed(0)} bytes as served by the API server** ` +
      `(of which metadata.managedFields ${r.list.avgManagedFieldsBytes.toFixed(0)}, status.images ${r.list.avgImagesBytes.toFixed(0)}); ` +
      `${c.avgPostedBytes.toFixed(0)} bytes as posted. A paginated list (${r.list.pages} pages of ${r.settings.pageSize}) is ` +
      `${mib(r.list.responseBytes)} and the API server took ${r.list.fetchMs.toFixed(0)} ms to serve it (requests only, no parsing).`,
  );
  out.push(
    `- Creation: ${c.nodes} Nodes POSTed in ${(c.ms / 1000).toFixed(1)} s (${c.perSecond.toFixed(0)}/s). ` +
      (c.statusSurvivedCreate
        ? 'status survived the create (checked with a GET), so no /status PATCH was needed.'
        : 'status was dropped on create, so it was written with a merge PATCH of /status.') +
      ` RuntimeClasses: ${c.runtimeClasses.join(', ')}.`,
  );
  if (r.controlPlane.apiServerExtraArgs.length > 0) {
    out.push(
      `- kube-apiserver ran with \`${r.controlPlane.apiServerExtraArgs.join(' ')}\`: without a node lifecycle controller nothing would remove the ` +
        '`node.kubernetes.io/not-ready` taint that plugin adds on create; the NotReady/cordoned nodes carry the taints that controller would set.',
    );
  }
  out.push('');
  out.push('## Goals from the issue');
  out.push('');
  if (r.settings.nodes !== 5000) out.push(`_Note: the goals are stated for 5,000 nodes; this run used ${r.settings.nodes}._\n`);
  out.push(goalTable(r.goals));
  out.push('');
  for (const s of r.summaries) {
    const set = r.sets.find((x) => x.runner === s.runner)!;
    out.push(
      `## Memory and sync time (${s.runner === 'tsx' ? 'workers run with tsx' : 'workers compiled with esbuild, run with plain node'})`,
    );
    out.push('');
    out.push('Each measurement is a separate process; RSS and heapUsed are read after two forced GCs.');
    out.push('');
    out.push(
      Object.entries(set.commands)
        .map(([k, v]) => `- ${k}: \`${v}\``)
        .join('\n'),
    );
    out.push('');
    out.push(memoryTable(s, r.settings.leanRuns));
    out.push('');
    out.push('Where the RSS is (from `/proc/self/smaps` and `v8.getHeapStatistics()`; in brackets: over the baseline):');
    out.push('');
    out.push(rssBreakdownTable(set));
    out.push('');
  }
  for (const s of r.summaries) {
    if (s.decisions === undefined) continue;
    out.push(
      `## Decision latency (${s.runner}; \`validate()\`, ${Object.values(s.decisions)[0]!.validateIndex.iterations} timed calls per RuntimeClass after 2,000 warm-up calls, µs)`,
    );
    out.push('');
    out.push(
      'A Wasm pod asking for each RuntimeClass, decided against the live cache of ' +
        `${r.settings.nodes} nodes. "no-index" is the same \`validate()\` over a ClusterState whose ` +
        '`nodesMatching`/`countWithLabel` scan every node instead of using the label index.',
    );
    out.push('');
    out.push(decisionTable(s));
    out.push('');
    out.push(
      'Where the tail comes from (index decision): garbage collections during the timed calls (observed with a `PerformanceObserver`), and JIT warm-up still going on in the first 10% of the timed calls. What remains is the OS scheduler: 2 CPUs are shared with kube-apiserver and etcd.',
    );
    out.push('');
    out.push(tailTable(s));
    out.push('');
    out.push(
      'The placement question alone ("is there a node this pod may use?" — selector, required affinity, taints, cordons, Ready, handlers): the search over the scheduling index (`usableNode`, src/scheduling/search.ts) vs. a linear scan over all nodes with the same per-node check (src/scheduling/fit.ts). Both stop at the first usable node.',
    );
    out.push('');
    out.push(questionTable(s));
    out.push('');
  }
  out.push('## Observations');
  out.push('');
  for (const line of observations(r)) out.push(`- ${line}`);
  out.push('');
  return out.join('\n');
}
