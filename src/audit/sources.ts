/** Where `wasmgate audit` reads existing objects from: snapshot files, or a live cluster listing. */
import { listPages } from '../cluster/api.js';
import type { ApiAccess } from '../cluster/kubeconfig.js';
import { KINDS, apiVersionOf, listPath, type KindRecord } from '../kinds/registry.js';
import { isRecord } from '../objects/json.js';

/** Everything the audit lists: the kinds the registry marks as audited, in its order. */
const AUDITED_KINDS: readonly KindRecord[] = KINDS.filter((k) => k.audited);

/** List every object of a kind, page by page; items get their apiVersion and kind (lists omit them). */
async function listAll(kc: ApiAccess, k: KindRecord, pageSize = 500): Promise<unknown[]> {
  const out: unknown[] = [];
  const apiVersion = apiVersionOf(k);
  await listPages(kc, listPath(k), pageSize, new AbortController().signal, (item) => {
    if (isRecord(item)) out.push({ ...item, apiVersion, kind: k.kind });
  });
  return out;
}

export async function listAudited(kc: ApiAccess): Promise<unknown[]> {
  const all = await Promise.all(AUDITED_KINDS.map((k) => listAll(kc, k)));
  return all.flat();
}
