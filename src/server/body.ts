/**
 * From the bytes of a review to the text that may be parsed (issue 10: bounded work per request).
 *
 * - A small body (up to STEP_BYTES) is decoded by the content-type parser, with a fatal decoder:
 *   invalid UTF-8 is a 400, not replacement characters.
 * - A large one stays bytes until the handler hands it to the prescanner (a worker thread):
 *   decoding, counting its JSON items and, past limits.jsonItems, finding its uid happen off the
 *   main thread, and a turn of the event loop separates what is left (parsing, deciding), so one
 *   7 MiB review never holds the loop for the sum.
 * - A body with more JSON items than limits.jsonItems is not parsed: it is answered from its uid
 *   alone (src/review/items.ts), or with a 413 when it has none.
 */
import { MAX_UID_LENGTH } from '../review/envelope.js';
import { reviewUid, tooManyItems } from '../review/items.js';
import type { Prescanner } from './prescanner.js';

export const STEP_BYTES = 256 * 1024;
export const NOT_UTF8 = 'the body is not valid UTF-8; an AdmissionReview is UTF-8 JSON';

export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** What the content-type parser keeps: the text of a small body, the bytes of a large one. Throws on invalid UTF-8. */
export function parsedBody(bytes: Buffer): string | Buffer {
  if (bytes.length > STEP_BYTES) return bytes;
  try {
    return utf8.decode(bytes);
  } catch {
    throw Object.assign(new Error(NOT_UTF8), { statusCode: 400 });
  }
}

export type BodyText =
  | { readonly text: string; readonly large: boolean }
  | { readonly status: 400 | 413; readonly message: string }
  /** too many items, answered from the uid */
  | { readonly unread: string; readonly uid: string };

export async function bodyText(body: string | Buffer, maxItems: number, prescanner: Prescanner): Promise<BodyText> {
  if (typeof body === 'string') {
    const dense = tooManyItems(body, maxItems);
    if (dense === undefined) return { text: body, large: false };
    const uid = reviewUid(body, MAX_UID_LENGTH);
    return uid === undefined ? { status: 413, message: dense } : { unread: dense, uid };
  }
  const scan = await prescanner.scan(body, maxItems, MAX_UID_LENGTH);
  if (!scan.utf8) return { status: 400, message: NOT_UTF8 };
  if ('dense' in scan) return scan.uid === undefined ? { status: 413, message: scan.dense } : { unread: scan.dense, uid: scan.uid };
  await nextTurn();
  return { text: scan.text, large: true };
}
