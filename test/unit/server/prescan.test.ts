import { describe, expect, it } from 'vitest';
import { prescan } from '../../../src/review/prescan.js';
import { bodyText, parsedBody, STEP_BYTES } from '../../../src/server/body.js';
import { createPrescanner } from '../../../src/server/prescanner.js';

const review = (uid: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid, ...extra } });
const dense = (uid: string | undefined, items: number): string =>
  JSON.stringify({ request: { ...(uid === undefined ? {} : { uid }), object: Array.from({ length: items }, () => 0) } });

describe('prescan: what is checked of a large body before it is parsed', () => {
  it.each([
    ['valid, few items: the text to parse', Buffer.from(review('u-1')), 10, { utf8: true, text: review('u-1') }],
    ['invalid UTF-8', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), 10, { utf8: false }],
    ['too many items, with a uid', Buffer.from(dense('u-2', 50)), 10, { utf8: true, uid: 'u-2' }],
    ['too many items, no uid', Buffer.from(dense(undefined, 50)), 10, { utf8: true, uid: undefined }],
  ])('%s', (_name, bytes, max, expected) => {
    expect(prescan(bytes, max, 128)).toMatchObject(expected);
  });
});

describe('the prescanner: the same answers from its worker thread, or from the main thread when there is none', () => {
  const bodies = [Buffer.from(review('u-3')), Buffer.from(dense('u-4', 500)), Buffer.from([0x7b, 0xff, 0x7d])];

  it('a worker (loaded through tsx under the test runner) answers as prescan() does, also for several at once', async () => {
    const p = createPrescanner();
    try {
      const answers = await Promise.all(bodies.map((b) => p.scan(b, 100, 128)));
      expect(answers).toEqual(bodies.map((b) => prescan(b, 100, 128)));
      expect(p.answered).toEqual({ worker: 3, mainThread: 0 });
    } finally {
      await p.close();
    }
  });

  it('a worker that cannot start: the main thread answers', async () => {
    const p = createPrescanner({ workerUrl: new URL('file:///nonexistent/prescan-worker.js') });
    try {
      expect(await p.scan(bodies[1]!, 100, 128)).toEqual(prescan(bodies[1]!, 100, 128));
      expect(p.answered).toEqual({ worker: 0, mainThread: 1 });
    } finally {
      await p.close();
    }
  });

  it('after close, a new scan starts a new worker', async () => {
    const p = createPrescanner();
    await p.scan(bodies[0]!, 100, 128);
    await p.close();
    expect(await p.scan(bodies[0]!, 100, 128)).toEqual(prescan(bodies[0]!, 100, 128));
    expect(p.answered).toEqual({ worker: 2, mainThread: 0 });
    await p.close();
  });
});

describe('bodyText: small bodies decoded by the parser, large ones by the prescanner', () => {
  it('the content-type parser keeps bytes only past STEP_BYTES, and refuses invalid UTF-8 with a 400', () => {
    expect(parsedBody(Buffer.from(review('u')))).toBe(review('u'));
    expect(Buffer.isBuffer(parsedBody(Buffer.alloc(STEP_BYTES + 1, 0x20)))).toBe(true);
    expect(() => parsedBody(Buffer.from([0xff]))).toThrow(expect.objectContaining({ statusCode: 400 }));
  });

  it.each([
    ['small text', review('u-5'), { text: review('u-5'), large: false }],
    ['small, too many items, a uid', dense('u-6', 50), { uid: 'u-6' }],
    ['small, too many items, no uid', dense(undefined, 50), { status: 413 }],
    ['large bytes', Buffer.from(review('u-7')), { text: review('u-7'), large: true }],
    ['large, invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), { status: 400 }],
    ['large, too many items, no uid', Buffer.from(dense(undefined, 50)), { status: 413 }],
  ])('%s', async (_name, body, expected) => {
    const p = createPrescanner({ workerUrl: new URL('file:///nonexistent/prescan-worker.js') });
    expect(await bodyText(body, 10, p)).toMatchObject(expected);
  });
});
