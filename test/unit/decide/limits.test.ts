/** Bounded work per review (issue 10): caps on what is read, on findings, on message lengths. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, RULE_IDS } from '../../../src/config/config.js';
import { mutate, unreadMode, validate } from '../../../src/decide/engine.js';
import { formatSelector } from '../../../src/decide/format.js';
import {
  affinityParts,
  clip,
  FINDINGS_PER_RULE,
  fitItems,
  keepFindings,
  LIST_ITEMS,
  MESSAGE_LENGTH,
  podExcess,
  runtimeClassExcess,
  TOTAL_LENGTH,
} from '../../../src/decide/limits.js';
import { placementFor } from '../../../src/decide/placement.js';
import { countItems, reviewHead, reviewUid, tooManyItems, unreadReview } from '../../../src/review/items.js';
import { config, node, podObject, request, runtimeClass, runtimeClassObject, seedCluster, stateOf } from '../../harness/fixtures.js';
import { podT, workloadObject } from '../helpers.js';

const keyed = (n: number, key: (i: number) => string, value = 'v'): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [key(i), value]));
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('clip', () => {
  it.each([
    ['short text is unchanged', 'hello', 10, 'hello'],
    ['text of exactly max is unchanged', 'x'.repeat(40), 40, 'x'.repeat(40)],
    ['long text says how much was left out', 'x'.repeat(100), 40, `${'x'.repeat(17)}… (83 more characters)`],
    ['counts use thousands separators', 'x'.repeat(20050), 40, `${'x'.repeat(14)}… (20,036 more characters)`],
  ])('%s', (_name, text, max, expected) => {
    expect(clip(text, max)).toBe(expected);
    expect(clip(text, max).length).toBeLessThanOrEqual(max);
  });

  it('never splits a surrogate pair', () => {
    const text = '😀'.repeat(50);
    for (let max = 30; max < 60; max++) {
      const out = clip(text, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    }
  });
});

describe('keepFindings and fitItems', () => {
  it(`keeps ${FINDINGS_PER_RULE} findings and counts the rest`, () => {
    const kept = keepFindings(range(25).map((i) => `problem ${i}`));
    expect(kept).toHaveLength(FINDINGS_PER_RULE + 1);
    expect(kept[FINDINGS_PER_RULE]).toBe(`And 15 more of the same kind, not listed: wasmgate lists at most ${FINDINGS_PER_RULE} per rule.`);
  });

  it('keeps a few findings as they are, and clips a long one', () => {
    expect(keepFindings(['a', 'b'])).toEqual(['a', 'b']);
    const [long] = keepFindings(['y'.repeat(MESSAGE_LENGTH * 3)]);
    expect(long!.length).toBeLessThanOrEqual(MESSAGE_LENGTH);
    expect(long).toMatch(/^y{4000,}… \(8,\d{3} more characters\)$/);
  });

  it('fitItems keeps whole items up to the length and counts the others', () => {
    expect(fitItems(['aaaa', 'bbbb', 'cccc'], 9, (n) => `+${n}`)).toEqual(['aaaa', 'bbbb', '+1']);
    expect(fitItems(['aaaa', 'bbbb'], 9, (n) => `+${n}`)).toEqual(['aaaa', 'bbbb']);
    // the first item is always there, clipped if it must be
    expect(fitItems(['z'.repeat(100), 'b'], 50, (n) => `+${n}`)).toEqual([clip('z'.repeat(100), 50), '+1']);
  });
});

describe('formatSelector lists at most LIST_ITEMS labels', () => {
  it.each([
    [1, 'k0=v'],
    [
      LIST_ITEMS,
      range(LIST_ITEMS)
        .map((i) => `k${i}=v`)
        .join(', '),
    ],
    [
      LIST_ITEMS + 1,
      `${range(LIST_ITEMS)
        .map((i) => `k${i}=v`)
        .join(', ')} and 1 more label`,
    ],
    [20000, `k0=v, k1=v, k10=v, k100=v, k1000=v, k10000=v, k10001=v, k10002=v and 19,992 more labels`],
  ])('%i labels', (n, expected) => {
    expect(formatSelector(keyed(n, (i) => `k${i}`))).toBe(expected);
  });
});

describe('what a pod spec holds, counted against the caps', () => {
  const limits = config().limits;

  it('an ordinary pod is under every cap', () => {
    expect(podExcess(podT({ spec: { nodeSelector: { a: 'b' }, tolerations: [{ operator: 'Exists' }] } }), limits)).toEqual([]);
  });

  it.each([
    ['nodeSelector', { nodeSelector: keyed(129, (i) => `k${i}`) }, 'spec.nodeSelector', 129, 'nodeSelectorEntries'],
    ['tolerations', { tolerations: range(257).map(() => ({ operator: 'Exists' })) }, 'spec.tolerations', 257, 'tolerations'],
    [
      'containers of all three kinds',
      {
        containers: range(200).map((i) => ({ name: `c${i}` })),
        initContainers: range(50).map((i) => ({ name: `i${i}` })),
        ephemeralContainers: range(7).map((i) => ({ name: `e${i}` })),
      },
      'spec.containers (with initContainers and ephemeralContainers)',
      257,
      'containers',
    ],
  ])('%s: one over the cap is named with its count', (_name, spec, fieldPath, count, limit) => {
    expect(podExcess(podT({ spec }), limits)).toEqual([expect.objectContaining({ field: fieldPath, count, limit })]);
  });

  it('exactly at the cap is fine', () => {
    expect(podExcess(podT({ spec: { nodeSelector: keyed(128, (i) => `k${i}`) } }), limits)).toEqual([]);
  });

  it('node affinity counts terms, requirements and values, required and preferred', () => {
    const spec = {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }],
                matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n'] }],
              },
              {},
            ],
          },
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 1, preference: { matchExpressions: [{ key: 'b', operator: 'Exists' }] } },
          ],
        },
      },
    };
    // terms 3, requirements 3, values 3
    expect(affinityParts(spec)).toBe(9);
    expect(affinityParts({ affinity: 'nonsense' })).toBe(0);
    expect(
      affinityParts({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: 'x' } } } }),
    ).toBe(0);
  });

  it('a workload names its template path, and a raised cap is honoured', () => {
    const obj = workloadObject('Deployment', {
      name: 'web',
      spec: { runtimeClassName: 'wasm1', tolerations: range(300).map(() => ({ operator: 'Exists' })) },
    });
    const denied = validate(request(obj), seedCluster(), config());
    expect(denied.message).toContain('spec.template.spec.tolerations has 300 tolerations');
    expect(validate(request(obj), seedCluster(), config({ limits: { tolerations: 300 } })).findings.map((f) => f.rule)).not.toContain(
      'limits',
    );
  });

  it('a RuntimeClass is counted as sent', () => {
    expect(
      runtimeClassExcess(
        runtimeClassObject(
          'big',
          'wasmtime',
          keyed(200, (i) => `k${i}`),
        ),
        config().limits,
      ),
    ).toEqual([expect.objectContaining({ field: 'scheduling.nodeSelector', count: 200, cap: 128 })]);
    expect(runtimeClassExcess({ scheduling: 'x' }, config().limits)).toEqual([]);
  });
});

describe('the engine on a review over a cap (issue 10: 20,000 reserved selector keys)', () => {
  const huge = keyed(20000, (i) => `kubernetes.io/k${i}`);
  const wasmPod = podObject({ name: 'hostile', namespace: 'apps', spec: { runtimeClassName: 'wasm1', nodeSelector: huge } });

  it('denies a Wasm pod with one short [limits] finding naming the field, the count and the cap; no rule runs', () => {
    const r = validate(request(wasmPod), seedCluster(), config());
    expect(r.allowed).toBe(false);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ rule: 'limits', mode: 'enforce' });
    expect(r.message).toContain('spec.nodeSelector has 20,000 entries, over the cap of 128 (limits.nodeSelectorEntries)');
    expect(r.message!.length).toBeLessThanOrEqual(MESSAGE_LENGTH);
  });

  it('leaves a pod that is not Wasm alone, however large', () => {
    const r = validate(request(podObject({ spec: { nodeSelector: huge } })), seedCluster(), config());
    expect(r).toMatchObject({ allowed: true, findings: [], warnings: [] });
  });

  it('takes the strictest mode of the rules it replaces: all of them audit → an audit annotation only', () => {
    const ids = [
      'runtimeclass-assigned',
      'runtimeclass-exists',
      'selector-conflict',
      'reserved-label-keys',
      'nodes-available',
      'runtimeclass-has-selector',
      'daemonset-selects-runtime-nodes',
    ];
    const r = validate(request(wasmPod), seedCluster(), config({ rules: Object.fromEntries(ids.map((id) => [id, 'audit'])) }));
    expect(r.allowed).toBe(true);
    expect(r.auditAnnotations['limits']).toContain('20,000 entries');
  });

  it('mutation does not choose a class for an annotated pod over a cap, and says why', () => {
    const annotated = podObject({ annotations: { 'wasmgate.dev/runtime': 'auto' }, spec: { nodeSelector: huge } });
    const r = mutate(request(annotated), seedCluster(), config());
    expect(r.patch).toBeUndefined();
    expect(r.auditAnnotations['runtimeclass-choice']).toMatch(
      /^none: Pod default\/app is too large for wasmgate to check: spec.nodeSelector has 20,000 entries/,
    );
  });

  it('a RuntimeClass over a cap is denied on CREATE, but can always be deleted', () => {
    const big = runtimeClassObject(
      'big',
      'wasmtime',
      keyed(500, (i) => `k${i}`),
    );
    const created = validate(request(big), stateOf([node('n1')], []), config());
    expect(created.allowed).toBe(false);
    expect(created.message).toContain(
      '[limits] RuntimeClass big is too large for wasmgate to check: scheduling.nodeSelector has 500 entries',
    );
    const deleted = validate(
      request(null, 'DELETE', big),
      stateOf(
        [node('n1')],
        [
          runtimeClass(
            'big',
            'wasmtime',
            keyed(500, (i) => `k${i}`),
          ),
        ],
      ),
      config(),
    );
    expect(deleted.findings.map((f) => f.rule)).not.toContain('limits');
  });

  it('under the caps, one finding per key is kept to FINDINGS_PER_RULE and the total is bounded', () => {
    const many = podObject({
      name: 'many',
      namespace: 'apps',
      // long (invalid) keys and values: each message shows them clipped, and 11 such findings still pass the total
      spec: { runtimeClassName: 'wasm1', nodeSelector: keyed(120, (i) => `kubernetes.io/k${i}-${'k'.repeat(400)}`, 'x'.repeat(5000)) },
    });
    const r = validate(request(many), seedCluster(), config());
    expect(r.allowed).toBe(false);
    expect(r.findings[0]!.message).toContain(`=${'x'.repeat(295)}… (4,705 more characters)`);
    expect(r.findings.filter((f) => f.rule === 'reserved-label-keys')).toHaveLength(FINDINGS_PER_RULE + 1);
    for (const f of r.findings) expect(f.message.length).toBeLessThanOrEqual(MESSAGE_LENGTH);
    expect(r.message!.length).toBeLessThanOrEqual(TOTAL_LENGTH + 100);
    expect(r.message).toMatch(/And \d+ more problems, not listed: wasmgate's messages are limited to 16,384 characters\.$/);
  });
});

describe('an invalid, huge name costs a message no more than a short one (mutation sees objects before the API server validates them)', () => {
  const long = (c: string): string => c.repeat(2 * 1024 * 1024);
  const shown = (c: string): string => `${c.repeat(291)}… (2,096,861 more characters)`;

  it.each([
    ['a rule names the pod', podObject({ name: long('n'), namespace: 'apps', spec: { runtimeClassName: 'wasm9' } }), 'n', 'Pod apps/'],
    [
      'the [limits] finding names the pod',
      podObject({ name: long('n'), namespace: 'apps', spec: { runtimeClassName: 'wasm1', nodeSelector: keyed(200, (i) => `k${i}`) } }),
      'n',
      'Pod apps/',
    ],
    ['the namespace', podObject({ name: 'p', namespace: long('s'), spec: { runtimeClassName: 'wasm9' } }), 's', 'Pod '],
    [
      'a RuntimeClass that does not exist',
      podObject({ name: 'p', namespace: 'apps', spec: { runtimeClassName: long('r') } }),
      'r',
      'names RuntimeClass ',
    ],
  ])('%s', (_name, obj, c, before) => {
    const r = validate(request(obj), seedCluster(), config());
    expect(r.allowed).toBe(false);
    expect(r.message).toContain(`${before}${shown(c)}`);
    expect(r.message!.length).toBeLessThan(2 * MESSAGE_LENGTH);
  });
});

describe('the pod spec is read once per request', () => {
  it('nodeSelector and tolerations are parsed once, frozen, and shared', () => {
    const t = podT({ spec: { nodeSelector: { a: 'b', n: 1 }, tolerations: [{ key: 'k', operator: 'Exists' }, 'junk'] } });
    expect(t.nodeSelector).toEqual({ a: 'b' });
    expect(t.nodeSelector).toBe(t.nodeSelector);
    expect(Object.isFrozen(t.nodeSelector)).toBe(true);
    expect(t.tolerations).toEqual([{ key: 'k', operator: 'Exists' }]);
    expect(t.tolerations).toBe(t.tolerations);
  });

  it('placementFor answers once per request and class', () => {
    const t = podT({ spec: { nodeSelector: { a: 'b' } } });
    const rc = runtimeClass('wasm1', 'wasmtime', { c: 'd' });
    expect(placementFor(t, rc)).toBe(placementFor(t, rc));
    expect(placementFor(t, rc).selector).toEqual({ a: 'b', c: 'd' });
    expect(placementFor(t, undefined)).not.toBe(placementFor(t, rc));
  });

  it('an annotation is read without copying the others; non-string values do not count', () => {
    const t = podT({ annotations: { 'wasmgate.dev/runtime': 'spin', ...keyed(10, (i) => `a${i}`) } });
    expect(t.annotation('wasmgate.dev/runtime')).toBe('spin');
    expect(t.annotation('constructor')).toBeUndefined();
    const odd = podT({ annotations: { x: 1 } as unknown as Record<string, string> });
    expect(odd.annotation('x')).toBeUndefined();
  });
});

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

  it('the 413 message (golden)', async () => {
    await expect(`${tooManyItems(JSON.stringify(range(30000)), 20000)}\n`).toMatchFileSnapshot('../../golden/limits-json-items.txt');
  });
});

describe('reviewUid: the uid of a review that is not parsed', () => {
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
    expect(reviewUid(text, 128)).toBe(uid);
  });

  it('finds the uid JSON.parse would find in any review-shaped JSON', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.dictionary(fc.string(), fc.jsonValue()),
        (before, uid, after) => {
          const text = JSON.stringify({ ...before, request: { ...after, uid } });
          expect(reviewUid(text, 128)).toBe((JSON.parse(text) as { request: { uid: string } }).request.uid);
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
