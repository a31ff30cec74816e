/**
 * lean: wasmgate's live source (startLiveState, pods not tracked). Reports the time from start to
 * `synced`, RSS and heapUsed after two GCs, and (when BENCH_DECISIONS=1) decision latency:
 *
 * - validate(): the full admission decision for a Wasm pod per RuntimeClass, 20,000 timed calls
 *   after 2,000 warm-up calls, each timed with process.hrtime.bigint();
 * - the same decision with the label index replaced by a linear scan (ScanState): what the
 *   decision would cost without the index;
 * - the bare selector question ("is there a Ready, schedulable node matching the selector whose
 *   taints are tolerated?") answered by the index (firstUsableNode) and by a linear scan over all
 *   nodes checking labels, Ready, unschedulable and taints.
 *
 * The rule engine is imported only after the memory measurement, so the memory figure is the
 * cache's alone over the same module set as the baseline worker.
 */
import { performance, PerformanceObserver } from 'node:perf_hooks';
import type { ClusterState, Labels, NodeInfo, RuntimeClassInfo, SyncStatus, Toleration } from '../src/cluster/types.js';
import type { MemoryState } from '../src/cluster/memory-state.js';
import { RUNTIME_CLASSES, type DecisionResult, type LatencyStats, type LeanResult } from './shared.js';
import { gcTwice, log, memory, modules, runWorker, workerArgs } from './worker-common.js';

const WARMUP = 2_000;
const ITERATIONS = 20_000;

function stats(samples: Float64Array): LatencyStats {
  if (samples.length === 0) return { iterations: 0, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  const r = (v: number): number => Math.round(v * 1000) / 1000;
  return {
    iterations: sorted.length,
    p50: r(at(0.5)),
    p90: r(at(0.9)),
    p99: r(at(0.99)),
    p999: r(at(0.999)),
    max: r(sorted[sorted.length - 1]!),
    mean: r(sum / sorted.length),
  };
}

let sink = 0;

/** GCs seen by a PerformanceObserver (delivered asynchronously, hence the awaits in measure()). */
const gcs: { startNs: number; endNs: number; kind: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const startNs = e.startTime * 1e6;
    gcs.push({ startNs, endNs: startNs + e.duration * 1e6, kind: (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0 });
  }
}).observe({ entryTypes: ['gc'] });

/** hrtime.bigint() → ns on performance.now()'s timeline (both read the same monotonic clock) */
const hrToPerfNs = (hr: bigint, offset: number): number => Number(hr) + offset;

/**
 * Time `fn` ITERATIONS times after WARMUP calls; µs per call. Also reports which timed calls
 * overlapped a garbage collection (and the percentiles without them), so tails can be attributed.
 */
async function measure(fn: () => unknown): Promise<LatencyStats> {
  for (let i = 0; i < WARMUP; i++) if (fn()) sink++;
  await new Promise((r) => setImmediate(r));
  gcs.length = 0;
  const offset = performance.now() * 1e6 - Number(process.hrtime.bigint());
  const samples = new Float64Array(ITERATIONS);
  const starts = new Float64Array(ITERATIONS);
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = process.hrtime.bigint();
    const v = fn();
    const t1 = process.hrtime.bigint();
    if (v) sink++;
    samples[i] = Number(t1 - t0) / 1000;
    starts[i] = hrToPerfNs(t0, offset);
  }
  await new Promise((r) => setTimeout(r, 20));
  const windows = gcs.splice(0);
  const clean: number[] = [];
  let gcHit = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const a = starts[i]!;
    const b = a + samples[i]! * 1000;
    // 2 µs of slack for the clock offset estimate
    if (windows.some((w) => w.startNs <= b + 2_000 && w.endNs >= a - 2_000)) gcHit++;
    else clean.push(samples[i]!);
  }
  const all = stats(samples);
  const noGc = stats(Float64Array.from(clean));
  const firstTenth = stats(samples.subarray(0, ITERATIONS / 10));
  return {
    ...all,
    gc: {
      collections: windows.length,
      totalMs: Math.round(windows.reduce((t, w) => t + (w.endNs - w.startNs), 0) / 1e4) / 100,
      maxMs: Math.round(Math.max(0, ...windows.map((w) => w.endNs - w.startNs)) / 1e4) / 100,
      callsOverlapping: gcHit,
      withoutThem: { p50: noGc.p50, p99: noGc.p99, max: noGc.max },
    },
    firstTenth: { p50: firstTenth.p50, p99: firstTenth.p99, max: firstTenth.max },
  };
}

/** A ClusterState that answers selector questions by scanning every node: the no-index baseline. */
class ScanState implements ClusterState {
  readonly kind: 'snapshot' | 'live';
  constructor(private readonly s: MemoryState) {
    this.kind = s.kind;
  }
  status(): SyncStatus {
    return this.s.status();
  }
  getRuntimeClass(name: string): RuntimeClassInfo | undefined {
    return this.s.getRuntimeClass(name);
  }
  listRuntimeClasses(): readonly RuntimeClassInfo[] {
    return this.s.listRuntimeClasses();
  }
  getNode(name: string): NodeInfo | undefined {
    return this.s.getNode(name);
  }
  nodeCount(): number {
    return this.s.nodeCount();
  }
  *nodesMatching(selector: Labels): Iterable<NodeInfo> {
    const pairs = Object.entries(selector);
    for (const n of this.s.index.all()) {
      if (pairs.every(([k, v]) => n.labels[k] === v)) yield n;
    }
  }
  countWithLabel(key: string, value: string): number {
    let c = 0;
    for (const n of this.s.index.all()) if (n.labels[key] === value) c++;
    return c;
  }
  podsUsingRuntimeClass(name: string): number | undefined {
    return this.s.podsUsingRuntimeClass(name);
  }
}

/**
 * Stop the live source, catching what it throws asynchronously while stopping (an unhandled
 * 'error' event would otherwise kill the worker before it reports): the errors are reported.
 */
async function stopGuarded(stop: () => Promise<void>): Promise<string[]> {
  const errors: string[] = [];
  const onError = (err: unknown): void => {
    errors.push(err instanceof Error ? `${err.name}: ${err.message}${(err as NodeJS.ErrnoException).code ? ` (${(err as NodeJS.ErrnoException).code})` : ''}` : String(err));
  };
  process.on('uncaughtException', onError);
  try {
    await Promise.race([stop(), new Promise((r) => setTimeout(r, 3_000))]);
    await new Promise((r) => setTimeout(r, 200));
  } catch (err) {
    onError(err);
  } finally {
    process.off('uncaughtException', onError);
  }
  if (errors.length > 0) log(`lean: stopping the live source raised: ${errors.join('; ')}`);
  return errors;
}

runWorker(async () => {
  const { kubeconfig, expectNodes } = workerArgs();
  const kc = modules.live.loadKubeConfig(kubeconfig);
  const logs: string[] = [];
  const started = process.hrtime.bigint();
  const source = modules.live.startLiveState({
    kubeconfig: kc,
    trackPods: false,
    log: (line) => {
      logs.push(line);
      log(`lean: ${line}`);
    },
  });
  await source.synced;
  const syncMs = Number(process.hrtime.bigint() - started) / 1e6;
  const state = source.state;
  if (expectNodes >= 0 && state.nodeCount() !== expectNodes) {
    throw new Error(`lean: synced with ${state.nodeCount()} nodes, expected ${expectNodes}`);
  }
  log(`lean: synced ${state.nodeCount()} nodes, ${state.listRuntimeClasses().length} RuntimeClasses in ${syncMs.toFixed(0)} ms`);

  await gcTwice();
  const mem = memory();

  const result: LeanResult & { sink?: number } = {
    kind: 'lean',
    syncMs,
    nodes: state.nodeCount(),
    runtimeClasses: state.listRuntimeClasses().length,
    labelled: { wasmtime: state.countWithLabel('wasmtime-enabled', 'yes'), spin: state.countWithLabel('spin-enabled', 'yes') },
    logs,
    memory: mem,
  };

  if (process.env['BENCH_DECISIONS'] === '1') {
    // imported only now: the memory figure above covers the same modules as the baseline worker
    const { validate } = await import('../src/decide/engine.js');
    const { parseConfig } = await import('../src/config/config.js');
    const { firstUsableNode, placementFor, whyUnusable } = await import('../src/decide/placement.js');
    const { podTarget } = await import('../src/decide/targets.js');
    const { kindNamed } = await import('../src/kinds/registry.js');
    const { podObject, request } = await import('../test/harness/fixtures.js');
    const config = parseConfig({});
    const scan = new ScanState(state);
    const ctx = { state, config };
    const scanCtx = { state: scan, config };

    const scanFirstUsable = (selector: Labels, tols: readonly Toleration[]): NodeInfo | undefined => {
      const pairs = Object.entries(selector);
      for (const n of state.index.all()) {
        let match = true;
        for (const [k, v] of pairs) {
          if (n.labels[k] !== v) {
            match = false;
            break;
          }
        }
        if (match && whyUnusable(n, tols, ctx) === undefined) return n;
      }
      return undefined;
    };

    const decisions: Record<string, DecisionResult> = {};
    for (const c of RUNTIME_CLASSES) {
      const rc = state.getRuntimeClass(c.name);
      if (rc === undefined) throw new Error(`RuntimeClass ${c.name} is not in the cache`);
      const pod = podObject({ name: `bench-${c.name}`, spec: { runtimeClassName: c.name } });
      const req = request(pod);
      const first = validate(req, state, config);
      const firstScan = validate(req, scan, config);
      if (first.allowed !== c.expectAllowed) {
        throw new Error(`decision for ${c.name}: allowed=${first.allowed}, expected ${c.expectAllowed}: ${first.message ?? ''}`);
      }
      if (firstScan.allowed !== first.allowed || firstScan.message !== first.message) {
        throw new Error(`scan decision for ${c.name} differs from the index decision`);
      }
      const target = podTarget(kindNamed('Pod'), pod, {})!;
      const p = placementFor(target, rc);
      const viaIndex = firstUsableNode(p.selector, p.tolerations, ctx);
      const viaScan = scanFirstUsable(p.selector, p.tolerations);
      if ((viaIndex === undefined) !== (viaScan === undefined)) throw new Error(`index and scan disagree for ${c.name}`);

      log(`lean: timing decisions for RuntimeClass ${c.name}`);
      const validateIndex = await measure(() => validate(req, state, config).allowed);
      const validateScan = await measure(() => validate(req, scan, config).allowed);
      const questionIndex = await measure(() => firstUsableNode(p.selector, p.tolerations, ctx));
      const questionScan = await measure(() => scanFirstUsable(p.selector, p.tolerations));
      // the scan state's own question, for completeness (same as questionScan but through the generator)
      const questionScanState = await measure(() => firstUsableNode(p.selector, p.tolerations, scanCtx));
      decisions[c.name] = {
        selector: { ...p.selector },
        allowed: first.allowed,
        message: first.message ?? null,
        matchingNodes: [...state.nodesMatching(p.selector)].length,
        validateIndex,
        validateScan,
        questionIndex,
        questionScan,
        questionScanState,
      };
    }
    result.decisions = decisions;
    result.sink = sink;
  }
  result.stopErrors = await stopGuarded(() => source.stop());
  return result;
});
