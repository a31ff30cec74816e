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
import { checkItems, utf8Text, type ItemCheck } from '../review/prescan.js';
import type { Prescanner } from './prescanner.js';

export const STEP_BYTES = 256 * 1024;
export const NOT_UTF8 = 'the body is not valid UTF-8; an AdmissionReview is UTF-8 JSON';

export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** What the content-type parser keeps: the text of a small body, the bytes of a large one. Throws on invalid UTF-8. */
export function parsedBody(bytes: Buffer): string | Buffer {
  if (bytes.length > STEP_BYTES) return bytes;
  const text = utf8Text(bytes);
  if (text === undefined) throw Object.assign(new Error(NOT_UTF8), { statusCode: 400 });
  return text;
}

export type BodyText =
  | { readonly text: string; readonly large: boolean }
  | { readonly status: 400 | 413; readonly message: string }
  /** too many items, answered from the uid */
  | { readonly unread: string; readonly uid: string };

/** The same checks for both: a small body's on the main thread, a large one's on the prescanner's worker. */
export async function bodyText(body: string | Buffer, maxItems: number, prescanner: Prescanner): Promise<BodyText> {
  const large = typeof body !== 'string';
  let checked: ItemCheck;
  if (large) {
    const scan = await prescanner.scan(body, maxItems, MAX_UID_LENGTH);
    if (!scan.utf8) return { status: 400, message: NOT_UTF8 };
    checked = scan;
  } else checked = checkItems(body, maxItems, MAX_UID_LENGTH);
  if ('dense' in checked)
    return checked.uid === undefined ? { status: 413, message: checked.dense } : { unread: checked.dense, uid: checked.uid };
  if (large) await nextTurn();
  return { text: checked.text, large };
}
