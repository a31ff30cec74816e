/**
 * node-change-strands-runtimeclass: a Node label change, taint or cordon that leaves a Wasm
 * RuntimeClass with no usable node; and a label change that promises a class's handler to a node
 * whose kubelet reports handlers without it. The admin hears it before pods pile up in Pending or
 * fail at sandbox creation.
 */
import type { NodeInfo, RuntimeClassInfo } from '../cluster/types.js';
import { formatSelector, formatTaint, listNames, plural, sortedPairs } from '../decide/format.js';
import { blockingTaints, queryForClass, whyUnusable } from '../decide/placement.js';
import type { NodeUpdateCheck, Rule, RuleContext } from '../decide/types.js';
import { wasmClasses } from '../decide/wasm.js';
import { handlerFact } from '../scheduling/handlers.js';

function matches(node: NodeInfo, rc: RuntimeClassInfo): boolean {
  return Object.entries(rc.nodeSelector ?? {}).every(([k, v]) => node.labels[k] === v);
}

function usableFor(node: NodeInfo, rc: RuntimeClassInfo, ctx: RuleContext): boolean {
  return matches(node, rc) && whyUnusable(node, queryForClass(rc, ctx).tolerations, ctx, rc.handler) === undefined;
}

function otherUsableNode(rc: RuntimeClassInfo, except: string, ctx: RuleContext): boolean {
  const tols = queryForClass(rc, ctx).tolerations;
  for (const node of ctx.state.nodesMatching(rc.nodeSelector ?? {})) {
    if (node.name !== except && whyUnusable(node, tols, ctx, rc.handler) === undefined) return true;
  }
  return false;
}

/** The change makes the node carry a class's selector while its kubelet reports handlers without the class's. */
function promisesMissingHandler(oldNode: NodeInfo, newNode: NodeInfo, rc: RuntimeClassInfo): string | undefined {
  if (rc.nodeSelector === undefined || matches(oldNode, rc) || !matches(newNode, rc)) return undefined;
  if (handlerFact(newNode, rc.handler) !== 'missing') return undefined;
  const handlers = listNames(
    newNode.runtimeHandlers.map((h) => (h === '' ? '(the default)' : h)),
    10,
  );
  return (
    `This change to Node ${newNode.name} labels it ${formatSelector(rc.nodeSelector)}, which sends it the pods of RuntimeClass ${rc.name} ` +
    `(handler ${rc.handler}), but its kubelet reports the runtime handlers ${handlers}, not ${rc.handler}: those pods would fail with ` +
    `no runtime for "${rc.handler}" is configured. Fix: install the ${rc.handler} shim on ${newNode.name} and register it in containerd ` +
    `as runtime "${rc.handler}" before labelling it, or revert the label.`
  );
}

function describeChange(oldNode: NodeInfo, newNode: NodeInfo, rc: RuntimeClassInfo): string {
  const parts: string[] = [];
  for (const [k, v] of sortedPairs(rc.nodeSelector ?? {})) {
    // a review's Node labels are read unchecked (lean.ts, 'lookup'): a value that is not a string is absent
    const raw: unknown = newNode.labels[k];
    const now = typeof raw === 'string' ? raw : undefined;
    if (oldNode.labels[k] === v && now !== v)
      parts.push(now === undefined ? `removes label ${k}=${v}` : `changes label ${k} from ${v} to ${now}`);
  }
  if (!oldNode.unschedulable && newNode.unschedulable) parts.push('cordons it');
  const before = new Set(blockingTaints(oldNode, rc.tolerations).map(formatTaint));
  const added = blockingTaints(newNode, rc.tolerations)
    .filter((t) => !(t.effect === 'NoExecute' && (t.key === 'node.kubernetes.io/not-ready' || t.key === 'node.kubernetes.io/unreachable')))
    .map(formatTaint)
    .filter((t) => !before.has(t));
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
    const promise = promisesMissingHandler(oldNode, newNode, rc);
    if (promise !== undefined) out.push(promise);
    const message = strandMessage(oldNode, newNode, rc, ctx);
    if (message !== undefined) out.push(message);
  }
  return out;
};

export const nodeChangeStrandsRuntimeclass: Rule = {
  id: 'node-change-strands-runtimeclass',
  summary:
    "A Node change does not leave a Wasm RuntimeClass without a usable node, nor promise a class's handler the node does not report.",
  defaultMode: 'warn',
  checks: { Node: { UPDATE: nodeUpdate } },
};
