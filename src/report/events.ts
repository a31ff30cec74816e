/**
 * Warning Events on RuntimeClasses that lose their last usable node, so that
 * `kubectl describe runtimeclass` shows what the node-change warning said at `kubectl cordon` time.
 *
 * The leader keeps, in memory, which Wasm classes are stranded (no Ready, schedulable node their
 * pods tolerate), and records one Event per transition usable → stranded:
 * - when a Node change strands a class, the Event carries the node-change warning verbatim
 *   (rule node-change-strands-runtimeclass);
 * - when a class ends up stranded some other way (a Node deleted, the class's selector edited), the
 *   next audit pass records it with the runtimeclass-selector-matches message;
 * - a class that has a usable node again is re-armed. The first pass after a process becomes the
 *   leader only takes the baseline: a transition that happened before it was recorded then.
 */
import type { ClusterState, NodeInfo, RuntimeClassInfo } from '../cluster/types.js';
import type { Config } from '../config/config.js';
import { strandMessage } from '../rules/node-change-strands-runtimeclass.js';
import { classHasUsableNode } from '../decide/placement.js';
import { runtimeclassSelectorMatches } from '../rules/runtimeclass-selector-matches.js';
import type { RuleContext } from '../decide/types.js';
import { wasmClasses } from '../decide/wasm.js';
import { isRecord, str } from '../objects/json.js';
import type { KubeClient } from './http.js';
import { microTime } from './leader.js';

export const EVENT_REASON = 'NoUsableNode';
export const EVENT_ACTION = 'CheckNodes';
export const REPORTING_CONTROLLER = 'wasmgate.dev/audit';
/** events.k8s.io/v1 limits `note` to 1 kB */
export const NOTE_LIMIT = 1024;

export interface Stranding {
  runtimeClass: string;
  message: string;
}

export class StrandTracker {
  private stranded = new Set<string>();
  private baseline = false;

  /** A Node changed (lean records before and after): the classes this change strands, each once. */
  nodeChanged(oldNode: NodeInfo, newNode: NodeInfo, state: ClusterState, config: Config): Stranding[] {
    const ctx: RuleContext = { state, config };
    const out: Stranding[] = [];
    for (const rc of wasmClasses(ctx)) {
      if (this.stranded.has(rc.name)) continue;
      const message = strandMessage(oldNode, newNode, rc, ctx);
      if (message === undefined) continue;
      this.stranded.add(rc.name);
      if (this.baseline) out.push({ runtimeClass: rc.name, message });
    }
    return out;
  }

  /** A full look at every Wasm class (each audit pass): re-arm the usable, report the newly stranded. */
  reconcile(state: ClusterState, config: Config): Stranding[] {
    const ctx: RuleContext = { state, config };
    const out: Stranding[] = [];
    const seen = new Set<string>();
    for (const rc of wasmClasses(ctx)) {
      seen.add(rc.name);
      if (classHasUsableNode(rc, ctx)) {
        this.stranded.delete(rc.name);
        continue;
      }
      if (this.stranded.has(rc.name)) continue;
      this.stranded.add(rc.name);
      const message = runtimeclassSelectorMatches.checks.RuntimeClass?.UPDATE?.(rc, ctx)[0];
      if (this.baseline && message !== undefined) out.push({ runtimeClass: rc.name, message });
    }
    for (const name of this.stranded) if (!seen.has(name)) this.stranded.delete(name);
    this.baseline = true;
    return out;
  }

  /** Forget everything (leadership lost): the next leader term starts from a fresh baseline. */
  reset(): void {
    this.stranded.clear();
    this.baseline = false;
  }
}

/** Cut to `limit` UTF-8 bytes, ending with an ellipsis when cut. */
export function truncateBytes(text: string, limit = NOTE_LIMIT): string {
  if (Buffer.byteLength(text) <= limit) return text;
  let cut = text.slice(0, limit - 3);
  while (Buffer.byteLength(cut) > limit - 3) cut = cut.slice(0, -1);
  return `${cut}…`;
}

export function strandEvent(
  rc: Pick<RuntimeClassInfo, 'name'>,
  uid: string | undefined,
  message: string,
  instance: string,
  now: number,
): Record<string, unknown> {
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    // named as client-go's recorder names events: <object>.<unix nanoseconds in hex>
    metadata: { name: `${rc.name}.${(BigInt(now) * 1_000_000n).toString(16)}`, namespace: 'default' },
    eventTime: microTime(now),
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: instance,
    action: EVENT_ACTION,
    reason: EVENT_REASON,
    type: 'Warning',
    note: truncateBytes(message),
    regarding: { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', name: rc.name, ...(uid === undefined ? {} : { uid }) },
  };
}

/**
 * Record the Event. The RuntimeClass is read first for its uid: `kubectl describe` selects events
 * by the object's uid, and the lean cache does not keep it. Cluster-scoped objects' events live in
 * the default namespace, like a Node's.
 */
export async function recordStranding(client: KubeClient, s: Stranding, instance: string, now = Date.now()): Promise<void> {
  const got = await client.request('GET', `/apis/node.k8s.io/v1/runtimeclasses/${encodeURIComponent(s.runtimeClass)}`);
  const uid = got.status === 200 && isRecord(got.body) && isRecord(got.body['metadata']) ? str(got.body['metadata']['uid']) : undefined;
  const r = await client.request(
    'POST',
    '/apis/events.k8s.io/v1/namespaces/default/events',
    strandEvent({ name: s.runtimeClass }, uid, s.message, instance, now),
  );
  if (r.status !== 201 && r.status !== 200) throw new Error(`recording an Event on RuntimeClass ${s.runtimeClass}: HTTP ${r.status}`);
}
