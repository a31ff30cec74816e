/** runtimeclass-exists: the RuntimeClass a Wasm pod names exists. */
import { describeClass, describeTarget, field, listNames } from '../decide/format.js';
import { clip, NAME_SHOWN } from '../decide/limits.js';
import type { PodTemplateCheck, Rule } from '../decide/types.js';
import { wasmClasses } from '../decide/wasm.js';

const podTemplate: PodTemplateCheck = (target, intent, ctx) => {
  if (intent.runtimeClassName === undefined || ctx.state.getRuntimeClass(intent.runtimeClassName) !== undefined) return [];
  const name = clip(intent.runtimeClassName, NAME_SHOWN);
  const known = wasmClasses(ctx);
  const existing =
    known.length === 0
      ? 'The cluster has no Wasm RuntimeClass at all.'
      : `Wasm RuntimeClasses that exist: ${listNames(known.map(describeClass), 6)}.`;
  const fix =
    known.length === 0
      ? `create RuntimeClass ${name} with the handler of your Wasm shim and a scheduling.nodeSelector`
      : `set ${field(target, 'runtimeClassName')} to one of them, or create RuntimeClass ${name}`;
  return [
    `${describeTarget(target)} names RuntimeClass ${name} in ${field(target, 'runtimeClassName')}, which does not exist. ${existing} Fix: ${fix}.`,
  ];
};

export const runtimeclassExists: Rule = {
  id: 'runtimeclass-exists',
  summary: 'The RuntimeClass a Wasm pod names exists.',
  defaultMode: 'enforce',
  checks: { podTemplate: { CREATE: podTemplate, UPDATE: podTemplate } },
};
