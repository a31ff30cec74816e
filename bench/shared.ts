/** Definitions shared by the runner (bench/run.ts) and the workers; no side effects. */

/** Prefix of the one stdout line carrying a worker's JSON result. */
export const RESULT_MARKER = '@@BENCH_RESULT@@';

/** The RuntimeClasses the benchmark creates, and the decision cases: a Wasm pod asking for each. */
export const RUNTIME_CLASSES = [
  {
    name: 'wasm1',
    handler: 'wasmtime',
    nodeSelector: { 'wasmtime-enabled': 'yes' },
    tolerations: [{ key: 'wasm', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
    expectAllowed: true,
  },
  { name: 'spin', handler: 'spin', nodeSelector: { 'spin-enabled': 'yes' }, tolerations: [], expectAllowed: true },
  {
    name: 'wasmedge-unmatched',
    handler: 'wasmedge',
    nodeSelector: { 'wasmedge-enabled': 'yes' },
    tolerations: [],
    expectAllowed: false,
  },
] as const;

/**
 * Pods with required node affinity and tolerations, decided against the classes above (issue 11:
 * "decision p99 with affinity and tolerations in the mix"). Zones are bench/nodes.ts's.
 */
export const POD_CASES = [
  {
    name: 'wasm1 + affinity + tolerations',
    runtimeClass: 'wasm1',
    spec: {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['eu-west-1a', 'eu-west-1b'] },
                  { key: 'kubernetes.io/arch', operator: 'NotIn', values: ['s390x'] },
                ],
              },
            ],
          },
        },
      },
      tolerations: [{ key: 'maintenance', operator: 'Exists', effect: 'NoSchedule' }],
    },
    expectAllowed: true,
  },
  {
    name: 'spin + NotIn-only affinity',
    runtimeClass: 'spin',
    spec: {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'NotIn', values: ['eu-west-1c'] }] }],
          },
        },
      },
      tolerations: [{ operator: 'Exists', effect: 'NoExecute' }],
    },
    expectAllowed: true,
  },
  {
    name: 'wasm1 + affinity excluding every Wasm node',
    runtimeClass: 'wasm1',
    spec: {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['us-east-1a'] }] }],
          },
        },
      },
    },
    expectAllowed: false,
  },
] as const;

export interface LatencyStats {
  iterations: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  /** garbage collections during the timed calls, and the figures without the calls they overlapped */
  gc?: {
    collections: number;
    totalMs: number;
    maxMs: number;
    callsOverlapping: number;
    withoutThem: { p50: number; p99: number; max: number };
  };
  /** the first 10% of the timed calls (still warming up?) */
  firstTenth?: { p50: number; p99: number; max: number };
}

export interface MemorySample {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  /** peak RSS of the process so far (getrusage maxrss) */
  maxRssBytes: number;
  detail?: MemoryDetail;
}

export interface MemoryDetail {
  /** resident bytes by kind of mapping (/proc/self/smaps) */
  mappings: Record<string, { count: number; rss: number }>;
  /** v8.getHeapStatistics(): physical size of the JS heap, V8's own malloc'd memory, external memory */
  v8TotalPhysical: number;
  v8Malloced: number;
  v8PeakMalloced: number;
  v8External: number;
  /** per V8 heap space: committed, physically resident, used */
  spaces: Record<string, { committed: number; physical: number; used: number }>;
  /** /proc/self/smaps_rollup (bytes): Rss, Anonymous, Pss_File, ... */
  kernel: Record<string, number>;
}

export interface DecisionResult {
  selector: Record<string, string>;
  allowed: boolean;
  message: string | null;
  matchingNodes: number;
  validateIndex: LatencyStats;
  validateScan: LatencyStats;
  questionIndex: LatencyStats;
  questionScan: LatencyStats;
  questionScanState: LatencyStats;
}

export interface BaselineResult {
  kind: 'baseline';
  memory: MemorySample;
}

export interface LeanResult {
  kind: 'lean';
  syncMs: number;
  nodes: number;
  runtimeClasses: number;
  labelled: { wasmtime: number; spin: number };
  logs: string[];
  memory: MemorySample;
  decisions?: Record<string, DecisionResult>;
  /** errors thrown asynchronously while stopping the live source (should be none) */
  stopErrors?: string[];
}

export interface FullResult {
  kind: 'full';
  syncMs: number;
  startResolvedMs: number;
  nodes: number;
  runtimeClasses: number;
  sampleImages: number;
  errors: string[];
  memory: MemorySample;
}
