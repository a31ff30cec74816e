/**
 * Write the audit's reports to the cluster: create what is new, update what changed (guarded by
 * resourceVersion), delete wasmgate's reports that have no result any more. Only reports labelled
 * app.kubernetes.io/managed-by=wasmgate are ever updated or deleted; a foreign object with the
 * same name is left alone and named in the outcome. A report whose results are unchanged is not
 * written (results keep their first-seen timestamps), so a steady cluster costs two list calls.
 *
 * A namespace that is deleted takes its reports with it (the namespace controller deletes every
 * namespaced object); one that still exists but has no finding any more loses wasmgate's report here.
 */
import { isRecord, str } from '../objects/json.js';
import { expectOk, statusMessage, type KubeClient } from './http.js';
import {
  MANAGED_BY,
  MANAGED_BY_LABEL,
  REPORT_APIS,
  buildReports,
  firstSeenOf,
  reportKinds,
  type PolicyReportObject,
  type ReportApi,
  type ReportableFinding,
} from './policy-report.js';

export type ReportApiChoice = ReportApi | 'auto';

/**
 * The report API to write: the one asked for, or with 'auto' whichever the cluster serves
 * (discovery, GET /apis); wgpolicyk8s.io when both are, since that is what most readers take today.
 */
export async function chooseReportApi(client: KubeClient, choice: ReportApiChoice): Promise<ReportApi> {
  const r = expectOk('GET', '/apis', await client.request('GET', '/apis'));
  const served = new Set<string>();
  const groups = isRecord(r.body) && Array.isArray(r.body['groups']) ? r.body['groups'] : [];
  for (const g of groups) {
    if (!isRecord(g) || !Array.isArray(g['versions'])) continue;
    for (const v of g['versions']) if (isRecord(v) && str(v['groupVersion']) !== undefined) served.add(str(v['groupVersion'])!);
  }
  if (choice !== 'auto') {
    if (!served.has(choice))
      throw new Error(`the cluster does not serve ${choice}: install its CRDs (deploy/crds/), or choose another report API`);
    return choice;
  }
  const found = REPORT_APIS.find((a) => served.has(a));
  if (found === undefined) {
    throw new Error(
      `the cluster serves neither ${REPORT_APIS.join(' nor ')}: install one of the policy-report CRDs (deploy/crds/) to write reports`,
    );
  }
  return found;
}

export interface WriteOutcome {
  api: ReportApi;
  created: string[];
  updated: string[];
  unchanged: number;
  deleted: string[];
  /** not written, with why (a foreign object of the same name, a namespace being deleted, a conflict) */
  skipped: string[];
  /** results left out of full reports */
  truncated: number;
}

export interface WriteOptions {
  api: ReportApi;
  now: number;
  /** checked before every write: a replica that lost the lease stops writing at once */
  mayWrite?: () => boolean;
}

function key(r: { metadata?: unknown }): string {
  const m = isRecord(r.metadata) ? r.metadata : {};
  return `${str(m['namespace']) ?? ''}/${str(m['name']) ?? ''}`;
}

function basePath(api: ReportApi, namespace: string | undefined): string {
  const k = reportKinds(api);
  return namespace === undefined
    ? `/apis/${api}/${k.cluster.plural}`
    : `/apis/${api}/namespaces/${encodeURIComponent(namespace)}/${k.namespaced.plural}`;
}

function objectPath(api: ReportApi, namespace: string | undefined, name: string): string {
  return `${basePath(api, namespace)}/${encodeURIComponent(name)}`;
}

/** wasmgate's reports of this API in the cluster, namespaced and cluster-scoped. */
export async function listOwnReports(client: KubeClient, api: ReportApi): Promise<Record<string, unknown>[]> {
  const k = reportKinds(api);
  const selector = `labelSelector=${encodeURIComponent(`${MANAGED_BY_LABEL}=${MANAGED_BY}`)}`;
  const out: Record<string, unknown>[] = [];
  for (const plural of [k.namespaced.plural, k.cluster.plural]) {
    let cont: string | undefined;
    do {
      const path = `/apis/${api}/${plural}?${selector}&limit=500${cont === undefined ? '' : `&continue=${encodeURIComponent(cont)}`}`;
      const r = expectOk('GET', path, await client.request('GET', path));
      const body = isRecord(r.body) ? r.body : {};
      for (const item of Array.isArray(body['items']) ? body['items'] : []) if (isRecord(item)) out.push(item);
      cont = isRecord(body['metadata']) ? str(body['metadata']['continue']) || undefined : undefined;
    } while (cont !== undefined);
  }
  return out;
}

const same = (a: PolicyReportObject, b: Record<string, unknown>): boolean =>
  JSON.stringify([a.summary, a.results, a.source]) === JSON.stringify([b['summary'], b['results'] ?? [], b['source']]);

export async function writeReports(client: KubeClient, findings: readonly ReportableFinding[], opts: WriteOptions): Promise<WriteOutcome> {
  const { api } = opts;
  const mayWrite = opts.mayWrite ?? (() => true);
  const existing = await listOwnReports(client, api);
  const byKey = new Map(existing.map((r) => [key(r), r]));
  const built = buildReports(findings, { api, now: opts.now, firstSeen: firstSeenOf(existing) });
  const out: WriteOutcome = { api, created: [], updated: [], unchanged: 0, deleted: [], skipped: [], truncated: 0 };
  for (const n of built.truncated.values()) out.truncated += n;
  for (const desired of built.reports) {
    const k = key(desired);
    const ns = desired.metadata.namespace;
    const name = `${desired.kind} ${k.replace(/^\//, '')}`;
    const current = byKey.get(k);
    byKey.delete(k);
    if (current !== undefined && same(desired, current)) {
      out.unchanged++;
      continue;
    }
    if (!mayWrite()) return out;
    if (current === undefined) {
      const path = basePath(api, ns);
      const r = expectOk('POST', path, await client.request('POST', path, desired), 403, 404, 409);
      if (r.status === 409) out.skipped.push(`${name}: an object of that name exists and is not wasmgate's (${statusMessage(r)})`);
      else if (r.status === 404 || r.status === 403) out.skipped.push(`${name}: ${statusMessage(r)}`);
      else out.created.push(name);
      continue;
    }
    const rv = isRecord(current['metadata']) ? str(current['metadata']['resourceVersion']) : undefined;
    const path = objectPath(api, ns, desired.metadata.name);
    const body = { ...desired, metadata: { ...desired.metadata, ...(rv === undefined ? {} : { resourceVersion: rv }) } };
    const r = expectOk('PUT', path, await client.request('PUT', path, body), 404, 409);
    if (r.status === 409 || r.status === 404)
      out.skipped.push(`${name}: changed meanwhile, written at the next pass (${statusMessage(r)})`);
    else out.updated.push(name);
  }
  for (const [k, stale] of byKey) {
    if (!mayWrite()) return out;
    const [ns, name] = k.split('/', 2) as [string, string];
    const rv = isRecord(stale['metadata']) ? str(stale['metadata']['resourceVersion']) : undefined;
    const path = objectPath(api, ns === '' ? undefined : ns, name);
    const r = await client.request('DELETE', path, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      ...(rv === undefined ? {} : { preconditions: { resourceVersion: rv } }),
    });
    expectOk('DELETE', path, r, 404, 409);
    const kinds = reportKinds(api);
    if (r.status !== 409) out.deleted.push(`${ns === '' ? kinds.cluster.kind : kinds.namespaced.kind} ${k.replace(/^\//, '')}`);
    else out.skipped.push(`${k}: changed meanwhile, deleted at the next pass`);
  }
  return out;
}
