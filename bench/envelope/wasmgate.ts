/** Talking to a running `wasmgate serve` (and the API server) for the envelope benchmark. */
import { request } from 'node:https';
import type { ApiClient } from '../api.js';
import { RUNTIME_CLASSES } from '../shared.js';

function call(url: string, ca: string, method: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, ca, timeout: 10_000, headers: body === undefined ? {} : { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Poll /readyz until 200 (the first full sync); ms since `since`. */
export async function waitReady(url: string, ca: string, timeoutMs: number, since: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await call(`${url}/readyz`, ca, 'GET').catch(() => ({ status: 0, body: '' }));
    if (r.status === 200) return Date.now() - since;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`wasmgate at ${url} not ready within ${timeoutMs} ms`);
}

/**
 * wasmgate's pod count per Wasm RuntimeClass, asked through its webhook: a RuntimeClass DELETE
 * review, whose warning (runtimeclass-delete-in-use) says "is used by N pods". No warning: 0
 * (or pods are not tracked).
 */
export async function askCounts(url: string, ca: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const rc of RUNTIME_CLASSES.filter((r) => r.name !== 'wasmedge-unmatched')) {
    const old = {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: rc.name },
      handler: rc.handler,
      scheduling: { nodeSelector: rc.nodeSelector, tolerations: rc.tolerations },
    };
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: `count-${rc.name}`,
        kind: { group: 'node.k8s.io', version: 'v1', kind: 'RuntimeClass' },
        resource: { group: 'node.k8s.io', version: 'v1', resource: 'runtimeclasses' },
        name: rc.name,
        operation: 'DELETE',
        userInfo: { username: 'admin' },
        object: null,
        oldObject: old,
      },
    };
    const r = await call(`${url}/validate`, ca, 'POST', JSON.stringify(review));
    if (r.status !== 200) throw new Error(`wasmgate /validate RuntimeClass DELETE: HTTP ${r.status} ${r.body.slice(0, 300)}`);
    const warnings = (JSON.parse(r.body) as { response?: { warnings?: string[] } }).response?.warnings ?? [];
    const m = warnings.map((w) => /is used by (\d+) pods?/.exec(w)).find((x) => x !== null);
    out[rc.name] = m === undefined || m === null ? 0 : Number(m[1]);
  }
  return out;
}

/** Whether the API server can select pods by spec.runtimeClassName (it answers 400 when it cannot). */
export async function fieldSelectorProbe(api: ApiClient): Promise<{ status: number; message: string }> {
  const r = await api.request('GET', '/api/v1/pods?limit=1&fieldSelector=spec.runtimeClassName%3Dwasm1');
  let message = r.body.slice(0, 300);
  try {
    message = (JSON.parse(r.body) as { message?: string }).message ?? message;
  } catch {
    /* not JSON */
  }
  return { status: r.status, message };
}
