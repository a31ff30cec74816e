/**
 * The API transport: GET a JSON document, list a collection page by page, open a watch stream.
 * Used by the live cache's reflector loops (reflector.ts) and by the audit's listing.
 *
 * @kubernetes/client-node's Watch is not used: it hands out its abort controller only once
 * response headers arrive (a stalled API server makes shutdown hang) and its own request timeout
 * is overwritten; the streams here are aborted at any point. Credentials come from kubeconfig.ts.
 */
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isRecord, str } from '../objects/json.js';
import type { ApiAccess } from './kubeconfig.js';

/** 410 Gone: the resourceVersion asked for was compacted away; relist. */
export class GoneError extends Error {}

/** The most of an error answer kept (a Status object is a few hundred bytes). */
export const ERROR_BODY_LIMIT = 4096;

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    /** the answer's body (a Status object, usually), at most ERROR_BODY_LIMIT characters */
    readonly body = '',
  ) {
    super(message);
  }
}

/**
 * GET a JSON document from the API server. The body is decoded to a string as it arrives: a list
 * page of nodes is megabytes, and collecting Buffers to concatenate and decode at the end kept
 * three copies alive and left tens of MiB in the malloc heap (bench/results.md).
 */
async function getJson(api: ApiAccess, path: string, signal: AbortSignal): Promise<unknown> {
  const url = new URL(api.server + path);
  const opts = await api.requestOptions();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ...opts, signal }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode === 410) return reject(new GoneError(`410 Gone: ${path}`));
        if (res.statusCode !== 200)
          return reject(
            new HttpError(
              res.statusCode ?? 0,
              `GET ${path}: HTTP ${res.statusCode}: ${body.slice(0, 300)}`,
              body.slice(0, ERROR_BODY_LIMIT),
            ),
          );
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(new Error(`GET ${path}: invalid JSON: ${(err as Error).message}`));
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * List `path` page by page, handing each item to `onItem` before the next page is fetched (so full
 * objects never accumulate). Resolves with the list's resourceVersion.
 */
export async function listPages(
  api: ApiAccess,
  path: string,
  pageSize: number,
  signal: AbortSignal,
  onItem: (item: unknown) => void,
): Promise<string | undefined> {
  let cont: string | undefined;
  let rv: string | undefined;
  do {
    const q = new URLSearchParams({ limit: String(pageSize) });
    if (cont !== undefined) q.set('continue', cont);
    const page = await getJson(api, `${path}?${q}`, signal);
    if (!isRecord(page) || !Array.isArray(page['items'])) throw new Error(`${path}: list without items`);
    for (const item of page['items']) onItem(item);
    const meta = isRecord(page['metadata']) ? page['metadata'] : {};
    cont = str(meta['continue']) || undefined;
    rv = str(meta['resourceVersion']);
  } while (cont !== undefined);
  return rv;
}

/** Open a streaming GET (a watch); resolves with the response once headers arrive. */
export async function openStream(api: ApiAccess, path: string, signal: AbortSignal): Promise<IncomingMessage> {
  const url = new URL(api.server + path);
  const opts = await api.requestOptions();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ...opts, signal }, resolve);
    req.on('error', reject);
    req.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
    req.end();
  });
}
