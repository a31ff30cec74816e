/**
 * How much JSON a body holds, counted before it is parsed (issue 10: bounded work per request).
 *
 * JSON.parse's cost grows with the number of values it builds, not with the bytes: a 7 MiB body
 * of one long string parses in a few milliseconds, the same size as 270,000 selector keys takes
 * hundreds, and blocks every other request meanwhile. A body with more items than
 * config.limits.jsonItems (default 25,000) is not parsed: it is answered from its uid, kind and
 * operation alone (reviewHead, unreadReview), or with a 413 when it has no uid. An
 * AdmissionReview of an ordinary object has a few hundred to a few thousand: the UPDATE of a
 * realistic Node (bench/nodes.ts: 36 labels, 50 images; object and oldObject) has about 800, a
 * 100 KB pod (bench/transport/fixtures) about 3,700.
 *
 * Why 25,000 and not more: what a body costs the main thread is building its objects (src/review/
 * sliced-parse.ts), about 1 µs per item, so this cap bounds it. At 50,000 the densest body under
 * it (1 MiB of selector keys) took up to 45 ms of the main thread's CPU and up to 131 ms to answer
 * under load; at 25,000 (about 640 KiB of such keys) 14-35 ms, and the ordinary p99 under attack
 * fell from 18.6 to 14.3-19.2 ms (bench:adversarial, bench/results.md).
 */
import type { Mode } from '../config/config.js';
import type { AdmissionVerdict } from './response.js';
import { CLOSE_ARRAY, CLOSE_OBJECT, closingQuote, COLON, COMMA, isSpace, OPEN_ARRAY, OPEN_OBJECT, QUOTE, skipSpace } from './json-scan.js';

/**
 * Object members plus array elements in a JSON text (exact for valid JSON: every comma outside a
 * string, plus every non-empty object or array), scanning it once with no allocation. Counting
 * stops past `max`: the answer is then max + 1. Invalid JSON gets some count; JSON.parse rejects it
 * afterwards.
 */
export function countItems(text: string, max: number): number {
  let n = 0;
  const len = text.length;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const j = closingQuote(text, i);
      if (j < 0) return n;
      i = j;
    } else if (c === COMMA) {
      if (++n > max) return n;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      let k = i + 1;
      while (k < len && isSpace(text.charCodeAt(k))) k++;
      if (k < len && text.charCodeAt(k) !== (c === OPEN_ARRAY ? CLOSE_ARRAY : CLOSE_OBJECT) && ++n > max) return n;
    }
  }
  return n;
}

/**
 * An upper bound of countItems(text): every comma, `[` and `{` in the text, strings included,
 * counted up to max + 1. String.prototype.indexOf finds them at native speed: for the review of a
 * 100 KB pod, 55-68 µs against 158-195 µs for countItems' scan in JavaScript (bench/results.md,
 * issue 13 notes); countItems then runs only on the texts this cannot clear.
 */
export function itemBound(text: string, max: number): number {
  let n = 0;
  for (const c of ITEM_MARKS) {
    for (let i = text.indexOf(c); i >= 0; i = text.indexOf(c, i + 1)) if (++n > max) return n;
  }
  return n;
}

const ITEM_MARKS = [',', '[', '{'] as const;

/** Why a body with more than `max` items, or undefined when it has at most `max`. */
export function tooManyItems(text: string, max: number): string | undefined {
  // every item of valid JSON takes at least two characters (a value and a comma or bracket), so a
  // text of up to 2 × max characters cannot hold more: ordinary reviews are not scanned at all
  // (an invalid one is JSON.parse's to refuse, at a cost bounded by its length); of the longer ones,
  // countItems scans only those that the cheaper itemBound cannot clear
  if (text.length <= 2 * max || itemBound(text, max) <= max || countItems(text, max) <= max) return undefined;
  return (
    `the body holds more than ${max.toLocaleString('en-US')} JSON items (object members and array elements), the most ` +
    `wasmgate reads in one AdmissionReview (limits.jsonItems in its config), so it was not parsed; an ordinary ` +
    `AdmissionReview has a few hundred to a few thousand`
  );
}

/** Index just past the string that opens at `i` (a quote), or -1 when it does not close. */
function skipString(text: string, i: number): number {
  const j = closingQuote(text, i);
  return j < 0 ? -1 : j + 1;
}

/** Index just past the value at `i` (any JSON value, nested values skipped by depth), or -1. */
function skipValue(text: string, i: number): number {
  let depth = 0;
  for (let k = i; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c === QUOTE) {
      k = skipString(text, k) - 1;
      if (k < 0) return -1;
      if (depth === 0) return k + 1;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) depth++;
    else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (--depth === 0) return k + 1;
      if (depth < 0) return k;
    } else if (depth === 0 && (c === COMMA || isSpace(c))) return k;
  }
  return depth === 0 ? text.length : -1;
}

/**
 * The members of the object at `i`: calls `member(key, valueStart)` for each, which returns where
 * its value ends (or -1 to give up). Returns the index just past the object, or -1 when the text
 * is not such an object.
 */
function eachMember(text: string, i: number, member: (key: string, at: number) => number): number {
  let k = skipSpace(text, i);
  if (text.charCodeAt(k) !== OPEN_OBJECT) return -1;
  k = skipSpace(text, k + 1);
  if (text.charCodeAt(k) === CLOSE_OBJECT) return k + 1;
  for (;;) {
    if (text.charCodeAt(k) !== QUOTE) return -1;
    const end = skipString(text, k);
    if (end < 0) return -1;
    let key: unknown;
    try {
      key = JSON.parse(text.slice(k, end));
    } catch {
      return -1;
    }
    k = skipSpace(text, end);
    if (text.charCodeAt(k) !== COLON) return -1;
    k = member(String(key), skipSpace(text, k + 1));
    if (k < 0) return -1;
    k = skipSpace(text, k);
    const c = text.charCodeAt(k);
    if (c === CLOSE_OBJECT) return k + 1;
    if (c !== COMMA) return -1;
    k = skipSpace(text, k + 1);
  }
}

/** What is read of a review that is not parsed: enough to answer it, and to know what it was about. */
export interface ReviewHead {
  /** request.uid: a non-empty string of at most the maximum length */
  readonly uid?: string;
  /** request.kind's group and kind */
  readonly group?: string;
  readonly kind?: string;
  /** request.operation */
  readonly operation?: string;
}

/** The longest request.kind or request.operation text that is read (an ordinary one has about 50 characters). */
const HEAD_FIELD_CHARS = 1024;

/** JSON.parse of text[from, to), or undefined when it is longer than `max` characters or not JSON. */
function smallValue(text: string, from: number, to: number, max: number): unknown {
  if (to - from > max) return undefined;
  try {
    return JSON.parse(text.slice(from, to)) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * request.uid, request.kind and request.operation of an AdmissionReview that was not parsed, found
 * by one scan that builds nothing but the keys it passes and these three small values (the last of
 * duplicate keys wins, as in JSON.parse); each is absent when it is not there, not of its type, or
 * too long (a uid of more than `maxUidLength` characters), or the text is not an object. The request
 * object is walked once, member by member (its end is where its members end), so a 7 MiB body costs
 * one pass.
 */
export function reviewHead(text: string, maxUidLength: number): ReviewHead {
  let head: { uid?: string; group?: string; kind?: string; operation?: string } = {};
  const end = eachMember(text, 0, (key, at) => {
    if (key !== 'request') return skipValue(text, at);
    head = {};
    const inner = eachMember(text, at, (name, v) => {
      const stop = skipValue(text, v);
      if (name === 'uid') {
        const value = stop > 0 && text.charCodeAt(v) === QUOTE ? smallValue(text, v, stop, maxUidLength * 6 + 2) : undefined;
        head.uid = typeof value === 'string' && value !== '' && value.length <= maxUidLength ? value : undefined;
      } else if (name === 'operation') {
        const value = stop > 0 ? smallValue(text, v, stop, HEAD_FIELD_CHARS) : undefined;
        head.operation = typeof value === 'string' ? value : undefined;
      } else if (name === 'kind') {
        const value = stop > 0 ? smallValue(text, v, stop, HEAD_FIELD_CHARS) : undefined;
        const gvk = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
        head.group = typeof gvk['group'] === 'string' ? gvk['group'] : undefined;
        head.kind = typeof gvk['kind'] === 'string' ? gvk['kind'] : undefined;
      }
      return stop;
    });
    // a request that is not an object (a string, a number): skipped like any other value
    if (inner < 0) head = {};
    return inner < 0 ? skipValue(text, at) : inner;
  });
  if (end < 0) return {};
  return Object.fromEntries(Object.entries(head).filter(([, v]) => v !== undefined)) as ReviewHead;
}

/**
 * The verdict on a review too large to read. /mutate leaves it unchanged and says why in an audit
 * annotation. /validate gives it one `[limits]` finding in `mode`: the strictest mode of the rules
 * that would have checked it (src/decide/engine.ts, unreadMode), as for an object over an input
 * cap; so a Pod is denied by default and a Node update only warned about. Undefined: no rule would
 * have checked it.
 */
export function unreadReview(endpoint: 'mutate' | 'validate', why: string, mode: Mode | undefined): AdmissionVerdict {
  const text = `${why.charAt(0).toUpperCase()}${why.slice(1)}. Fix: make the object smaller, or have an admin raise limits.jsonItems in wasmgate's config.`;
  if (endpoint === 'mutate') return { allowed: true, warnings: [], auditAnnotations: { 'runtimeclass-choice': `none: ${text}` } };
  if (mode === 'enforce') return { allowed: false, message: `[limits] ${text}`, warnings: [], auditAnnotations: {} };
  if (mode === 'warn') return { allowed: true, warnings: [`[limits] ${text}`], auditAnnotations: {} };
  return { allowed: true, warnings: [], auditAnnotations: mode === 'audit' ? { limits: text } : {} };
}
