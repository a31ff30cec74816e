/**
 * Which RuntimeClass should a Wasm-annotated pod get? Shared by mutation (which applies the
 * choice) and by the runtimeclass-assigned rule (which explains a failed choice), so the two can
 * never disagree.
 */
import type { RuntimeClassInfo } from '../cluster/types.js';
import { describeClass, listNames } from './format.js';
import { classHasUsableNode } from './placement.js';
import type { PodTarget, RuleContext, WasmIntent } from './types.js';
import { isWasmClass, wasmClasses } from './wasm.js';

export type Choice = { ok: true; runtimeClass: RuntimeClassInfo; reason: string } | { ok: false; reason: string; fix: string };

const AUTO = new Set(['', 'auto']);

export function chooseRuntimeClass(target: PodTarget, intent: WasmIntent, ctx: RuleContext): Choice {
  const value = intent.value ?? '';
  if (intent.handlers !== undefined) return chooseForImages(target, value, intent.handlers, ctx);
  if (AUTO.has(value)) return chooseAuto(target, ctx);

  const named = ctx.state.getRuntimeClass(value);
  if (named !== undefined) return { ok: true, runtimeClass: named, reason: `the annotation names RuntimeClass ${named.name}` };

  const byHandler = ctx.state.listRuntimeClasses().filter((rc) => rc.handler === value);
  if (byHandler.length === 0) {
    const known = wasmClasses(ctx).map(describeClass);
    return {
      ok: false,
      reason: `no RuntimeClass is named ${value} or has handler ${value}`,
      fix:
        known.length > 0
          ? `set ${intent.annotation ?? 'the annotation'} to a Wasm RuntimeClass that exists (${known.length === 1 ? known[0] : `one of: ${listNames(known, 5)}`}), or create a RuntimeClass with handler ${value}`
          : `create a RuntimeClass with handler ${value} and a scheduling.nodeSelector for the nodes that have its shim`,
    };
  }
  return rankClasses(byHandler, `handler ${value}`, target, ctx);
}

/**
 * Rank `classes` (not empty): with usable nodes first, then the configured default, then by name;
 * `what` completes "RuntimeClasses with ..." in the reason.
 */
function rankClasses(classes: RuntimeClassInfo[], what: string, target: PodTarget, ctx: RuleContext): Choice {
  const ranked = classes
    .map((rc) => ({ rc, usable: classHasUsableNode(rc, ctx, target), isDefault: rc.name === ctx.config.defaultRuntimeClass }))
    .sort((a, b) => Number(b.usable) - Number(a.usable) || Number(b.isDefault) - Number(a.isDefault) || (a.rc.name < b.rc.name ? -1 : 1));
  const best = ranked[0]!;
  const usableCount = ranked.filter((r) => r.usable).length;
  const n = classes.length;
  let why: string;
  if (n === 1) why = `the only RuntimeClass with ${what}`;
  else if (usableCount === 1) why = `the only one of ${n} RuntimeClasses with ${what} that has usable nodes`;
  else if (usableCount > 1)
    why = best.isDefault
      ? `the configured default, among ${usableCount} RuntimeClasses with ${what} that have usable nodes`
      : `the first by name of ${usableCount} RuntimeClasses with ${what} that have usable nodes`;
  else
    why = best.isDefault
      ? `the configured default; none of the ${n} RuntimeClasses with ${what} has usable nodes`
      : `the first by name; none of the ${n} RuntimeClasses with ${what} has usable nodes`;
  return { ok: true, runtimeClass: best.rc, reason: why };
}

/**
 * A pod whose images were recognised as Wasm (imageDetection): the RuntimeClass configured for
 * them when it exists and its handler runs them, else the best of the classes whose handler does.
 */
function chooseForImages(target: PodTarget, configured: string, handlers: readonly string[], ctx: RuleContext): Choice {
  const among = handlers.length === 1 ? `handler ${handlers[0]}` : `a handler among ${handlers.join(', ')}`;
  let skipped = '';
  if (configured !== '') {
    const rc = ctx.state.getRuntimeClass(configured);
    if (rc !== undefined && handlers.includes(rc.handler))
      return { ok: true, runtimeClass: rc, reason: `the RuntimeClass configured for these images` };
    skipped =
      rc === undefined
        ? `the RuntimeClass configured for these images, ${configured}, does not exist`
        : `the RuntimeClass configured for these images, ${configured}, has handler ${rc.handler}, which does not run them`;
  }
  const fits = ctx.state.listRuntimeClasses().filter((rc) => handlers.includes(rc.handler));
  if (fits.length === 0) {
    return {
      ok: false,
      reason: `${skipped === '' ? '' : `${skipped}, and `}no RuntimeClass has ${among}`,
      fix: `create a RuntimeClass with ${among} and a scheduling.nodeSelector for the nodes that have its shim, or set imageDetection.classes in wasmgate's config`,
    };
  }
  const choice = rankClasses(fits, among, target, ctx);
  return choice.ok && skipped !== '' ? { ...choice, reason: `${choice.reason}; ${skipped}` } : choice;
}

function chooseAuto(target: PodTarget, ctx: RuleContext): Choice {
  const configured = ctx.config.defaultRuntimeClass;
  let defaultProblem = '';
  if (configured !== '') {
    const rc = ctx.state.getRuntimeClass(configured);
    if (rc !== undefined && isWasmClass(rc, ctx)) return { ok: true, runtimeClass: rc, reason: `the configured default RuntimeClass` };
    defaultProblem =
      rc === undefined
        ? `the configured default RuntimeClass ${configured} does not exist and `
        : `the configured default RuntimeClass ${configured} has handler ${rc.handler}, which is not a Wasm handler, and `;
  }
  const candidates = wasmClasses(ctx);
  const usable = candidates.filter((rc) => classHasUsableNode(rc, ctx, target));
  if (usable.length === 1) {
    const skipped = defaultProblem === '' ? '' : `; ${defaultProblem.replace(/ and $/, '')}`;
    return { ok: true, runtimeClass: usable[0]!, reason: `the only Wasm RuntimeClass with usable nodes${skipped}` };
  }
  if (usable.length > 1) {
    return {
      ok: false,
      reason: `${defaultProblem}${usable.length} Wasm RuntimeClasses have usable nodes (${listNames(
        usable.map((rc) => rc.name),
        5,
      )}), so the choice is ambiguous`,
      fix: `name one in the ${ctx.config.annotations.runtime} annotation, or set defaultRuntimeClass in wasmgate's config`,
    };
  }
  if (candidates.length === 0) {
    return {
      ok: false,
      reason: `${defaultProblem}the cluster has no Wasm RuntimeClass (none has a handler among ${listNames(ctx.config.wasmHandlers, 4)})`,
      fix: 'create a RuntimeClass whose handler is the containerd runtime of your Wasm shim, with a scheduling.nodeSelector for the nodes that have it',
    };
  }
  return {
    ok: false,
    reason:
      candidates.length === 1
        ? `${defaultProblem}the only Wasm RuntimeClass, ${describeClass(candidates[0]!)}, has no Ready, schedulable node this pod tolerates`
        : `${defaultProblem}none of the ${candidates.length} Wasm RuntimeClasses has a Ready, schedulable node this pod tolerates: ${listNames(candidates.map(describeClass), 5)}`,
    fix: `label the nodes that have the shim with the RuntimeClass's nodeSelector, or name a RuntimeClass in ${ctx.config.annotations.runtime}`,
  };
}
