import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prescan, utf8Text } from '../../../src/review/prescan.js';
import { decodeReview, EnvelopeError } from '../../../src/review/envelope.js';
import { bodyText, decodeSliced, parsedBody, STEP_BYTES, warmLargeBodies } from '../../../src/server/body.js';
import { createPrescanner, type Prescanner } from '../../../src/server/prescanner.js';

/** A prescanner, and how many of its scans each thread answered (its onScan). */
function counted(workerUrl?: URL): { p: Prescanner; answered: { worker: number; main: number } } {
  const answered = { worker: 0, main: 0 };
  return { p: createPrescanner({ ...(workerUrl === undefined ? {} : { workerUrl }), onScan: (thread) => answered[thread]++ }), answered };
}
const NO_WORKER = new URL('file:///nonexistent/prescan-worker.js');

const review = (uid: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid, ...extra } });
const dense = (uid: string | undefined, items: number): string =>
  JSON.stringify({ request: { ...(uid === undefined ? {} : { uid }), object: Array.from({ length: items }, () => 0) } });

describe('prescan: what is checked of a large body before it is parsed', () => {
  it.each([
    ['valid, few items: the text to parse', Buffer.from(review('u-1')), 10, { utf8: true, text: review('u-1') }],
    ['invalid UTF-8', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), 10, { utf8: false }],
    ['too many items, with a uid', Buffer.from(dense('u-2', 50)), 10, { utf8: true, head: { uid: 'u-2' } }],
    ['too many items, no uid', Buffer.from(dense(undefined, 50)), 10, { utf8: true, head: {} }],
  ])('%s', (_name, bytes, max, expected) => {
    expect(prescan(bytes, max, 128)).toMatchObject(expected);
  });
});

describe('utf8Text: what a fatal TextDecoder gives, without its cost', () => {
  const fatal = new TextDecoder('utf-8', { fatal: true });
  const decoded = (bytes: Uint8Array): string | undefined => {
    try {
      return fatal.decode(bytes);
    } catch {
      return undefined;
    }
  };

  it.each([
    ['ASCII', [0x7b, 0x7d], '{}'],
    ['two, three and four bytes', [0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80], 'é€😀'],
    ['a byte order mark is dropped', [0xef, 0xbb, 0xbf, 0x7b, 0x7d], '{}'],
    ['only the first byte order mark', [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], '\ufeff'],
    ['a byte that never starts a character', [0x7b, 0xff, 0x7d], undefined],
    ['an overlong encoding', [0xc0, 0x80], undefined],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80], undefined],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], undefined],
    ['a character cut short', [0x7b, 0xe2, 0x82], undefined],
  ])('%s', (_name, bytes, expected) => {
    expect(utf8Text(Uint8Array.from(bytes))).toBe(expected);
    expect(decoded(Uint8Array.from(bytes))).toBe(expected);
  });

  it('a body past the Latin-1 limit (1,000,000 bytes) decodes the same, ASCII or not', () => {
    const ascii = Buffer.from(`{"a":"${'x'.repeat(1_200_000)}"}`);
    const accented = Buffer.from(`{"a":"${'é'.repeat(600_000)}"}`);
    for (const bytes of [ascii, ascii.subarray(0, 999_999), accented]) expect(utf8Text(bytes)).toBe(decoded(bytes));
  });

  it('equals the fatal decoder on any bytes, any text, and a view into a larger buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(utf8Text(bytes)).toBe(decoded(bytes));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), fc.nat(8), (text, offset) => {
        const encoded = Buffer.from(text);
        const inside = new Uint8Array(encoded.length + offset + 8);
        inside.set(encoded, offset);
        expect(utf8Text(inside.subarray(offset, offset + encoded.length))).toBe(decoded(encoded));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the prescanner: the same answers from its worker thread, or from the main thread when there is none', () => {
  const bodies = [Buffer.from(review('u-3')), Buffer.from(dense('u-4', 500)), Buffer.from([0x7b, 0xff, 0x7d])];

  it('a worker (loaded through tsx under the test runner) answers as prescan() does, also for several at once', async () => {
    const { p, answered } = counted();
    try {
      const answers = await Promise.all(bodies.map((b) => p.scan(b, 100, 128)));
      expect(answers).toEqual(bodies.map((b) => prescan(b, 100, 128)));
      expect(answered).toEqual({ worker: 3, main: 0 });
    } finally {
      await p.close();
    }
  });

  it('one after another, larger then smaller: the shared buffer is reused and its old tail is not read', async () => {
    const { p, answered } = counted();
    // the long one is dense: were its tail read after the short one, the short one would be too
    const long = Buffer.from(dense('u-long', 1_500_000));
    const short = Buffer.from(review('u-short'));
    try {
      for (const b of [long, short, long, short]) expect(await p.scan(b, 100, 128)).toEqual(prescan(b, 100, 128));
      expect(answered).toEqual({ worker: 4, main: 0 });
    } finally {
      await p.close();
    }
  });

  it('a worker that cannot start: the main thread answers', async () => {
    const { p, answered } = counted(NO_WORKER);
    try {
      expect(await p.scan(bodies[1]!, 100, 128)).toEqual(prescan(bodies[1]!, 100, 128));
      expect(answered).toEqual({ worker: 0, main: 1 });
    } finally {
      await p.close();
    }
  });

  it('after close, a new scan starts a new worker', async () => {
    const { p, answered } = counted();
    await p.scan(bodies[0]!, 100, 128);
    await p.close();
    expect(await p.scan(bodies[0]!, 100, 128)).toEqual(prescan(bodies[0]!, 100, 128));
    expect(answered).toEqual({ worker: 2, main: 0 });
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
    const p = createPrescanner({ workerUrl: NO_WORKER });
    expect(await bodyText(body, 10, p)).toMatchObject(expected);
  });
});

describe('a large body to parse comes with a plan for parsing it in slices', () => {
  const selector = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`example.com/k${i}`, 'v']));
  const large = review('u-8', {
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    operation: 'CREATE',
    object: { kind: 'Pod', spec: { nodeSelector: selector } },
  });

  it('the plan decodes to the request decodeReview() reads; a body that is not JSON is a 400 saying so', async () => {
    expect(large.length).toBeGreaterThan(STEP_BYTES);
    const p = createPrescanner({ workerUrl: NO_WORKER });
    const body = await bodyText(Buffer.from(large), 50_000, p);
    expect(body).toMatchObject({ large: true, plan: expect.any(Int32Array) });
    if (!('plan' in body) || body.plan === undefined) throw new Error('no plan');
    expect(await decodeSliced(body.text, body.plan)).toEqual(decodeReview(large));

    // a value that is not JSON, deep in the body: the plan is made (brackets and commas are
    // right), and the slice holding it fails
    const at = large.indexOf(':"v"', 200_000);
    const broken = `${large.slice(0, at)}:v${large.slice(at + 4)}`;
    const brokenBody = await bodyText(Buffer.from(broken), 50_000, p);
    if (!('plan' in brokenBody) || brokenBody.plan === undefined) throw new Error('no plan');
    const err = await decodeSliced(brokenBody.text, brokenBody.plan).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvelopeError);
    expect(err).toMatchObject({
      statusCode: 400,
      // V8's reason, then where in the body: the slice that failed
      message: expect.stringMatching(/^the body is not valid JSON: Unexpected token .+ \(in characters \d+-\d+ of the body\)$/),
    });
  });

  it('the worker sends the plan too', async () => {
    const p = createPrescanner();
    try {
      const answer = await p.scan(Buffer.from(large), 50_000, 128);
      expect(answer).toEqual(prescan(Buffer.from(large), 50_000, 128));
      expect(answer).toMatchObject({ plan: expect.any(Int32Array) });
    } finally {
      await p.close();
    }
  });
});

describe('warmLargeBodies: the worker started, and the large-body path run once, before any review', () => {
  it('scans a synthetic review five times on the worker; with no worker, on the main thread, without failing', async () => {
    const { p, answered } = counted();
    try {
      await warmLargeBodies(p, 50_000);
      expect(answered).toEqual({ worker: 5, main: 0 });
    } finally {
      await p.close();
    }
    const none = counted(NO_WORKER);
    await warmLargeBodies(none.p, 50_000);
    expect(none.answered).toEqual({ worker: 0, main: 5 });
  });
});
