/**
 * node-change-strands-runtimeclass: a Node label change or cordon that leaves a Wasm RuntimeClass
 * with no usable node. The admin hears what they just stranded before pods pile up in Pending.
 */
import type { NodeInfo, RuntimeClassInfo } from '../cluster/types.js';
import { formatTaint, plural, sortedPairs } from '../decide/format.js';
import { blockingTaints, whyUnusable } from '../decide/placement.js';
import type { NodeUpdateCheck, Rule, RuleContext } from '../decide/types.js';
import { wasmClasses } from '../decide/wasm.js';

function matches(node: NodeInfo, rc: RuntimeClassInfo): boolean {
  return Object.entries(rc.nodeSelector ?? {}).every(([k, v]) => node.labels[k] === v);
}

function usableFor(node: NodeInfo, rc: RuntimeClassInfo, ctx: RuleContext): boolean {
  return matches(node, rc) && whyUnusable(node, rc.tolerations, ctx) === undefined;
}

function otherUsableNode(rc: RuntimeClassInfo, except: string, ctx: RuleContext): boolean {
  for (const node of ctx.state.nodesMatching(rc.nodeSelector ?? {})) {
    if (node.name !== except && whyUnusable(node, rc.tolerations, ctx) === undefined) return true;
  }
  return false;
}

function describeChange(oldNode: NodeInfo, newNode: NodeInfo, rc: RuntimeClassInfo): string {
  const parts: string[] = [];
  for (const [k, v] of sortedPairs(rc.nodeSelector ?? {})) {
    const now = newNode.labels[k];
    if (oldNode.labels[k] === v && now !== v) parts.push(now === undefined ? `removes label ${k}=${v}` : `changes label ${k} from ${v} to ${now}`);
  }
  if (!oldNode.unschedulable && newNode.unschedulable) parts.push('cordons it');
  const before = new Set(blockingTaints(oldNode, rc.tolerations).map(formatTaint));
  const added = blockingTaints(newNode, rc.tolerations).map(formatTaint).filter((t) => !before.has(t));
  if (added.length > 0) parts.push(`adds the taint${added.length === 1 ? '' : 's'} ${added.join(', ')} (not tolerated by its pods)`);
  if (parts.length === 0) parts.push('makes it unusable for this class');
  return parts.join(' and ');
}

/**
 * The warning for one class, or undefined when this change does not strand it. Also used for the
 * Warning Event the background audit records on the RuntimeClass (src/report/events.ts).
 */
export function strandMessage(oldNode: NodeInfo, newNode: NodeInfo, rc: RuntimeClassInfo, ctx: RuleContext): string | undefined {
  if (!usableFor(oldNode, rc, ctx) || usableFor(newNode, rc, ctx)) return undefined;
  if (otherUsableNode(rc, newNode.name, ctx)) return undefined;
  const pods = ctx.state.podsUsingRuntimeClass(rc.name);
  const podText =
    pods === undefined || pods === 0 ? '' : ` it is used by ${plural(pods, 'pod')} that ${pods === 1 ? 'has' : 'have'} not finished, and`;
  const label = sortedPairs(rc.nodeSelector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return (
    `This change to Node ${newNode.name} ${describeChange(oldNode, newNode, rc)}, which leaves RuntimeClass ${rc.name} ` +
    `(handler ${rc.handler}) with no Ready, schedulable node:${podText} new pods of this class will stay Pending. ` +
    `Fix: revert the change, or first prepare another node with the ${rc.handler} shim` +
    (label === '' ? '.' : ` and label it: kubectl label nodes <node> ${label}.`)
  );
}

const nodeUpdate: NodeUpdateCheck = (oldNode, newNode, ctx) => {
  const out: string[] = [];
  for (const rc of wasmClasses(ctx)) {
    const message = strandMessage(oldNode, newNode, rc, ctx);
    if (message !== undefined) out.push(message);
  }
  return out;
};

export const nodeChangeStrandsRuntimeclass: Rule = {
  id: 'node-change-strands-runtimeclass',
  summary: 'A Node label change or cordon does not leave a Wasm RuntimeClass without any usable node.',
  defaultMode: 'warn',
  checks: { Node: { UPDATE: nodeUpdate } },
};
