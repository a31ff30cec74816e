/**
 * runtimeclass-assigned: a pod marked as Wasm must end up with a runtimeClassName. The mutating
 * webhook sets it when it can; when this rule fires, either no RuntimeClass suits (the message says
 * why) or the mutating webhook did not run (the message names the class it would have chosen).
 */
import { chooseRuntimeClass } from '../decide/choose-runtimeclass.js';
import { describeTarget, field } from '../decide/format.js';
import type { PodTemplateCheck, Rule } from '../decide/types.js';
import { describeIntent } from '../decide/wasm.js';

const podTemplate: PodTemplateCheck = (target, intent, ctx) => {
  if (intent.runtimeClassName !== undefined || intent.annotation === undefined) return [];
  const choice = chooseRuntimeClass(target, intent, ctx);
  const what = `${describeTarget(target)} is ${describeIntent(intent)} but has no ${field(target, 'runtimeClassName')}`;
  if (choice.ok) {
    return [
      `${what}, so it would run with the default runtime, not a Wasm shim. wasmgate's mutating webhook would have set ` +
        `RuntimeClass ${choice.runtimeClass.name} (${choice.reason}); it did not run. ` +
        `Fix: set ${field(target, 'runtimeClassName')}: ${choice.runtimeClass.name}, or check that the wasmgate MutatingWebhookConfiguration is installed.`,
    ];
  }
  return [`${what}, and none could be chosen: ${choice.reason}. Fix: ${choice.fix}.`];
};

export const runtimeclassAssigned: Rule = {
  id: 'runtimeclass-assigned',
  summary: 'A pod annotated as Wasm has a runtimeClassName (set by the mutating webhook or by hand).',
  defaultMode: 'enforce',
  checks: { podTemplate: { CREATE: podTemplate, UPDATE: podTemplate } },
};
