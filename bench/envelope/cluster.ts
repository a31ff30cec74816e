/**
 * Filling the API server for the scalability envelope: namespaces, Pods (a third of them Wasm),
 * and the churn of creates and deletes at a fixed rate. Pods are bench/transport/pods.ts's
 * ReplicaSet pod (about 6 KB as stored, with managedFields); no scheduler runs, so they stay
 * Pending and a delete removes them at once.
 */
import { type ApiClient, pool } from '../api.js';
import { makePod, POD_SIZES, RUNTIME_ANNOTATION } from '../transport/pods.js';

export const NAMESPACES = 50;
/** the Wasm RuntimeClasses pods use, alternately (bench/shared.ts creates them) */
export const WASM_CLASSES = ['wasm1', 'spin'] as const;

export const namespaceOf = (i: number): string => `team-${String(i % NAMESPACES).padStart(2, '0')}`;

function template(rc: string | undefined): string {
  const pod = makePod(POD_SIZES[0]!, false) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
  const meta = pod.metadata;
  delete meta['generateName'];
  meta['name'] = '@NAME@';
  meta['namespace'] = '@NS@';
  const annotations = { ...(meta['annotations'] as Record<string, string>) };
  if (rc !== undefined) {
    annotations[RUNTIME_ANNOTATION] = rc;
    pod.spec['runtimeClassName'] = rc;
  } else {
    delete annotations[RUNTIME_ANNOTATION];
  }
  meta['annotations'] = annotations;
  return JSON.stringify(pod);
}

const TEMPLATES = new Map<string | undefined, string>([undefined, ...WASM_CLASSES].map((rc) => [rc, template(rc)]));

/** Pod i: every third one is a Wasm pod (runtimeClassName and the annotation), alternately wasm1 and spin. */
export function envelopePod(i: number, prefix = 'p'): { body: string; rc: string | undefined; ns: string; name: string } {
  const ns = namespaceOf(i);
  const name = `${prefix}-${i}`;
  const rc = i % 3 === 0 ? WASM_CLASSES[(i / 3) % 2]! : undefined;
  return { body: TEMPLATES.get(rc)!.replace('@NAME@', name).replace('@NS@', ns), rc, ns, name };
}

export async function createNamespaces(api: ApiClient): Promise<void> {
  for (let n = 0; n < NAMESPACES; n++) {
    await api.must(
      'POST',
      '/api/v1/namespaces',
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespaceOf(n) } },
      undefined,
      [201, 409],
    );
  }
}

export interface PodCreation {
  pods: number;
  wasm: Record<string, number>;
  ms: number;
  perSecond: number;
  avgPostedBytes: number;
}

export async function createPods(
  api: ApiClient,
  count: number,
  concurrency: number,
  progress: (line: string) => void,
): Promise<PodCreation> {
  const started = Date.now();
  const wasm: Record<string, number> = {};
  let bytes = 0;
  let done = 0;
  let last = Date.now();
  await pool(count, concurrency, async (i) => {
    const p = envelopePod(i);
    bytes += p.body.length;
    if (p.rc !== undefined) wasm[p.rc] = (wasm[p.rc] ?? 0) + 1;
    await api.must('POST', `/api/v1/namespaces/${p.ns}/pods`, p.body, undefined, [201]);
    done++;
    if (Date.now() - last > 10_000) {
      last = Date.now();
      progress(`created ${done}/${count} pods (${((done * 1000) / (Date.now() - started)).toFixed(0)}/s)`);
    }
  });
  const ms = Date.now() - started;
  return { pods: count, wasm, ms, perSecond: (count * 1000) / ms, avgPostedBytes: bytes / count };
}

export interface ChurnResult {
  seconds: number;
  creates: number;
  deletes: number;
  failed: number;
  /** achieved creates+deletes per second */
  perSecond: number;
  /** Wasm pods per class, after the churn (what wasmgate must count) */
  wasm: Record<string, number>;
}

/**
 * `rate` creates and `rate` deletes per second for `seconds`: new pods `prefix-k` are created, and
 * the oldest live pods (the pre-created ones from index `deleteFrom` upwards, then earlier churn
 * pods) are deleted, so the total stays about the same. Issued in ticks of 50 ms.
 */
export async function churn(
  api: ApiClient,
  opts: { rate: number; seconds: number; prefix: string; deleteFrom: number; wasm: Record<string, number> },
): Promise<ChurnResult & { nextDelete: number }> {
  const wasm = { ...opts.wasm };
  const tickMs = 50;
  const perTick = (opts.rate * tickMs) / 1000;
  const ticks = Math.round((opts.seconds * 1000) / tickMs);
  let creates = 0;
  let deletes = 0;
  let failed = 0;
  let owed = 0;
  let nextDelete = opts.deleteFrom;
  let k = 0;
  const inflight = new Set<Promise<void>>();
  const track = (p: Promise<void>): void => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };
  const started = Date.now();
  for (let t = 0; t < ticks; t++) {
    owed += perTick;
    while (owed >= 1) {
      owed -= 1;
      const c = envelopePod(k++, opts.prefix);
      track(
        api.must('POST', `/api/v1/namespaces/${c.ns}/pods`, c.body, undefined, [201]).then(
          () => {
            creates++;
            if (c.rc !== undefined) wasm[c.rc] = (wasm[c.rc] ?? 0) + 1;
          },
          () => void failed++,
        ),
      );
      const d = envelopePod(nextDelete++);
      track(
        api.must('DELETE', `/api/v1/namespaces/${d.ns}/pods/${d.name}`, undefined, undefined, [200, 202]).then(
          () => {
            deletes++;
            if (d.rc !== undefined) wasm[d.rc] = (wasm[d.rc] ?? 0) - 1;
          },
          () => void failed++,
        ),
      );
    }
    const due = started + (t + 1) * tickMs;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await Promise.all(inflight);
  const seconds = (Date.now() - started) / 1000;
  return { seconds, creates, deletes, failed, perSecond: (creates + deletes) / seconds, wasm, nextDelete };
}

export interface RawList {
  path: string;
  pageSize: number;
  items: number;
  pages: number;
  /** time in the requests alone (response bodies read, not parsed): the API server's share */
  fetchMs: number;
  bytes: number;
}

/** A bare paginated list, as the live source does it but without parsing the items. */
export async function rawList(api: ApiClient, path: string, pageSize: number): Promise<RawList> {
  let cont: string | undefined;
  let items = 0;
  let pages = 0;
  let bytes = 0;
  let fetchMs = 0;
  do {
    const q = new URLSearchParams({ limit: String(pageSize) });
    if (cont !== undefined) q.set('continue', cont);
    const t0 = performance.now();
    const res = await api.must('GET', `${path}?${q}`);
    fetchMs += performance.now() - t0;
    bytes += res.body.length;
    pages++;
    // the continue token and the item count, without parsing megabytes of items
    const tail = res.body.slice(-600);
    cont = /"continue":"([^"]+)"/.exec(res.body.slice(0, 400))?.[1] ?? /"continue":"([^"]+)"/.exec(tail)?.[1];
    items += (res.body.match(/"kind":"Pod"|"kind":"Node"/g) ?? []).length;
  } while (cont !== undefined);
  return { path, pageSize, items, pages, fetchMs, bytes };
}
