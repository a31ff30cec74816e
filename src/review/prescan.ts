/**
 * What is checked of a large body before it may be parsed (issue 10: bounded work per request):
 * that it is UTF-8, and whether it holds more JSON items than wasmgate reads, in which case only
 * its uid is looked for. Pure, so that it can run on a worker thread (src/server/prescan-worker.ts)
 * as well as on the main one.
 */
import { reviewUid, tooManyItems } from './items.js';

export type Prescan =
  | { readonly utf8: false }
  /** too many items: not to be parsed; `uid` is request.uid when one could be found */
  | { readonly utf8: true; readonly dense: string; readonly uid: string | undefined }
  | { readonly utf8: true; readonly text: string };

const decoder = new TextDecoder('utf-8', { fatal: true });

export function prescan(bytes: Uint8Array, maxItems: number, maxUidLength: number): Prescan {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { utf8: false };
  }
  const dense = tooManyItems(text, maxItems);
  return dense === undefined ? { utf8: true, text } : { utf8: true, dense, uid: reviewUid(text, maxUidLength) };
}
