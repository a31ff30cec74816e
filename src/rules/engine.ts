/**
 * The decision core: pure functions of (AdmissionRequest, ClusterState, Config) → Decision.
 * No I/O: the HTTP layer decodes and encodes; cluster state answers from memory.
 *
 * Dispatch by the admitted kind: pods and pod templates (targets.ts), RuntimeClasses, Nodes.
 */
import type { ClusterState } from '../cluster/types.js';
import { leanNode, leanRuntimeClass } from '../cluster/lean.js';
import type { Config, Mode } from '../config/config.js';
import { chooseRuntimeClass } from './choose-runtimeclass.js';
import { RULES } from './index.js';
import { handlesPods, podTarget } from './targets.js';
import type { AdmissionRequest, Decision, Finding, JsonPatchOp, Messages, Rule, RuleContext, RuleId } from './types.js';
import { wasmIntent } from './wasm.js';

export type Endpoint = 'mutate' | 'validate';

/** The kinds each endpoint decides on; anything else is a misconfigured webhook (the HTTP layer answers 400). */
export function handlesKind(endpoint: Endpoint, kind: string): boolean {
  if (handlesPods(kind)) return true;
  return endpoint === 'validate' && (kind === 'RuntimeClass' || kind === 'Node');
}

export interface RuleError {
  rule: RuleId | 'choose-runtimeclass';
  error: unknown;
}

export interface EngineResult extends Decision {
  /** rules that threw: logged by the caller; the decision already accounts for them */
  errors: RuleError[];
}

function allow(): EngineResult {
  return { allowed: true, warnings: [], auditAnnotations: {}, findings: [], errors: [] };
}

export function modeOf(rule: Rule, config: Config): Mode {
  return config.rules[rule.id] ?? rule.defaultMode;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Run one checker of every rule that has it; a throwing rule becomes an enforced finding. */
function runRules(ctx: RuleContext, pick: (rule: Rule) => (() => Messages) | undefined, result: EngineResult): void {
  for (const rule of RULES) {
    const check = pick(rule);
    if (check === undefined) continue;
    const mode = modeOf(rule, ctx.config);
    let messages: Messages;
    try {
      messages = check();
    } catch (error) {
      // the rule's own mode applies: a failing warn/audit rule must not start denying
      result.errors.push({ rule: rule.id, error });
      result.findings.push({
        rule: rule.id,
        mode,
        message: `wasmgate's rule ${rule.id} failed (an internal error; please report it): ${errorText(error)}`,
      });
      continue;
    }
    for (const message of messages) result.findings.push({ rule: rule.id, mode, message });
  }
}

/** Encode findings by mode: enforce → denial, warn → warnings, audit → audit annotations. */
function settle(result: EngineResult): EngineResult {
  const denials = result.findings.filter((f) => f.mode === 'enforce');
  for (const f of result.findings) {
    if (f.mode === 'warn') result.warnings.push(`[${f.rule}] ${f.message}`);
    if (f.mode === 'audit') {
      const previous = result.auditAnnotations[f.rule];
      result.auditAnnotations[f.rule] = previous === undefined ? f.message : `${previous}\n${f.message}`;
    }
  }
  if (denials.length > 0) {
    result.allowed = false;
    result.message =
      denials.length === 1
        ? `[${denials[0]!.rule}] ${denials[0]!.message}`
        : `${denials.length} problems:\n${denials.map((f, i) => `${i + 1}. [${f.rule}] ${f.message}`).join('\n')}`;
  }
  return result;
}

/** deny: the request is refused; allow: admitted without checks; bare: just the fact */
function notSyncedText(state: ClusterState, outcome: 'deny' | 'allow' | 'bare'): string {
  const base = `wasmgate's view of the cluster is not synced yet (${state.status().detail}), so it cannot check Wasm placement.`;
  return outcome === 'deny' ? `${base} Retry in a few seconds.` : outcome === 'allow' ? `${base} Admitted unchecked.` : base;
}

/** Pods are checked on CREATE (their spec is immutable after); pod templates on CREATE and UPDATE. */
function podOperation(kind: string, op: AdmissionRequest['operation']): boolean {
  return op === 'CREATE' || (op === 'UPDATE' && kind !== 'Pod');
}

export function mutate(req: AdmissionRequest, state: ClusterState, config: Config): EngineResult {
  const result = allow();
  const kind = req.kind.kind;
  if (!handlesPods(kind) || !podOperation(kind, req.operation)) return result;
  const target = podTarget(kind, req.object, { name: req.name, namespace: req.namespace });
  if (target === undefined) return result;
  const ctx: RuleContext = { state, config };
  const intent = wasmIntent(target, ctx);
  if (intent === undefined || intent.annotation === undefined || intent.runtimeClassName !== undefined) return result;
  if (!state.status().synced) {
    result.auditAnnotations['runtimeclass-choice'] = `none: ${notSyncedText(state, 'bare')}`;
    return result;
  }
  try {
    const choice = chooseRuntimeClass(target, intent, ctx);
    if (choice.ok) {
      const patch: JsonPatchOp[] = [{ op: 'add', path: `${target.specPointer}/runtimeClassName`, value: choice.runtimeClass.name }];
      result.patch = patch;
      result.auditAnnotations['runtimeclass-choice'] = `${choice.runtimeClass.name}: ${choice.reason}`;
    } else {
      result.auditAnnotations['runtimeclass-choice'] = `none: ${choice.reason}`;
    }
  } catch (error) {
    result.errors.push({ rule: 'choose-runtimeclass', error });
    result.auditAnnotations['runtimeclass-choice'] = `none: wasmgate failed to choose: ${errorText(error)}`;
  }
  return result;
}

export function validate(req: AdmissionRequest, state: ClusterState, config: Config): EngineResult {
  const result = allow();
  const kind = req.kind.kind;
  const ctx: RuleContext = { state, config };
  const synced = state.status().synced;

  if (handlesPods(kind)) {
    if (!podOperation(kind, req.operation)) return result;
    const target = podTarget(kind, req.object, { name: req.name, namespace: req.namespace });
    if (target === undefined) return result;
    const intent = wasmIntent(target, ctx);
    if (intent === undefined) return result;
    if (!synced) {
      if (config.unsynced === 'deny') return { ...result, allowed: false, message: notSyncedText(state, 'deny') };
      result.warnings.push(notSyncedText(state, 'allow'));
      return result;
    }
    runRules(ctx, (r) => (r.pod === undefined ? undefined : () => r.pod!(target, intent, ctx)), result);
    return settle(result);
  }

  if (!synced) {
    result.warnings.push(notSyncedText(state, 'allow'));
    return result;
  }

  if (kind === 'RuntimeClass') {
    if (req.operation === 'DELETE') {
      const rc = leanRuntimeClass(req.oldObject) ?? (req.name === undefined ? undefined : state.getRuntimeClass(req.name));
      if (rc === undefined) return result;
      runRules(ctx, (r) => (r.runtimeClassDelete === undefined ? undefined : () => r.runtimeClassDelete!(rc, ctx)), result);
    } else if (req.operation === 'CREATE' || req.operation === 'UPDATE') {
      const rc = leanRuntimeClass(req.object);
      if (rc === undefined) return result;
      runRules(ctx, (r) => (r.runtimeClass === undefined ? undefined : () => r.runtimeClass!(rc, ctx)), result);
    }
    return settle(result);
  }

  if (kind === 'Node' && req.operation === 'UPDATE') {
    const before = leanNode(req.oldObject);
    const after = leanNode(req.object);
    if (before === undefined || after === undefined) return result;
    runRules(ctx, (r) => (r.nodeUpdate === undefined ? undefined : () => r.nodeUpdate!(before, after, ctx)), result);
    return settle(result);
  }
  return result;
}
