/** Bounded work per review (issue 10): caps on what is read, on findings, on message lengths. */
import { describe, expect, it } from 'vitest';
import { mutate, validate } from '../../../src/decide/engine.js';
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
import { config, node, podObject, request, runtimeClass, runtimeClassObject, seedCluster, stateOf } from '../../harness/fixtures.js';
import { podT, range, workloadObject } from '../helpers.js';

const keyed = (n: number, key: (i: number) => string, value = 'v'): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [key(i), value]));

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

  it("placementFor keeps its answers on the request's target, not in a WeakMap the scavenger would keep them alive through", () => {
    const t = podT({ spec: { nodeSelector: { a: 'b' } } });
    const other = podT({ spec: { nodeSelector: { a: 'b' } } });
    const rc = runtimeClass('wasm1', 'wasmtime', { c: 'd' });
    expect(t.placements).toBeUndefined();
    const p = placementFor(t, rc);
    expect(t.placements?.get('true')?.get(rc)).toBe(p);
    expect(placementFor(other, rc)).not.toBe(p);
    expect(other.placements?.get('true')?.get(rc)).not.toBe(p);
  });

  it('an annotation is read without copying the others; non-string values do not count', () => {
    const t = podT({ annotations: { 'wasmgate.dev/runtime': 'spin', ...keyed(10, (i) => `a${i}`) } });
    expect(t.annotation('wasmgate.dev/runtime')).toBe('spin');
    expect(t.annotation('constructor')).toBeUndefined();
    const odd = podT({ annotations: { x: 1 } as unknown as Record<string, string> });
    expect(odd.annotation('x')).toBeUndefined();
  });
});
