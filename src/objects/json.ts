/** Checks for untrusted JSON (parsed YAML, request bodies, API responses): nothing is assumed. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Distinct keys of large objects built by the sliced parse (src/review/sliced-parse.ts). */
const keyCounts = new WeakMap<object, number>();

export function rememberKeyCount(object: object, keys: number): void {
  keyCounts.set(object, keys);
}

/**
 * How many own enumerable keys an object has: remembered for the large ones the sliced parse
 * built, counted otherwise. Object.keys of a 40,000-key object costs 5 ms (V8 sorts a dictionary's
 * keys), in one block of the event loop.
 */
export function keyCount(value: object): number {
  return keyCounts.get(value) ?? Object.keys(value).length;
}

/** The map with no entries: what stringMap() answers for one (compare with ===). */
export const EMPTY_MAP: Readonly<Record<string, string>> = Object.freeze({});

/**
 * A map of string → string, dropping entries whose value is not a string; EMPTY_MAP when none is
 * left. When every value is a string (as for any label map the API server sends) the object
 * itself comes back, uncopied: a Node may carry tens of thousands of labels, and copying them cost
 * more than the rest of its review (bench/results.md, adversarial reviews). Callers only read it.
 */
export function stringMap(value: unknown): Readonly<Record<string, string>> {
  if (!isRecord(value)) return EMPTY_MAP;
  // for...in builds no [key, value] pair per entry (V8 lists every key when a walk starts, even
  // to break at the first: one walk, not an emptiness check and then another)
  let strings = 0;
  let others = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (typeof value[key] === 'string') strings++;
    else others++;
  }
  if (strings === 0) return EMPTY_MAP;
  if (others === 0 && Object.getPrototypeOf(value) === Object.prototype) return value as Record<string, string>;
  const out: Record<string, string> = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const v = value[key];
    if (typeof v === 'string') out[key] = v;
  }
  return out;
}
