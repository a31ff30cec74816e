/**
 * How much JSON a body holds, counted before it is parsed (issue 10: bounded work per request).
 *
 * JSON.parse's cost grows with the number of values it builds, not with the bytes: a 7 MiB body
 * of one long string parses in a few milliseconds, the same size as 270,000 selector keys takes
 * hundreds, and blocks every other request meanwhile. A body with more items than
 * config.limits.jsonItems (default 50,000) is not parsed: it is answered from its uid alone
 * (reviewUid, unreadReview), or with a 413 when it has none. An
 * AdmissionReview of an ordinary object has a few hundred to a few thousand: the UPDATE of a
 * realistic Node (bench/nodes.ts: 36 labels, 50 images; object and oldObject) has about 800.
 */
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

/** Why a body with more than `max` items, or undefined when it has at most `max`. */
export function tooManyItems(text: string, max: number): string | undefined {
  // every item of valid JSON takes at least two characters (a value and a comma or bracket), so a
  // text of up to 2 × max characters cannot hold more: ordinary reviews are not scanned at all
  // (an invalid one is JSON.parse's to refuse, at a cost bounded by its length)
  if (text.length <= 2 * max || countItems(text, max) <= max) return undefined;
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

/**
 * request.uid of an AdmissionReview that was not parsed, found by one scan that builds nothing but
 * the keys it passes (the last one wins, as in JSON.parse); undefined when there is no string uid
 * of at most `maxLength` characters, or the text is not an object. The request object is walked
 * once, member by member (its end is where its members end), so a 7 MiB body costs one pass.
 */
export function reviewUid(text: string, maxLength: number): string | undefined {
  let uid: string | undefined;
  const end = eachMember(text, 0, (key, at) => {
    if (key !== 'request') return skipValue(text, at);
    uid = undefined;
    const inner = eachMember(text, at, (name, v) => {
      const stop = skipValue(text, v);
      if (name === 'uid' && stop > 0 && text.charCodeAt(v) === QUOTE && stop - v <= maxLength * 6 + 2) {
        try {
          const value: unknown = JSON.parse(text.slice(v, stop));
          uid = typeof value === 'string' && value !== '' && value.length <= maxLength ? value : undefined;
        } catch {
          uid = undefined;
        }
      } else if (name === 'uid') uid = undefined;
      return stop;
    });
    // a request that is not an object (a string, a number): skipped like any other value
    if (inner < 0) uid = undefined;
    return inner < 0 ? skipValue(text, at) : inner;
  });
  return end >= 0 ? uid : undefined;
}

/**
 * The verdict on a review too large to read: /validate denies it (wasmgate does not judge what it
 * has not read), /mutate leaves it unchanged and says why in an audit annotation.
 */
export function unreadReview(endpoint: 'mutate' | 'validate', why: string): AdmissionVerdict {
  const text = `${why.charAt(0).toUpperCase()}${why.slice(1)}. Fix: make the object smaller, or have an admin raise limits.jsonItems in wasmgate's config.`;
  return endpoint === 'mutate'
    ? { allowed: true, warnings: [], auditAnnotations: { 'runtimeclass-choice': `none: ${text}` } }
    : { allowed: false, message: `[limits] ${text}`, warnings: [], auditAnnotations: {} };
}
