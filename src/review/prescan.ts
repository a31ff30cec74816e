/**
 * What is checked of a body before it may be parsed (issue 10: bounded work per request): that it
 * is UTF-8, and whether it holds more JSON items than wasmgate reads, in which case only its uid is
 * looked for. Pure, so that it can run on a worker thread (src/server/prescan-worker.ts) for a
 * large body as well as on the main one for a small body.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { reviewHead, tooManyItems, type ReviewHead } from './items.js';
import { planSlices } from './slices.js';

/**
 * The text to parse (with, for a large body, where it can be cut to parse in slices:
 * src/review/slices.ts), or, past the item limit, why not and what could be read of it: the uid to
 * answer to, and the kind and operation (src/review/items.ts, reviewHead).
 */
export type ItemCheck = { readonly text: string; readonly plan?: Int32Array } | { readonly dense: string; readonly head: ReviewHead };

export type Prescan = { readonly utf8: false } | ({ readonly utf8: true } & ItemCheck);

/**
 * Node makes a Latin-1 string of more bytes than this external (its characters outside V8's heap:
 * EXTERN_APEX, 0xFBEE9, in Node's src/string_bytes.cc). In three alternated pairs of
 * bench:adversarial runs, external strings for large bodies lowered the server's peak RSS (193-207
 * MiB against 218-276 with heap strings) but put the ordinary p99 under attack at 19.2-20.2 ms
 * against 14.3-16.9 (bench/results.md). So a longer body is decoded into a heap string instead.
 */
const LATIN1_MAX = 1_000_000;

/**
 * The text of UTF-8 bytes, or undefined when they are not valid UTF-8 (no replacement characters):
 * what a fatal TextDecoder gives, a leading byte order mark dropped. Checking (simdutf, in isUtf8
 * and isAscii) takes 0.3 ms of a 7 MiB body, and ASCII, what Kubernetes sends unless a value is
 * not, is copied into a string as Latin-1, at a fifth of a decode's cost, up to LATIN1_MAX bytes.
 */
export function utf8Text(bytes: Uint8Array): string | undefined {
  return isUtf8(bytes) ? checkedUtf8Text(bytes) : undefined;
}

/** utf8Text() of bytes already checked with isUtf8 (the prescanner's worker checks a large body). */
export function checkedUtf8Text(bytes: Uint8Array): string {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = view[0] === 0xef && view[1] === 0xbb && view[2] === 0xbf ? 3 : 0;
  return view.toString(view.length <= LATIN1_MAX && isAscii(view) ? 'latin1' : 'utf8', start);
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
