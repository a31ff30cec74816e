/** Extra builders for unit tests, on top of test/harness/fixtures.ts. */
import { MemoryState } from '../../src/cluster/memory-state.js';
import type { ClusterState } from '../../src/cluster/types.js';
import type { Config } from '../../src/config/config.js';
import { podTarget } from '../../src/decide/targets.js';
import type { PodTarget, RuleContext, WasmIntent } from '../../src/decide/types.js';
import { wasmIntent } from '../../src/decide/wasm.js';
import { KINDS, apiVersionOf, kindNamed, type KindRecord } from '../../src/kinds/registry.js';
import { config, podObject, type PodOpts } from '../harness/fixtures.js';

export function ctxOf(state: ClusterState, cfg: Config = config()): RuleContext {
  return { state, config: cfg };
}

/** A Pod's target, built from podObject(). */
export function podT(o: PodOpts = {}): PodTarget {
  const t = podTarget(kindNamed('Pod'), podObject(o), {});
  if (t === undefined) throw new Error('podTarget returned undefined for a Pod');
  return t;
}

/** The pod target of any admitted object; throws when there is none. */
export function targetOf(kind: string, obj: unknown): PodTarget {
  const t = podTarget(kindNamed(kind), obj, {});
  if (t === undefined) throw new Error(`podTarget returned undefined for ${kind}`);
  return t;
}

/** The Wasm intent of a target; throws when the target is not Wasm. */
export function intentOf(t: PodTarget, ctx: RuleContext): WasmIntent {
  const i = wasmIntent(t, ctx);
  if (i === undefined) throw new Error(`${t.kind} ${t.name} is not a Wasm target`);
  return i;
}

/** An intent for a pod that names a RuntimeClass (what validation sees after mutation). */
export function named(runtimeClassName: string): WasmIntent {
  return { runtimeClassName };
}

/** An intent for an annotated pod without runtimeClassName. */
export function annotated(value: string, annotation = 'wasmgate.dev/runtime'): WasmIntent {
  return { annotation, value };
}

/** An empty state that has not synced yet. */
export function unsyncedState(detail = 'waiting for the first list of nodes'): MemoryState {
  const s = new MemoryState('live', detail);
  s.markSynced(false);
  return s;
}

/** Every kind the workloads webhook receives (from the kinds registry). */
export const WORKLOAD_KINDS: readonly string[] = KINDS.filter((k: KindRecord) => k.admission?.webhook === 'workloads').map((k) => k.kind);

/** A raw workload manifest of `kind` whose pod template has podObject(o)'s spec and o.annotations. */
export function workloadObject(kind: string, o: PodOpts = {}): Record<string, unknown> {
  const name = o.name ?? 'app';
  const pod = podObject(o);
  const template = {
    metadata: { labels: { app: name }, ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: pod['spec'],
  };
  const metadata = { name, namespace: o.namespace ?? 'default' };
  const apiVersion = apiVersionOf(kindNamed(kind));
  switch (kind) {
    case 'PodTemplate':
      return { apiVersion, kind, metadata, template };
    case 'CronJob':
      return { apiVersion, kind, metadata, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template } } } };
    case 'Job':
      return { apiVersion, kind, metadata, spec: { backoffLimit: 2, template } };
    case 'DaemonSet':
      return { apiVersion, kind, metadata, spec: { selector: { matchLabels: { app: name } }, template } };
    default:
      return { apiVersion, kind, metadata, spec: { replicas: 2, selector: { matchLabels: { app: name } }, template } };
  }
}

/** The JSON pointer of the pod spec inside each kind. */
export const SPEC_POINTERS: Record<string, string> = {
  Pod: '/spec',
  Deployment: '/spec/template/spec',
  ReplicaSet: '/spec/template/spec',
  StatefulSet: '/spec/template/spec',
  DaemonSet: '/spec/template/spec',
  ReplicationController: '/spec/template/spec',
  Job: '/spec/template/spec',
  CronJob: '/spec/jobTemplate/spec/template/spec',
  PodTemplate: '/template/spec',
};

/** [0, 1, …, n - 1] */
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
