/**
 * Bounded work per request (issue 10): what one review may cost, whatever its size.
 *
 * Input caps (configurable, `limits` in the config): how many node selector entries, tolerations,
 * node affinity terms and containers wasmgate reads from one pod spec or RuntimeClass. They are
 * counted before any rule runs; a Wasm pod over a cap gets one `[limits]` finding naming the field,
 * the count and the cap, and no rule runs on it: wasmgate does not judge the placement of a pod it
 * has not read in full. Output caps (fixed): findings kept per rule, the length of one message, of
 * the whole denial and of the warnings. The HTTP layer bounds the rest: a body's JSON items before
 * parsing (src/review/items.ts) and the per-request log line (src/server/input.ts).
 */
import type { Limits } from '../config/config.js';
import { isRecord, keyCount } from '../objects/json.js';
import type { PodTarget } from './types.js';

export type { Limits };

/** The pseudo-rule id of a too-large object's finding: not a rule (nothing to configure), but shown like one. */
export const LIMITS = 'limits';

/** Findings kept per rule and check; the rest are counted in one more finding. */
export const FINDINGS_PER_RULE = 10;
/** One finding's message, and one audit annotation, in characters. */
export const MESSAGE_LENGTH = 4096;
/** The whole denial message, and all warnings together, in characters. */
export const TOTAL_LENGTH = 16384;
/** Label pairs listed in one message before "and N more labels". */
export const LIST_ITEMS = 8;
/**
 * The most of one object name a message shows: a valid name has at most 253 characters, so only
 * an invalid one is clipped (a mutating webhook sees objects before the API server validates them),
 * and a 7 MiB name costs a message no more than a short one.
 */
export const NAME_SHOWN = 320;

/** "a=1, b=2 and 3 more labels": at most LIST_ITEMS items, joined by `sep`, with a count of the rest. */
export function listSome(items: readonly string[], sep: string): string {
  const shown = items.slice(0, LIST_ITEMS).join(sep);
  const rest = items.length - LIST_ITEMS;
  return rest > 0 ? `${shown} and ${count(rest)} more ${rest === 1 ? 'label' : 'labels'}` : shown;
}

/** 20000 → "20,000" */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** `text` cut to at most `max` characters, ending with how much was left out. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const omitted = (rest: number): string => `… (${count(rest)} more characters)`;
  let cut = Math.max(0, max - omitted(text.length).length);
  // do not split a surrogate pair
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return `${text.slice(0, cut)}${omitted(text.length - cut)}`;
}

/**
 * A rule's messages as kept: at most FINDINGS_PER_RULE, each clipped to MESSAGE_LENGTH, and one
 * more message counting the rest.
 */
export function keepFindings(messages: readonly string[]): string[] {
  const kept = messages.slice(0, FINDINGS_PER_RULE).map((m) => clip(m, MESSAGE_LENGTH));
  const rest = messages.length - kept.length;
  if (rest > 0) kept.push(`And ${count(rest)} more of the same kind, not listed: wasmgate lists at most ${FINDINGS_PER_RULE} per rule.`);
  return kept;
}

/**
 * As many whole `items` as fit in `max` characters (at least one, clipped), then `more(n)` for
 * the n left out.
 */
export function fitItems(items: readonly string[], max: number, more: (n: number) => string, separatorLength = 1): string[] {
  const out: string[] = [];
  let used = 0;
  for (const item of items) {
    if (out.length > 0 && used + separatorLength + item.length > max) break;
    const kept = out.length === 0 ? clip(item, max) : item;
    out.push(kept);
    used += kept.length + (out.length > 1 ? separatorLength : 0);
  }
  if (out.length < items.length) out.push(more(items.length - out.length));
  return out;
}

/** The caps on what is read from one pod spec or RuntimeClass (jsonItems is the HTTP layer's, src/review/items.ts). */
export type InputLimit = Exclude<keyof Limits, 'jsonItems'>;

/** One input over its cap. */
export interface Excess {
  /** field path, e.g. spec.nodeSelector */
  readonly field: string;
  /** "entries", "tolerations", ... */
  readonly unit: string;
  readonly count: number;
  readonly cap: number;
  readonly limit: InputLimit;
}

function keys(value: unknown): number {
  return isRecord(value) ? keyCount(value) : 0;
}

function items(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Node affinity, counted as work: every term (required and preferred), each requirement, each value. */
export function affinityParts(spec: Readonly<Record<string, unknown>>): number {
  const affinity = spec['affinity'];
  const node = isRecord(affinity) ? affinity['nodeAffinity'] : undefined;
  if (!isRecord(node)) return 0;
  const required = node['requiredDuringSchedulingIgnoredDuringExecution'];
  const terms = items(isRecord(required) ? required['nodeSelectorTerms'] : undefined);
  const preferred = items(node['preferredDuringSchedulingIgnoredDuringExecution']).map((p) => (isRecord(p) ? p['preference'] : undefined));
  let n = 0;
  for (const term of [...terms, ...preferred]) {
    n++;
    if (!isRecord(term)) continue;
    for (const req of [...items(term['matchExpressions']), ...items(term['matchFields'])]) {
      n++;
      if (isRecord(req)) n += items(req['values']).length;
    }
  }
  return n;
}

function over(out: Excess[], fieldPath: string, unit: string, n: number, limits: Limits, limit: InputLimit): void {
  if (n > limits[limit]) out.push({ field: fieldPath, unit, count: n, cap: limits[limit], limit });
}

/** What of a pod spec is over its cap; counted on the raw spec, before anything is copied. */
export function podExcess(target: PodTarget, limits: Limits): Excess[] {
  const s = target.spec;
  // format.ts's field(), written out: format.ts lists labels with this module's LIST_ITEMS
  const field = (name: string): string => `${target.specField}.${name}`;
  const out: Excess[] = [];
  over(out, field('nodeSelector'), 'entries', keys(s['nodeSelector']), limits, 'nodeSelectorEntries');
  over(out, field('tolerations'), 'tolerations', items(s['tolerations']).length, limits, 'tolerations');
  over(out, field('affinity.nodeAffinity'), 'terms, requirements and values', affinityParts(s), limits, 'affinityTerms');
  const containers = ['containers', 'initContainers', 'ephemeralContainers'].reduce((n, k) => n + items(s[k]).length, 0);
  over(out, `${field('containers')} (with initContainers and ephemeralContainers)`, 'containers', containers, limits, 'containers');
  return out;
}

/** What of a RuntimeClass (as admitted, raw) is over its cap. */
export function runtimeClassExcess(obj: unknown, limits: Limits): Excess[] {
  const scheduling = isRecord(obj) && isRecord(obj['scheduling']) ? obj['scheduling'] : {};
  const out: Excess[] = [];
  over(out, 'scheduling.nodeSelector', 'entries', keys(scheduling['nodeSelector']), limits, 'nodeSelectorEntries');
  over(out, 'scheduling.tolerations', 'tolerations', items(scheduling['tolerations']).length, limits, 'tolerations');
  return out;
}

const FIX: Record<InputLimit, string> = {
  nodeSelectorEntries: 'select nodes by fewer labels (one label that the nodes with the runtime carry is enough)',
  tolerations: 'drop the tolerations it does not need',
  affinityTerms: 'express node affinity with fewer terms and values',
  containers: 'split it into several pods',
};

function describe(e: Excess): string {
  return `${e.field} has ${count(e.count)} ${e.unit}, over the cap of ${count(e.cap)} (limits.${e.limit})`;
}

/** "spec.tolerations has 300 tolerations, over the cap of 256 (limits.tolerations)", joined with "; " */
export function excessFields(excess: readonly Excess[]): string {
  return excess.map(describe).join('; ');
}

function and(parts: readonly string[]): string {
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** The `[limits]` message: which fields, how many, the caps, and the fixes. */
export function excessMessage(subject: { target: PodTarget } | { runtimeClass: string }, excess: readonly Excess[]): string {
  // format.ts's describeTarget(), written out (see podExcess)
  const what =
    'target' in subject
      ? `${subject.target.kind} ${clip(subject.target.namespace, NAME_SHOWN)}/${clip(subject.target.name, NAME_SHOWN)}`
      : `RuntimeClass ${subject.runtimeClass}`;
  const judged = 'target' in subject ? 'this Wasm workload' : 'this RuntimeClass';
  return (
    `${what} is too large for wasmgate to check: ${excessFields(excess)}. wasmgate does not judge ${judged} ` +
    `without reading it in full. Fix: ${excess.map((e) => FIX[e.limit]).join('; ')}; or, if this size is intended, ` +
    `have an admin raise ${and(excess.map((e) => `limits.${e.limit}`))} in wasmgate's config.`
  );
}
