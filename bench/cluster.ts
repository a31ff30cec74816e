/**
 * Filling the control plane: N realistic Nodes POSTed directly over HTTPS (keep-alive, bounded
 * concurrency), the benchmark's RuntimeClasses, and a raw paginated list to measure what the API
 * server serves (average object size, raw list time).
 */
import { type ApiClient, pool } from './api.js';
import { makeNode } from './nodes.js';
import { RUNTIME_CLASSES } from './shared.js';

export interface CreationResult {
  nodes: number;
  ms: number;
  perSecond: number;
  /** status (images, conditions) came back on a GET after the POST */
  statusSurvivedCreate: boolean;
  /** status had to be written through the /status subresource */
  statusPatched: boolean;
  avgPostedBytes: number;
  labelsPerNode: number;
  facts: { wasmtime: number; spin: number; notReady: number; cordoned: number; tainted: number };
}

interface NodeBack {
  status?: { images?: unknown[]; conditions?: unknown[] };
  metadata?: { labels?: Record<string, string> };
}

const nodePath = (name: string): string => `/api/v1/nodes/${encodeURIComponent(name)}`;

function statusOk(n: NodeBack, expectImages: number): boolean {
  return n.status?.images?.length === expectImages && n.status?.conditions?.length === 5;
}

export async function createNodes(
  api: ApiClient,
  count: number,
  concurrency: number,
  progress: (line: string) => void,
): Promise<CreationResult> {
  const started = Date.now();
  const facts = { wasmtime: 0, spin: 0, notReady: 0, cordoned: 0, tainted: 0 };
  let postedBytes = 0;
  let labels = 0;
  let done = 0;
  let patchStatus = false;
  let lastReport = Date.now();

  const create = async (i: number): Promise<{ name: string; imageCount: number }> => {
    const { node, facts: f } = makeNode(i);
    const body = JSON.stringify(node);
    postedBytes += Buffer.byteLength(body);
    const meta = node['metadata'] as { name: string; labels: Record<string, string> };
    labels += Object.keys(meta.labels).length;
    if (f.wasmtime) facts.wasmtime++;
    if (f.spin) facts.spin++;
    if (!f.ready) facts.notReady++;
    if (f.cordoned) facts.cordoned++;
    if (f.taints > 0) facts.tainted++;
    await api.must('POST', '/api/v1/nodes', body);
    if (patchStatus) {
      await api.must('PATCH', `${nodePath(meta.name)}/status`, { status: node['status'] }, 'application/merge-patch+json');
    }
    done++;
    if (Date.now() - lastReport >= 2000 || done === count) {
      lastReport = Date.now();
      const s = (Date.now() - started) / 1000;
      progress(`created ${done}/${count} nodes in ${s.toFixed(1)} s (${(done / s).toFixed(0)}/s)`);
    }
    const images = (node['status'] as { images: unknown[] }).images.length;
    return { name: meta.name, imageCount: images };
  };

  // the first node alone: does the API server keep status on create?
  const first = await create(0);
  const back = await api.json<NodeBack>('GET', nodePath(first.name));
  const statusSurvivedCreate = statusOk(back, first.imageCount);
  if (!statusSurvivedCreate) {
    progress(
      `status did not survive create (GET shows ${back.status?.images?.length ?? 0} images, ` +
        `${back.status?.conditions?.length ?? 0} conditions); writing it through /status for every node`,
    );
    patchStatus = true;
    const { node } = makeNode(0);
    await api.must('PATCH', `${nodePath(first.name)}/status`, { status: node['status'] }, 'application/merge-patch+json');
    const again = await api.json<NodeBack>('GET', nodePath(first.name));
    if (!statusOk(again, first.imageCount)) throw new Error('node status is missing even after PATCH .../status');
  } else {
    progress(
      `status survives create (GET ${first.name}: ${back.status?.images?.length} images, ${back.status?.conditions?.length} conditions)`,
    );
  }

  await pool(count - 1, concurrency, async (i) => {
    await create(i + 1);
  });
  const ms = Date.now() - started;

  // spot-check the last node too
  const last = makeNode(count - 1).node['metadata'] as { name: string };
  const lastBack = await api.json<NodeBack>('GET', nodePath(last.name));
  if (!statusOk(lastBack, 50)) throw new Error(`node ${last.name} lacks its status after creation`);

  return {
    nodes: count,
    ms,
    perSecond: count / (ms / 1000),
    statusSurvivedCreate,
    statusPatched: patchStatus,
    avgPostedBytes: postedBytes / count,
    labelsPerNode: labels / count,
    facts,
  };
}

export async function createRuntimeClasses(api: ApiClient): Promise<void> {
  for (const rc of RUNTIME_CLASSES) {
    await api.must('POST', '/apis/node.k8s.io/v1/runtimeclasses', {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: rc.name },
      handler: rc.handler,
      scheduling: { nodeSelector: rc.nodeSelector, ...(rc.tolerations.length > 0 ? { tolerations: rc.tolerations } : {}) },
    });
  }
}

export interface ListMeasurement {
  items: number;
  pages: number;
  /** time spent in the requests alone (no parsing): the API server's share of a paginated list */
  fetchMs: number;
  responseBytes: number;
  avgItemBytes: number;
  /** of which metadata.managedFields (added by the API server) */
  avgManagedFieldsBytes: number;
  /** of which status.images */
  avgImagesBytes: number;
}

/** A raw paginated list of Nodes (pages of `pageSize`, like wasmgate's live source): sizes and time. */
export async function measureList(api: ApiClient, pageSize: number): Promise<ListMeasurement> {
  let fetchMs = 0;
  let cont: string | undefined;
  let items = 0;
  let pages = 0;
  let responseBytes = 0;
  let itemBytes = 0;
  let managed = 0;
  let imageBytes = 0;
  do {
    const q = new URLSearchParams({ limit: String(pageSize) });
    if (cont !== undefined) q.set('continue', cont);
    const t0 = performance.now();
    const res = await api.must('GET', `/api/v1/nodes?${q}`);
    fetchMs += performance.now() - t0;
    responseBytes += Buffer.byteLength(res.body);
    const page = JSON.parse(res.body) as {
      items: { metadata?: { managedFields?: unknown }; status?: { images?: unknown } }[];
      metadata?: { continue?: string };
    };
    pages++;
    for (const item of page.items) {
      items++;
      itemBytes += Buffer.byteLength(JSON.stringify(item));
      managed += Buffer.byteLength(JSON.stringify(item.metadata?.managedFields ?? []));
      imageBytes += Buffer.byteLength(JSON.stringify(item.status?.images ?? []));
    }
    cont = page.metadata?.continue || undefined;
  } while (cont !== undefined);
  return {
    items,
    pages,
    fetchMs,
    responseBytes,
    avgItemBytes: items === 0 ? 0 : itemBytes / items,
    avgManagedFieldsBytes: items === 0 ? 0 : managed / items,
    avgImagesBytes: items === 0 ? 0 : imageBytes / items,
  };
}
