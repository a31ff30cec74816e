/** Checks for untrusted JSON (parsed YAML, request bodies, API responses): nothing is assumed. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A map of string → string, dropping entries whose value is not a string. */
export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  // for...in builds no [key, value] pair per entry (a Node may carry tens of thousands of labels)
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const v = value[key];
    if (typeof v === 'string') out[key] = v;
  }
  return out;
}
