/**
 * The runtime handlers kubelet reports. Since Kubernetes 1.31 kubelet copies the handlers its CRI
 * runtime reports (containerd 2.x does) into node.status.runtimeHandlers. A pod whose RuntimeClass
 * handler is not among them fails at sandbox creation (`no runtime for "wasmtime" is configured`);
 * the scheduler does not look at handlers, kubelet's rule decides. A node that reports none (older
 * kubelet, containerd 1.x) is judged by its labels alone.
 */
import type { SchedNode } from './types.js';

export type HandlerFact = 'reported' | 'unknown' | 'missing';

export function handlerFact(node: Pick<SchedNode, 'runtimeHandlers'>, handler: string | undefined): HandlerFact {
  if (handler === undefined) return 'unknown';
  if (node.runtimeHandlers.length === 0) return 'unknown';
  return node.runtimeHandlers.includes(handler) ? 'reported' : 'missing';
}

/** kubelet's rule: the pod can start here as far as the handler goes. */
export function handlerOk(node: Pick<SchedNode, 'runtimeHandlers'>, handler: string | undefined): boolean {
  return handlerFact(node, handler) !== 'missing';
}

/** status.runtimeHandlers[].name from a raw Node object, in the order reported, without duplicates. */
export function runtimeHandlersOf(status: unknown): string[] {
  if (typeof status !== 'object' || status === null) return [];
  const list = (status as Record<string, unknown>)['runtimeHandlers'];
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const h of list) {
    const name = typeof h === 'object' && h !== null ? (h as Record<string, unknown>)['name'] : undefined;
    // kubelet reports the default handler with an empty name; a RuntimeClass cannot name it
    if (typeof name === 'string' && !out.includes(name)) out.push(name);
  }
  return out;
}
