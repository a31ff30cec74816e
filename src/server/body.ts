/**
 * From the bytes of a review to the text that may be parsed (issue 10: bounded work per request).
 *
 * - A small body (up to STEP_BYTES) is decoded by the content-type parser, with a fatal decoder:
 *   invalid UTF-8 is a 400, not replacement characters.
 * - A large one stays bytes until the handler hands it to the prescanner (a worker thread):
 *   decoding, counting its JSON items and, past limits.jsonItems, finding its uid happen off the
 *   main thread, with the plan for parsing it in slices (src/review/slices.ts), and a turn of the
 *   event loop separates what is left (parsing, deciding), so one 7 MiB review never holds the
 *   loop for the sum.
 * - A body with more JSON items than limits.jsonItems is not parsed: it is answered from its uid
 *   alone (src/review/items.ts), or with a 413 when it has none.
 */
import { MAX_UID_LENGTH, notJson, reviewRequest, type AdmissionRequest } from '../review/envelope.js';
import { slicedParse } from '../review/sliced-parse.js';
import { SLICE_CHARS } from '../review/slices.js';
import type { ReviewHead } from '../review/items.js';
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
  /** plan: where a large body can be cut to parse it in slices (src/review/slices.ts) */
  | { readonly text: string; readonly large: boolean; readonly plan?: Int32Array }
  | { readonly status: 400 | 413; readonly message: string }
  /** too many items, answered from the uid (with the kind and operation, when they could be read) */
  | { readonly unread: string; readonly uid: string; readonly head: ReviewHead };

/** The same checks for both: a small body's on the main thread, a large one's on the prescanner's worker. */
export async function bodyText(body: string | Buffer, maxItems: number, prescanner: Prescanner): Promise<BodyText> {
  const large = typeof body !== 'string';
  let checked: ItemCheck;
  if (large) {
    const scan = await prescanner.scan(body, maxItems, MAX_UID_LENGTH);
    if (!scan.utf8) return { status: 400, message: NOT_UTF8 };
    checked = scan;
  } else checked = checkItems(body, maxItems, MAX_UID_LENGTH);
  if ('dense' in checked) {
    const uid = checked.head.uid;
    return uid === undefined ? { status: 413, message: checked.dense } : { unread: checked.dense, uid, head: checked.head };
  }
  if (large) await nextTurn();
  return checked.plan === undefined ? { text: checked.text, large } : { text: checked.text, large, plan: checked.plan };
}

/** decodeReview() for a large body with a plan: parsed in slices, a turn of the event loop apart. */
export async function decodeSliced(text: string, plan: Int32Array): Promise<AdmissionRequest> {
  let parsed: unknown;
  try {
    parsed = await slicedParse(text, plan, nextTurn);
  } catch (err) {
    throw notJson(err);
  }
  return reviewRequest(parsed);
}

/**
 * Start the prescanner's worker and run a synthetic large review through the large-body path
 * (scan, plan, sliced parse) a few times, so that the first real one pays neither the worker's
 * start nor unoptimized code. Measured on a quiet server (wall time of a 489 KiB body of
 * annotations, first one sent after start / later ones): no warm-up 72-107 / 18-27 ms, one run
 * 41-45 ms, five runs 27-32 ms; in bench:adversarial every 100+ ms hostile review was a first one.
 * Called once `serve` listens; never fails.
 */
const WARM_UP_RUNS = 5;

export async function warmLargeBodies(prescanner: Prescanner, maxItems: number): Promise<void> {
  const annotations: Record<string, string> = {};
  for (let i = 0; i * 24 < 2 * SLICE_CHARS; i++) annotations[`example.com/warm-${i}`] = 'v';
  const review = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'warm-up',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'warm-up', annotations }, spec: { containers: [] } },
    },
  });
  try {
    for (let i = 0; i < WARM_UP_RUNS; i++) {
      const body = await bodyText(Buffer.from(review), maxItems, prescanner);
      if ('plan' in body && body.plan !== undefined) await decodeSliced(body.text, body.plan);
    }
  } catch {
    // a warm-up only: the first large review pays what this did not
  }
}
