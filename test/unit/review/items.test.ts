/**
 * What is read of a review body before, or instead of, parsing it (issue 10: bounded work per
 * request): its JSON items counted, and, past limits.jsonItems, its uid, kind and operation, and
 * the verdict it then gets (src/review/items.ts, and unreadMode in src/decide/engine.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, RULE_IDS } from '../../../src/config/config.js';
import { unreadMode } from '../../../src/decide/engine.js';
import { countItems, itemBound, reviewHead, tooManyItems, unreadReview } from '../../../src/review/items.js';
import { config } from '../../harness/fixtures.js';
import { range } from '../helpers.js';

/** The reference: object members plus array elements, counted on the parsed value. */
function reference(v: unknown): number {
  if (Array.isArray(v)) return v.length + v.reduce((n: number, x) => n + reference(x), 0);
  if (typeof v === 'object' && v !== null) return Object.values(v).reduce((n: number, x) => n + reference(x), Object.keys(v).length);
  return 0;
}

describe('countItems: JSON items counted without parsing', () => {
  it.each([
    ['{}', 0],
    ['[]', 0],
    ['[ ]', 0],
    ['{"a":1,"b":[1,2,3]}', 5],
    ['[[],[],{}]', 3],
    ['{"a,b":"[{,,}]"}', 1],
    ['{"q":"say \\"a,b\\"","r":"\\\\","s":[1]}', 4],
    ['"just, a string"', 0],
  ])('%s → %i', (text, n) => {
    expect(countItems(text, 1e9)).toBe(n);
    expect(reference(JSON.parse(text))).toBe(n);
  });

  it('equals the count on the parsed value for any JSON, compact or indented', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(countItems(JSON.stringify(v), 1e9)).toBe(reference(v));
        expect(countItems(JSON.stringify(v, null, 2), 1e9)).toBe(reference(v));
      }),
      { numRuns: 500 },
    );
  });

  it('stops counting past max', () => {
    const text = JSON.stringify(range(100000));
    expect(countItems(text, 10)).toBe(11);
    expect(tooManyItems(text, 20000)).toContain('more than 20,000 JSON items');
    expect(tooManyItems(JSON.stringify(range(100)), 20000)).toBeUndefined();
  });

  it('valid JSON holds at most half its length in items, so tooManyItems skips scanning texts of up to 2 × max characters', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(countItems(text, Number.MAX_SAFE_INTEGER)).toBeLessThanOrEqual(Math.ceil(text.length / 2));
      }),
      { numRuns: 1000 },
    );
    // the densest valid texts: 10 items in 21 or 22 characters pass max 10, 11 items in 24 do not
    expect(tooManyItems('[0,0,0,0,0,0,0,0,0,0]', 10)).toBeUndefined();
    expect(tooManyItems('[[[[[[[[[[[]]]]]]]]]]]', 10)).toBeUndefined();
    expect(tooManyItems('[[[[[[[[[[[[]]]]]]]]]]]]', 10)).toContain('more than 10 JSON items');
  });

  it('itemBound is never below countItems, for JSON and for any text, and stops past max', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue().map((v) => JSON.stringify(v, null, 1)),
          fc.string({ unit: fc.constantFrom('[', ']', '{', '}', ',', '"', '\\', 'a', ' ') }),
        ),
        (text) => {
          expect(itemBound(text, 1e9)).toBeGreaterThanOrEqual(countItems(text, 1e9));
        },
      ),
      { numRuns: 1000 },
    );
    expect(itemBound(',,,,,,,,,,,,', 5)).toBe(6);
  });

  it('a text whose strings hold many commas is cleared by the exact count, not refused on the bound', () => {
    const text = JSON.stringify({ note: ','.repeat(100), list: [1, 2, 3] });
    expect(itemBound(text, 10)).toBeGreaterThan(10);
    expect(countItems(text, 10)).toBe(5);
    expect(tooManyItems(text, 10)).toBeUndefined();
  });

  it('the 413 message (golden)', async () => {
    await expect(`${tooManyItems(JSON.stringify(range(30000)), 20000)}\n`).toMatchFileSnapshot('../../golden/limits-json-items.txt');
  });
});

describe('reviewHead: the uid, kind and operation of a review that is not parsed', () => {
  const big = (uid: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      kind: { group: '', version: 'v1', kind: 'Pod' },
      object: { spec: { nodeSelector: { 'a"b': '{[,' } } },
      uid,
      operation: 'CREATE',
      ...extra,
    },
  });

  it.each([
    ['compact', JSON.stringify(big('u-1')), 'u-1'],
    ['indented', JSON.stringify(big('u-2'), null, 2), 'u-2'],
    ['escapes in the uid', JSON.stringify(big('a\\"b\u00e9')), 'a\\"b\u00e9'],
    ['the last of duplicate keys wins, as in JSON.parse', '{"request":{"uid":"first","uid":"second"}}', 'second'],
    ['the last request wins', '{"request":{"uid":"a"},"request":{"kind":{}}}', undefined],
    ['a number is not a uid', JSON.stringify(big(7)), undefined],
    ['an empty uid is not one', JSON.stringify(big('')), undefined],
    ['a uid longer than the maximum is not echoed', JSON.stringify(big('x'.repeat(129))), undefined],
    ['no request', '{"kind":"AdmissionReview"}', undefined],
    ['not an object', '[1,2,3]', undefined],
    ['not JSON', '{"request":{"uid":"a"', undefined],
    ['uid outside request', '{"uid":"a","request":{}}', undefined],
  ])('%s', (_name, text, uid) => {
    expect(reviewHead(text, 128).uid).toBe(uid);
  });

  it('finds the uid JSON.parse would find in any review-shaped JSON', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.dictionary(fc.string(), fc.jsonValue()),
        (before, uid, after) => {
          const text = JSON.stringify({ ...before, request: { ...after, uid } });
          expect(reviewHead(text, 128).uid).toBe((JSON.parse(text) as { request: { uid: string } }).request.uid);
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    [
      'kind and operation',
      { kind: { group: 'node.k8s.io', version: 'v1', kind: 'RuntimeClass' }, operation: 'DELETE' },
      { group: 'node.k8s.io', kind: 'RuntimeClass', operation: 'DELETE' },
    ],
    ['a kind that is not an object', { kind: 'Pod', operation: 'CREATE' }, { operation: 'CREATE' }],
    ['an operation that is not a string', { kind: { group: '', kind: 'Node' }, operation: 7 }, { group: '', kind: 'Node' }],
    [
      'a kind longer than it reads (1 KiB)',
      { kind: { group: '', kind: 'Node', pad: 'x'.repeat(1100) }, operation: 'UPDATE' },
      { operation: 'UPDATE' },
    ],
  ])('reviewHead reads %s', (_name, fields, expected) => {
    const text = JSON.stringify({ request: { uid: 'u', object: { big: range(10) }, ...fields } });
    expect(reviewHead(text, 128)).toEqual({ uid: 'u', ...expected });
  });

  it('reviewHead: the last of duplicate keys wins, and a later request replaces all three', () => {
    expect(reviewHead('{"request":{"operation":"CREATE","operation":"UPDATE","uid":"u"}}', 128)).toEqual({ uid: 'u', operation: 'UPDATE' });
    expect(reviewHead('{"request":{"operation":"CREATE","uid":"u"},"request":{"uid":"v"}}', 128)).toEqual({ uid: 'v' });
    expect(reviewHead('{"request":{"operation":"CREATE","uid":"u"', 128)).toEqual({});
  });

  it('the verdicts on a review too large to read (golden)', async () => {
    const why = tooManyItems(JSON.stringify(range(60000)), DEFAULT_CONFIG.limits.jsonItems)!;
    const validateVerdict = unreadReview('validate', why, 'enforce');
    const warned = unreadReview('validate', why, 'warn');
    const mutateVerdict = unreadReview('mutate', why, 'enforce');
    expect(validateVerdict.allowed).toBe(false);
    expect(warned).toMatchObject({ allowed: true, auditAnnotations: {} });
    expect(mutateVerdict).toMatchObject({ allowed: true, warnings: [] });
    await expect(
      `validate: ${validateVerdict.message}\nvalidate, warn: ${warned.warnings.join('\n')}\nmutate audit runtimeclass-choice: ${mutateVerdict.auditAnnotations['runtimeclass-choice']}\n`,
    ).toMatchFileSnapshot('../../golden/limits-unread-review.txt');
    expect(unreadReview('validate', why, 'audit')).toEqual({
      allowed: true,
      warnings: [],
      auditAnnotations: { limits: validateVerdict.message!.slice('[limits] '.length) },
    });
    expect(unreadReview('validate', why, undefined)).toEqual({ allowed: true, warnings: [], auditAnnotations: {} });
  });
});

describe('unreadMode: a review too large to read gets the strictest mode of the rules that would have checked it', () => {
  const pod = { group: '', kind: 'Pod', operation: 'CREATE' };
  const node = { group: '', kind: 'Node', operation: 'UPDATE' };
  it.each([
    ['a Pod CREATE: enforce (denied)', 'validate', pod, {}, 'enforce'],
    ['a Node UPDATE: warn, as node-change-strands-runtimeclass', 'validate', node, {}, 'warn'],
    ['a Node UPDATE with that rule set to enforce', 'validate', node, { 'node-change-strands-runtimeclass': 'enforce' }, 'enforce'],
    ['a Pod CREATE with every rule set to audit', 'validate', pod, Object.fromEntries(RULE_IDS.map((r) => [r, 'audit'])), 'audit'],
    [
      'a RuntimeClass DELETE: warn, as runtimeclass-delete-in-use',
      'validate',
      { group: 'node.k8s.io', kind: 'RuntimeClass', operation: 'DELETE' },
      {},
      'warn',
    ],
    ['a kind that was not read: enforce', 'validate', { operation: 'CREATE' }, {}, 'enforce'],
    ['an operation that was not read: enforce', 'validate', { group: '', kind: 'Pod' }, {}, 'enforce'],
    ['a kind this endpoint does not decide on: enforce', 'validate', { group: 'apps', kind: 'Pod', operation: 'CREATE' }, {}, 'enforce'],
    ['an operation the kind is not admitted for: enforce', 'validate', { group: '', kind: 'Pod', operation: 'DELETE' }, {}, 'enforce'],
  ] as const)('%s', (_name, endpoint, head, rules, mode) => {
    expect(unreadMode(config({ rules }), endpoint, head)).toBe(mode);
  });
});
