/** Where `wasmgate audit` reads existing objects from: snapshot files, or a live cluster listing. */
import type { ApiAccess } from '../cluster/kubeconfig.js';
import { listPages } from '../cluster/live.js';
import { isRecord } from '../cluster/lean.js';

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
  await listPages(kc, path, pageSize, new AbortController().signal, (item) => {
    if (isRecord(item)) out.push({ ...item, kind });
  });
  return out;
}

export async function listAudited(kc: ApiAccess): Promise<unknown[]> {
  const all = await Promise.all(AUDITED_LISTS.map(([path, kind]) => listAll(kc, path, kind)));
  return all.flat();
}
