/**
 * The decision core: pure functions of (AdmissionRequest, ClusterState, Config) → Decision.
 * No I/O: the HTTP layer decodes and encodes; cluster state answers from memory.
 *
 * Dispatch by the admitted group and kind (src/kinds/registry.ts), to one of three subjects: the
 * pod template of a Pod or workload (targets.ts), a RuntimeClass, a Node. Each rule's checks for
 * that subject and operation run (src/rules/registry.ts).
 */
import type { ClusterState } from '../cluster/types.js';
import { leanNode, leanRuntimeClass } from '../cluster/lean.js';
import type { Config, Mode } from '../config/config.js';
import { handles, kindOf, type Endpoint, type KindRecord } from '../kinds/registry.js';
import { nameOf } from '../objects/metadata.js';
import type { AdmissionRequest } from '../review/envelope.js';
import type { JsonPatchOp } from '../review/response.js';
import { RULES } from '../rules/registry.js';
import type { ImageFacts } from '../images/facts.js';
import { chooseRuntimeClass } from './choose-runtimeclass.js';
import { intentFromImages } from './from-images.js';
import {
  clip,
  count,
  excessMessage,
  fitItems,
  keepFindings,
  LIMITS,
  MESSAGE_LENGTH,
  podExcess,
  runtimeClassExcess,
  TOTAL_LENGTH,
  type Excess,
} from './limits.js';
import { podTarget } from './targets.js';
import type { CheckOf, Decision, Messages, PodTarget, Rule, RuleContext, RuleId, Subject } from './types.js';
import { wasmIntent } from './wasm.js';

export type { Endpoint };

/** The kinds each endpoint decides on; anything else is a misconfigured webhook (the HTTP layer answers 400). */
export function handlesKind(endpoint: Endpoint, group: string, kind: string): boolean {
  return handles(kindOf(group, kind), endpoint);
}

/** The subject a kind's checks are filed under: the pod template for every kind with a pod spec. */
function subjectOf(k: KindRecord): Subject | undefined {
  if (k.podSpec !== undefined) return 'podTemplate';
  return k.kind === 'RuntimeClass' || k.kind === 'Node' ? k.kind : undefined;
}

/** The admitted kind, when `endpoint` decides on it and on this operation. */
function admitted(req: AdmissionRequest, endpoint: Endpoint): KindRecord | undefined {
  const k = kindOf(req.kind.group, req.kind.kind);
  return handles(k, endpoint) && k.admission.operations.includes(req.operation) ? k : undefined;
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

function modeOf(rule: Rule, config: Config): Mode {
  return config.rules[rule.id] ?? rule.defaultMode;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Run, for every rule, its check for this subject and operation (looked up at call time); a
 * throwing rule becomes a finding in its own mode.
 */
function runRules<S extends Subject>(
  ctx: RuleContext,
  subject: S,
  operation: AdmissionRequest['operation'],
  call: (check: CheckOf[S]) => Messages,
  result: EngineResult,
): void {
  for (const rule of RULES) {
    const table = rule.checks[subject] as Partial<Record<AdmissionRequest['operation'], CheckOf[S]>> | undefined;
    const check = table?.[operation];
    if (check === undefined) continue;
    const mode = modeOf(rule, ctx.config);
    let messages: Messages;
    try {
      messages = call(check);
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
    for (const message of keepFindings(messages)) result.findings.push({ rule: rule.id, mode, message });
  }
}

const STRICTNESS: Record<Mode, number> = { audit: 0, warn: 1, enforce: 2 };

/** The strictest mode of the rules with a check for this subject and operation; undefined when none has one. */
function strictestMode(config: Config, subject: Subject, operation: string): Mode | undefined {
  let mode: Mode | undefined;
  for (const rule of RULES) {
    const table = rule.checks[subject] as Partial<Record<string, unknown>> | undefined;
    if (table?.[operation] === undefined) continue;
    const m = modeOf(rule, config);
    if (mode === undefined || STRICTNESS[m] > STRICTNESS[mode]) mode = m;
  }
  return mode;
}

/**
 * The mode of the `[limits]` finding on a review too large to read (src/review/items.ts), from
 * what little was read of it: the strictest of the rules that would have checked it, as for an
 * object over an input cap; enforce when its kind or operation is not known or not one this
 * endpoint decides on (wasmgate does not admit what it has not read); undefined when it is known and
 * no rule would have checked it.
 */
export function unreadMode(
  config: Config,
  endpoint: Endpoint,
  head: { group?: string; kind?: string; operation?: string },
): Mode | undefined {
  const k = head.group === undefined || head.kind === undefined ? undefined : kindOf(head.group, head.kind);
  if (
    !handles(k, endpoint) ||
    head.operation === undefined ||
    !k.admission.operations.includes(head.operation as AdmissionRequest['operation'])
  )
    return 'enforce';
  const subject = subjectOf(k);
  return subject === undefined ? 'enforce' : strictestMode(config, subject, head.operation);
}

/**
 * A subject over a cap (src/decide/limits.ts) is not judged: one `[limits]` finding takes the place
 * of the rules that would have run, in the strictest of their modes (so by default it denies a Wasm
 * pod; with every such rule set to audit, it is only recorded).
 */
function tooLarge(
  config: Config,
  subject: Subject,
  operation: AdmissionRequest['operation'],
  message: string,
  result: EngineResult,
): EngineResult {
  const mode = strictestMode(config, subject, operation);
  if (mode !== undefined) result.findings.push({ rule: LIMITS, mode, message: clip(message, MESSAGE_LENGTH) });
  return settle(result);
}

/** Encode findings by mode: enforce → denial, warn → warnings, audit → audit annotations. */
function settle(result: EngineResult): EngineResult {
  const denials = result.findings.filter((f) => f.mode === 'enforce');
  const warnings: string[] = [];
  for (const f of result.findings) {
    if (f.mode === 'warn') warnings.push(`[${f.rule}] ${f.message}`);
    if (f.mode === 'audit') {
      const previous = result.auditAnnotations[f.rule];
      result.auditAnnotations[f.rule] = clip(previous === undefined ? f.message : `${previous}\n${f.message}`, MESSAGE_LENGTH);
    }
  }
  // every finding is already at most MESSAGE_LENGTH; all of them together are cut at TOTAL_LENGTH
  const notListed = (n: number, what: string): string =>
    `And ${count(n)} more ${what}, not listed: wasmgate's messages are limited to ${count(TOTAL_LENGTH)} characters.`;
  result.warnings.push(...fitItems(warnings, TOTAL_LENGTH, (n) => notListed(n, n === 1 ? 'warning' : 'warnings'), 0));
  if (denials.length > 0) {
    result.allowed = false;
    const items = denials.map((f, i) => `${i + 1}. [${f.rule}] ${f.message}`);
    result.message =
      denials.length === 1
        ? `[${denials[0]!.rule}] ${denials[0]!.message}`
        : `${denials.length} problems:\n${fitItems(items, TOTAL_LENGTH, (n) => notListed(n, n === 1 ? 'problem' : 'problems')).join('\n')}`;
  }
  return result;
}

/** deny: the request is refused; allow: admitted without checks; bare: just the fact */
function notSyncedText(state: ClusterState, outcome: 'deny' | 'allow' | 'bare'): string {
  const base = `wasmgate's view of the cluster is not synced yet (${state.status().detail}), so it cannot check Wasm placement.`;
  return outcome === 'deny' ? `${base} Retry in a few seconds.` : outcome === 'allow' ? `${base} Admitted unchecked.` : base;
}

/** The pod (template) /mutate decides on, if any: the HTTP layer looks up its images first. */
export function mutateTarget(req: AdmissionRequest): PodTarget | undefined {
  const kind = admitted(req, 'mutate');
  return kind === undefined ? undefined : podTarget(kind, req.object, { name: req.name, namespace: req.namespace });
}

/**
 * `facts`: what the images of a pod without marker or runtimeClassName are (image detection,
 * looked up by the HTTP layer before the decision); absent when detection is off, and for a pod
 * over an input cap, which is not looked up (src/decide/from-images.ts says so in its audit).
 */
export function mutate(req: AdmissionRequest, state: ClusterState, config: Config, facts?: ImageFacts): EngineResult {
  const result = allow();
  const kind = admitted(req, 'mutate');
  if (kind === undefined) return result;
  const target = podTarget(kind, req.object, { name: req.name, namespace: req.namespace });
  if (target === undefined) return result;
  const ctx: RuleContext = { state, config };
  // no marker and no runtimeClassName: what the images say, if they were looked up (it may deny)
  const intent = wasmIntent(target, ctx) ?? intentFromImages(target, facts, ctx, result);
  if (intent === undefined || (intent.annotation === undefined && intent.handlers === undefined) || intent.runtimeClassName !== undefined)
    return result;
  const excess = podExcess(target, config.limits);
  if (excess.length > 0) {
    result.auditAnnotations['runtimeclass-choice'] = `none: ${clip(excessMessage({ target }, excess), MESSAGE_LENGTH)}`;
    return result;
  }
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
  const record = kindOf(req.kind.group, req.kind.kind);
  if (!handles(record, 'validate')) return result;
  const subject = subjectOf(record);
  const ctx: RuleContext = { state, config };
  const synced = state.status().synced;
  const op = req.operation;

  if (subject === 'podTemplate') {
    if (!record.admission.operations.includes(op)) return result;
    const target = podTarget(record, req.object, { name: req.name, namespace: req.namespace });
    if (target === undefined) return result;
    const intent = wasmIntent(target, ctx);
    if (intent === undefined) return result;
    const excess: Excess[] = podExcess(target, config.limits);
    if (excess.length > 0) return tooLarge(config, 'podTemplate', op, excessMessage({ target }, excess), result);
    if (!synced) {
      if (config.unsynced === 'deny') return { ...result, allowed: false, message: notSyncedText(state, 'deny') };
      result.warnings.push(notSyncedText(state, 'allow'));
      return result;
    }
    runRules(ctx, 'podTemplate', op, (check) => check(target, intent, ctx), result);
    return settle(result);
  }

  if (!synced) {
    result.warnings.push(notSyncedText(state, 'allow'));
    return result;
  }
  if (!record.admission.operations.includes(op)) return result;

  if (subject === 'RuntimeClass') {
    // counted on the object as sent, before anything is copied; a class being deleted is not
    // judged by its size: deleting an oversized class must stay possible
    const excess = op === 'DELETE' ? [] : runtimeClassExcess(req.object, config.limits);
    const name = nameOf(req.object);
    if (excess.length > 0 && name !== undefined)
      return tooLarge(config, 'RuntimeClass', op, excessMessage({ runtimeClass: name }, excess), result);
    // on DELETE the API server sends the old object; an old server may not: fall back to the cache
    const rc =
      op === 'DELETE'
        ? (leanRuntimeClass(req.oldObject) ?? (req.name === undefined ? undefined : state.getRuntimeClass(req.name)))
        : leanRuntimeClass(req.object);
    if (rc === undefined) return result;
    runRules(ctx, 'RuntimeClass', op, (check) => check(rc, ctx), result);
    return settle(result);
  }

  if (subject === 'Node') {
    // the Node rules read labels by key only (lean.ts: 'lookup'); a rule that walks a Node's
    // labels needs 'checked' here
    const before = leanNode(req.oldObject, 'lookup');
    const after = leanNode(req.object, 'lookup');
    if (before === undefined || after === undefined) return result;
    runRules(ctx, 'Node', op, (check) => check(before, after, ctx), result);
    return settle(result);
  }
  return result;
}
