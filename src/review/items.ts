/**
 * How much JSON a body holds, counted before it is parsed (issue 10: bounded work per request).
 *
 * JSON.parse's cost grows with the number of values it builds, not with the bytes: a 7 MiB body
 * of one long string parses in a few milliseconds, the same size as 270,000 selector keys takes
 * hundreds, and blocks every other request meanwhile. A body with more items than
 * config.limits.jsonItems (default 20,000) is refused with a 413 before JSON.parse sees it. An
 * AdmissionReview of an ordinary object has a few hundred to a few thousand: the UPDATE of a
 * realistic Node (bench/nodes.ts: 36 labels, 50 images; object and oldObject) has about 800.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

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
      // jump to the closing quote: the one preceded by an even run of backslashes
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return n;
        let b = j - 1;
        while (text.charCodeAt(b) === BACKSLASH) b--;
        if ((j - 1 - b) % 2 === 0) break;
      }
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

/** The 413 answer to a body with more than `max` items, or undefined when it has at most `max`. */
export function tooManyItems(text: string, max: number): string | undefined {
  if (countItems(text, max) <= max) return undefined;
  return (
    `the body holds more than ${max.toLocaleString('en-US')} JSON items (object members and array elements), the most ` +
    `wasmgate reads in one AdmissionReview (limits.jsonItems in its config), so it was not parsed; an ordinary ` +
    `AdmissionReview has a few hundred to a few thousand`
  );
}
