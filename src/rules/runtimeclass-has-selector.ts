/**
 * runtimeclass-has-selector: a Wasm RuntimeClass has a scheduling.nodeSelector. Without one (k3s's
 * built-in classes have none) its pods can land on any node, including nodes without the shim,
 * where they fail with `no runtime for "<handler>" is configured`.
 */
import { describeTarget } from '../decide/format.js';
import type { PodTemplateCheck, Rule, RuntimeClassCheck } from '../decide/types.js';
import { isWasmClass } from '../decide/wasm.js';

function advice(handler: string): string {
  return `label the nodes that have the ${handler} shim (e.g. kubectl label nodes <node> ${handler}-enabled=yes) and set scheduling.nodeSelector to that label`;
}

const podTemplate: PodTemplateCheck = (target, intent, ctx) => {
  const rc = intent.runtimeClassName === undefined ? undefined : ctx.state.getRuntimeClass(intent.runtimeClassName);
  if (rc === undefined || rc.nodeSelector !== undefined || !isWasmClass(rc, ctx)) return [];
  return [
    `${describeTarget(target)} uses RuntimeClass ${rc.name}, which has no scheduling.nodeSelector: in a mixed cluster the pod ` +
      `may land on a node without the ${rc.handler} shim and fail with 'no runtime for "${rc.handler}" is configured'. ` +
      `Fix: ${advice(rc.handler)}.`,
  ];
};

const runtimeClass: RuntimeClassCheck = (rc, ctx) => {
  if (rc.nodeSelector !== undefined || !isWasmClass(rc, ctx)) return [];
  return [
    `RuntimeClass ${rc.name} (handler ${rc.handler}) has no scheduling.nodeSelector: in a mixed cluster its pods may land on ` +
      `nodes without the ${rc.handler} shim and fail with 'no runtime for "${rc.handler}" is configured'. Fix: ${advice(rc.handler)}.`,
  ];
};

export const runtimeclassHasSelector: Rule = {
  id: 'runtimeclass-has-selector',
  summary: 'A Wasm RuntimeClass sends its pods only to nodes with the shim (scheduling.nodeSelector is set).',
  defaultMode: 'warn',
  checks: { podTemplate: { CREATE: podTemplate, UPDATE: podTemplate }, RuntimeClass: { CREATE: runtimeClass, UPDATE: runtimeClass } },
};
