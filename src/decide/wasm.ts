/** Is this pod (template) a WebAssembly workload, and what does it ask for? */
import type { RuntimeClassInfo } from '../cluster/types.js';
import { str } from '../objects/json.js';
import type { PodTarget, RuleContext, WasmIntent } from './types.js';

function isWasmHandler(handler: string, ctx: RuleContext): boolean {
  return ctx.config.wasmHandlers.includes(handler);
}

export function isWasmClass(rc: RuntimeClassInfo, ctx: RuleContext): boolean {
  return isWasmHandler(rc.handler, ctx);
}

export function wasmClasses(ctx: RuleContext): RuntimeClassInfo[] {
  return ctx.state.listRuntimeClasses().filter((rc) => isWasmClass(rc, ctx));
}

export function runtimeClassName(target: PodTarget): string | undefined {
  const name = str(target.spec['runtimeClassName']);
  return name === undefined || name === '' ? undefined : name;
}

/**
 * The Wasm intent of a pod target, or undefined when it is not a Wasm workload. A target is Wasm
 * when it carries a marker annotation, or its runtimeClassName names a RuntimeClass with a Wasm
 * handler or a RuntimeClass that does not exist.
 */
export function wasmIntent(target: PodTarget, ctx: RuleContext): WasmIntent | undefined {
  const rcName = runtimeClassName(target);
  const { runtime, wasmVariant } = ctx.config.annotations;
  const withName = rcName === undefined ? {} : { runtimeClassName: rcName };
  const value = target.annotations[runtime];
  if (value !== undefined) return { annotation: runtime, value: value.trim(), ...withName };
  for (const key of wasmVariant) {
    if (target.annotations[key] !== undefined) return { annotation: key, value: '', ...withName };
  }
  if (rcName === undefined) return undefined;
  const rc = ctx.state.getRuntimeClass(rcName);
  // A class that does not exist may well be a Wasm class that was never created (k3s names its
  // classes after their handlers): report it rather than guess. Only an existing class with a
  // handler that is not Wasm (runc, gVisor, kata) makes the pod none of wasmgate's business.
  if (rc === undefined || isWasmClass(rc, ctx)) return { runtimeClassName: rcName };
  return undefined;
}

/** "annotated wasmgate.dev/runtime=spin" or "using RuntimeClass wasm1" */
export function describeIntent(intent: WasmIntent): string {
  if (intent.annotation !== undefined) {
    return intent.value === '' ? `annotated ${intent.annotation}` : `annotated ${intent.annotation}=${intent.value}`;
  }
  return `using RuntimeClass ${intent.runtimeClassName ?? '(none)'}`;
}
