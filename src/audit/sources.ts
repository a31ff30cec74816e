/** Where `wasmgate audit` reads existing objects from: snapshot files, or a live cluster listing. */
import type { ApiAccess } from '../cluster/kubeconfig.js';
import { getJson } from '../cluster/live.js';
import { isRecord, str } from '../cluster/lean.js';

/** Everything the audit looks at, by list path and the kind of its items. */
export const AUDITED_LISTS: readonly [string, string][] = [
  ['/api/v1/pods', 'Pod'],
  ['/api/v1/podtemplates', 'PodTemplate'],
  ['/api/v1/replicationcontrollers', 'ReplicationController'],
  ['/apis/apps/v1/deployments', 'Deployment'],
  ['/apis/apps/v1/replicasets', 'ReplicaSet'],
  ['/apis/apps/v1/statefulsets', 'StatefulSet'],
  ['/apis/apps/v1/daemonsets', 'DaemonSet'],
  ['/apis/batch/v1/jobs', 'Job'],
  ['/apis/batch/v1/cronjobs', 'CronJob'],
  ['/apis/node.k8s.io/v1/runtimeclasses', 'RuntimeClass'],
];

/** List every object of `path`, page by page; items get their kind (lists omit it). */
export async function listAll(kc: ApiAccess, path: string, kind: string, pageSize = 500): Promise<unknown[]> {
  const out: unknown[] = [];
  let cont: string | undefined;
  const signal = new AbortController().signal;
  do {
    const q = new URLSearchParams({ limit: String(pageSize) });
    if (cont !== undefined) q.set('continue', cont);
    const page = await getJson(kc, `${path}?${q}`, signal);
    if (!isRecord(page) || !Array.isArray(page['items'])) throw new Error(`${path}: list without items`);
    for (const item of page['items']) if (isRecord(item)) out.push({ ...item, kind });
    cont = (isRecord(page['metadata']) ? str(page['metadata']['continue']) : undefined) || undefined;
  } while (cont !== undefined);
  return out;
}

export async function listAudited(kc: ApiAccess): Promise<unknown[]> {
  const all = await Promise.all(AUDITED_LISTS.map(([path, kind]) => listAll(kc, path, kind)));
  return all.flat();
}
