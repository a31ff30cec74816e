/**
 * Runs parity cases against a real control plane (kube-apiserver + kube-scheduler) in batches:
 * RuntimeClasses, then Nodes (status included in the create; TaintNodesByCondition is disabled so
 * nothing rewrites the taints), then a barrier Node and a pod pinned to it: once that pod is
 * bound, kube-scheduler has seen every Node of the batch (one ordered watch). Then the pods, all
 * at once; each ends bound (spec.nodeName) or with PodScheduled=False reason Unschedulable (the
 * same failure handler records the FailedScheduling event). Each batch is deleted afterwards so the
 * scheduler never retries old pods.
 */
import { adminClient, type ApiClient, ApiError, pool } from '../../bench/api.js';
import type { ControlPlane } from '../../src/controlplane/index.js';
import type { ParityCase } from './cases.js';
import {
  BATCH_LABEL,
  CASE_LABEL,
  classOf,
  NAMESPACE,
  nodeObject,
  podObject,
  podSpec,
  runtimeClassObject,
  schedulerSpec,
} from './objects.js';
import { schedNodeOf, verdictFor, type Verdict } from './verdict.js';

export type Outcome = { kind: 'bound'; node: string } | { kind: 'unschedulable'; message: string } | { kind: 'rejected'; message: string };

export interface PodResult {
  caseId: string;
  pod: string;
  verdict: Verdict;
  /** the scheduler on the pod (or its nodeName twin) */
  sched: Outcome;
  /** the scheduler on the pod kept off nodes lacking the handler (same as sched when none lack it) */
  handler: Outcome;
  /** conflict agreement, scheduler agreement, kubelet-handler agreement */
  agree: { conflict: boolean; sched: boolean; handler: boolean };
}

export interface ParityReport {
  cases: number;
  pods: number;
  results: PodResult[];
  disagreements: PodResult[];
  /** pods the API server refused for a reason other than a selector conflict (generator bugs) */
  otherRejections: PodResult[];
  seconds: number;
}

function client(cp: ControlPlane): ApiClient {
  return adminClient(cp, { maxSockets: 16 });
}

interface RawPod {
  metadata: { name: string };
  spec: { nodeName?: string };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

function outcomeOf(p: RawPod): Outcome | undefined {
  if (p.spec.nodeName !== undefined && p.spec.nodeName !== '') return { kind: 'bound', node: p.spec.nodeName };
  const c = p.status?.conditions?.find((x) => x.type === 'PodScheduled');
  if (c?.status === 'False' && c.reason === 'Unschedulable') return { kind: 'unschedulable', message: c.message ?? '' };
  return undefined;
}

async function createPod(api: ApiClient, obj: object): Promise<Outcome | undefined> {
  try {
    await api.must('POST', `/api/v1/namespaces/${NAMESPACE}/pods`, obj);
    return undefined;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 422 || err.status === 400))
      return { kind: 'rejected', message: err.message };
    throw err;
  }
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function runBatch(api: ApiClient, cases: ParityCase[], batch: string): Promise<PodResult[]> {
  const sel = encodeURIComponent(`${BATCH_LABEL}=${batch}`);
  await pool(cases.flatMap((c) => c.classes).length, 16, async (i) => {
    await api.must('POST', '/apis/node.k8s.io/v1/runtimeclasses', runtimeClassObject(cases.flatMap((c) => c.classes)[i]!, batch));
  });
  const nodes = cases.flatMap((c) => c.nodes.map((n) => nodeObject(n, c.id, batch)));
  await pool(nodes.length, 16, async (i) => void (await api.must('POST', '/api/v1/nodes', nodes[i])));
  // the barrier: created last, so binding to it proves the scheduler has seen the batch's nodes
  const barrier = `barrier-${batch}`;
  await api.must(
    'POST',
    '/api/v1/nodes',
    nodeObject({ name: barrier, labels: { barrier }, taints: [], ready: true, unschedulable: false, runtimeHandlers: [] }, barrier, batch),
  );
  await api.must(
    'POST',
    `/api/v1/namespaces/${NAMESPACE}/pods`,
    podObject(
      barrier,
      { nodeSelector: { barrier }, tolerations: [{ operator: 'Exists' }], containers: [{ name: 'app', image: 'registry.invalid/x:1' }] },
      barrier,
      batch,
    ),
  );
  await waitFor(
    `the barrier pod ${barrier} to be bound`,
    async () =>
      (await api.json<RawPod>('GET', `/api/v1/namespaces/${NAMESPACE}/pods/${barrier}`)).spec.nodeName === barrier ? true : undefined,
    120_000,
  );

  // the nodes as the API server serves them, per case
  const served = await api.json<{ items: Parameters<typeof schedNodeOf>[0][] }>('GET', `/api/v1/nodes?labelSelector=${sel}`);
  const byCase = new Map<string, ReturnType<typeof schedNodeOf>[]>();
  const rawByCase = new Map<string, unknown[]>();
  for (const raw of served.items) {
    const id = raw.metadata?.labels?.[CASE_LABEL] ?? '';
    byCase.set(id, [...(byCase.get(id) ?? []), schedNodeOf(raw)]);
    rawByCase.set(id, [...(rawByCase.get(id) ?? []), raw]);
  }

  interface Pending {
    c: ParityCase;
    pod: string;
    verdict: Verdict;
    schedName: string;
    handlerName: string;
    created: Map<string, Outcome | undefined>;
  }
  const pending: Pending[] = [];
  const toCreate: [string, object][] = [];
  for (const c of cases) {
    for (const p of c.pods) {
      const spec = podSpec(p, c.id);
      const verdict = verdictFor(byCase.get(c.id) ?? [], spec, classOf(c, p.runtimeClassName), rawByCase.get(c.id) ?? []);
      const schedName = `${p.name}-s`;
      const handlerName = verdict.lackingHandler.length > 0 ? `${p.name}-h` : schedName;
      toCreate.push([schedName, podObject(schedName, schedulerSpec(spec), c.id, batch)]);
      if (handlerName !== schedName)
        toCreate.push([handlerName, podObject(handlerName, schedulerSpec(spec, verdict.lackingHandler), c.id, batch)]);
      pending.push({ c, pod: p.name, verdict, schedName, handlerName, created: new Map() });
    }
  }
  const rejected = new Map<string, Outcome>();
  await pool(toCreate.length, 16, async (i) => {
    const [name, obj] = toCreate[i]!;
    const r = await createPod(api, obj);
    if (r !== undefined) rejected.set(name, r);
  });
  const expected = toCreate.map(([n]) => n).filter((n) => !rejected.has(n));
  const outcomes = await waitFor(
    `${expected.length} pods of batch ${batch} to be bound or unschedulable`,
    async () => {
      const list = await api.json<{ items: RawPod[] }>('GET', `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${sel}`);
      const got = new Map<string, Outcome>();
      for (const p of list.items) {
        const o = outcomeOf(p);
        if (o !== undefined) got.set(p.metadata.name, o);
      }
      return expected.every((n) => got.has(n)) ? got : undefined;
    },
    300_000,
  );
  const outcome = (name: string): Outcome => rejected.get(name) ?? outcomes.get(name)!;

  const results = pending.map((p): PodResult => {
    const sched = outcome(p.schedName);
    const handler = outcome(p.handlerName);
    const ok = (o: Outcome, want: boolean): boolean => (o.kind === 'rejected' ? p.verdict.conflict : (o.kind === 'bound') === want);
    return {
      caseId: p.c.id,
      pod: p.pod,
      verdict: p.verdict,
      sched,
      handler,
      agree: {
        conflict: (sched.kind === 'rejected') === p.verdict.conflict,
        sched: p.verdict.conflict ? true : ok(sched, p.verdict.schedulable),
        handler: p.verdict.conflict ? true : ok(handler, p.verdict.runnable),
      },
    };
  });

  // clean up: pods at once (no kubelet: force), then nodes and classes
  await api.must('DELETE', `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${sel}&gracePeriodSeconds=0`, undefined, undefined, [200]);
  await api.must('DELETE', `/api/v1/nodes?labelSelector=${sel}`, undefined, undefined, [200]);
  await api.must('DELETE', `/apis/node.k8s.io/v1/runtimeclasses?labelSelector=${sel}`, undefined, undefined, [200]);
  return results;
}

/** Runs `cases` in batches of `batchSize`; reports every pod's verdicts and outcomes. */
export async function runParity(
  cp: ControlPlane,
  cases: ParityCase[],
  batchSize = 50,
  log: (s: string) => void = () => undefined,
): Promise<ParityReport> {
  const t0 = Date.now();
  const api = client(cp);
  try {
    const ns = await api.request('POST', `/api/v1/namespaces`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    if (ns.status !== 201 && ns.status !== 409) throw new Error(`creating namespace ${NAMESPACE}: HTTP ${ns.status} ${ns.body}`);
    const results: PodResult[] = [];
    for (let b = 0; b * batchSize < cases.length; b++) {
      const batch = cases.slice(b * batchSize, (b + 1) * batchSize);
      results.push(...(await runBatch(api, batch, `b${b}`)));
      log(`batch ${b}: ${batch.length} cases, ${results.length} pods so far, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    const disagreements = results.filter((r) => !r.agree.conflict || !r.agree.sched || !r.agree.handler);
    const otherRejections = results.filter((r) => (r.sched.kind === 'rejected' || r.handler.kind === 'rejected') && !r.verdict.conflict);
    return { cases: cases.length, pods: results.length, results, disagreements, otherRejections, seconds: (Date.now() - t0) / 1000 };
  } finally {
    api.close();
  }
}
