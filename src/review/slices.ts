/**
 * Where a large body can be cut so that it is parsed in slices (issue 10: bounded work per
 * request). JSON.parse holds the event loop for as long as it runs, about 15 ms for a 1 MiB body of
 * 40,000 selector keys; in slices of SLICE_CHARS, each turn of the loop parses about a millisecond
 * of it and other reviews are answered in between (src/review/sliced-parse.ts).
 *
 * planSlices() runs on the prescanner's worker: one pass over the text, finding every array and
 * object longer than a slice and where each of its members starts, has its colon and ends. It
 * checks the brackets, colons and commas it passes; whatever it does not check (the members
 * themselves) is checked by JSON.parse on the main thread, so the sliced parse accepts exactly
 * what JSON.parse accepts.
 *
 * The plan is an Int32Array of records, innermost first: [open, close, kind (0 array, 1 object),
 * members, then per member: start, colon (-1 in an array), value start, end (its comma or the
 * closing bracket)]. Starts are at the first non-space character.
 */

import { CLOSE_ARRAY, CLOSE_OBJECT, closingQuote, COLON, COMMA, OPEN_ARRAY, OPEN_OBJECT, QUOTE, skipSpace } from './json-scan.js';

/** The most characters one JSON.parse on the main thread reads of a large body (about 1 ms of work for dense JSON). */
export const SLICE_CHARS = 64 * 1024;

/** Deeper nesting than this gets no plan (the body is then parsed whole): Kubernetes objects nest a few dozen levels. */
export const MAX_PLAN_DEPTH = 256;

/**
 * The plan for `text`, or undefined when it has no container longer than `slice` (parse it whole)
 * or is not well-formed at the level of brackets and delimiters (JSON.parse then says why).
 */
export function planSlices(text: string, slice = SLICE_CHARS): Int32Array | undefined {
  const out: number[] = [];
  // one frame per open container: its bracket, kind, and where its commas and colons start in the shared stacks
  const opens: number[] = [];
  const kinds: number[] = [];
  const commaBase: number[] = [];
  const colonBase: number[] = [];
  const commas: number[] = [];
  const colons: number[] = [];
  let closedTop = false;

  const emit = (open: number, close: number, kind: number, cb: number, lb: number): boolean => {
    let members = commas.length - cb + 1;
    if (skipSpace(text, open + 1) === close) {
      if (members > 1 || colons.length > lb) return false;
      members = 0;
    }
    if (kind === 1 && members > 0 && colons.length - lb !== members) return false;
    out.push(open, close, kind, members);
    for (let m = 0; m < members; m++) {
      const start = skipSpace(text, (m === 0 ? open : commas[cb + m - 1]!) + 1);
      const end = m === members - 1 ? close : commas[cb + m]!;
      const colon = kind === 1 ? colons[lb + m]! : -1;
      // an empty member ("[1, ]") or a colon outside its member: not JSON
      if (start >= end || (kind === 1 && !(colon > start && colon < end))) return false;
      out.push(start, colon, kind === 1 ? skipSpace(text, colon + 1) : start, end);
    }
    return true;
  };

  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const j = closingQuote(text, i);
      if (j < 0) return undefined;
      i = j;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (closedTop || opens.length >= MAX_PLAN_DEPTH) return undefined;
      opens.push(i);
      kinds.push(c === OPEN_OBJECT ? 1 : 0);
      commaBase.push(commas.length);
      colonBase.push(colons.length);
    } else if (c === COMMA) {
      if (opens.length === 0) return undefined;
      commas.push(i);
    } else if (c === COLON) {
      if (kinds[kinds.length - 1] !== 1) return undefined;
      colons.push(i);
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      const open = opens.pop();
      const kind = kinds.pop();
      const cb = commaBase.pop()!;
      const lb = colonBase.pop()!;
      if (open === undefined || kind !== (c === CLOSE_OBJECT ? 1 : 0)) return undefined;
      if (i - open + 1 > slice && !emit(open, i, kind, cb, lb)) return undefined;
      commas.length = cb;
      colons.length = lb;
      if (opens.length === 0) closedTop = true;
    }
  }
  if (opens.length > 0 || out.length === 0) return undefined;
  return Int32Array.from(out);
}
