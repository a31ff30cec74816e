/**
 * node-change-strands-runtimeclass: a Node label change or cordon that leaves a Wasm RuntimeClass
 * with no usable node. The admin hears what they just stranded before pods pile up in Pending.
 */
import type { NodeInfo, RuntimeClassInfo } from '../cluster/types.js';
import { plural, sortedPairs } from './format.js';
import { whyUnusable } from './placement.js';
import type { Rule, RuleContext } from './types.js';
import { wasmClasses } from './wasm.js';

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
  for (const [k, v] of Object.entries(rc.nodeSelector ?? {})) {
    const now = newNode.labels[k];
    if (oldNode.labels[k] === v && now !== v) parts.push(now === undefined ? `removes label ${k}=${v}` : `changes label ${k} from ${v} to ${now}`);
  }
  if (!oldNode.unschedulable && newNode.unschedulable) parts.push('cordons it');
  if (parts.length === 0) parts.push('adds a taint its pods do not tolerate');
  return parts.join(' and ');
}

export const nodeChangeStrandsRuntimeclass: Rule = {
  id: 'node-change-strands-runtimeclass',
  summary: 'A Node label change or cordon does not leave a Wasm RuntimeClass without any usable node.',
  defaultMode: 'warn',
  nodeUpdate(oldNode, newNode, ctx) {
    const out: string[] = [];
    for (const rc of wasmClasses(ctx)) {
      if (!usableFor(oldNode, rc, ctx) || usableFor(newNode, rc, ctx)) continue;
      if (otherUsableNode(rc, newNode.name, ctx)) continue;
      const pods = ctx.state.podsUsingRuntimeClass(rc.name);
      const podText = pods === undefined ? '' : ` ${plural(pods, 'running pod')} ${pods === 1 ? 'uses' : 'use'} it;`;
      const label = sortedPairs(rc.nodeSelector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      out.push(
        `This change to Node ${newNode.name} ${describeChange(oldNode, newNode, rc)}, which leaves RuntimeClass ${rc.name} ` +
          `(handler ${rc.handler}) with no Ready, schedulable node:${podText} new pods of this class will stay Pending. ` +
          `Fix: revert the change, or first prepare another node with the ${rc.handler} shim` +
          (label === '' ? '.' : ` and label it: kubectl label nodes <node> ${label}.`),
      );
    }
    return out;
  },
};
