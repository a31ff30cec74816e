/**
 * What is checked of a body before it may be parsed (issue 10: bounded work per request): that it
 * is UTF-8, and whether it holds more JSON items than wasmgate reads, in which case only its uid is
 * looked for. Pure, so that it can run on a worker thread (src/server/prescan-worker.ts) for a
 * large body as well as on the main one for a small body.
 */
import { reviewHead, tooManyItems, type ReviewHead } from './items.js';
import { planSlices } from './slices.js';

/**
 * The text to parse (with, for a large body, where it can be cut to parse in slices:
 * src/review/slices.ts), or, past the item limit, why not and what could be read of it: the uid to
 * answer to, and the kind and operation (src/review/items.ts, reviewHead).
 */
export type ItemCheck = { readonly text: string; readonly plan?: Int32Array } | { readonly dense: string; readonly head: ReviewHead };

export type Prescan = { readonly utf8: false } | ({ readonly utf8: true } & ItemCheck);

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The text of UTF-8 bytes, or undefined when they are not valid UTF-8 (no replacement characters). */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

export function checkItems(text: string, maxItems: number, maxUidLength: number): ItemCheck {
  const dense = tooManyItems(text, maxItems);
  return dense === undefined ? { text } : { dense, head: reviewHead(text, maxUidLength) };
}

export function prescan(bytes: Uint8Array, maxItems: number, maxUidLength: number): Prescan {
  const text = utf8Text(bytes);
  if (text === undefined) return { utf8: false };
  const checked = checkItems(text, maxItems, maxUidLength);
  if ('dense' in checked) return { utf8: true, ...checked };
  const plan = planSlices(text);
  return plan === undefined ? { utf8: true, text } : { utf8: true, text, plan };
}

/**
 * prescan() as the worker answers it: without the text, which the main thread decodes from the
 * bytes it still holds. Sending a 7 MiB string between threads copies it twice (serialized, then
 * deserialized) and took longer than decoding it again (8-10 ms against 5-7 ms).
 */
export type PrescanVerdict =
  | { readonly utf8: false }
  | ({ readonly utf8: true } & ({ readonly plan?: Int32Array } | { readonly dense: string; readonly head: ReviewHead }));

export function prescanVerdict(bytes: Uint8Array, maxItems: number, maxUidLength: number): PrescanVerdict {
  const p = prescan(bytes, maxItems, maxUidLength);
  if (!p.utf8 || 'dense' in p) return p;
  return p.plan === undefined ? { utf8: true } : { utf8: true, plan: p.plan };
}
