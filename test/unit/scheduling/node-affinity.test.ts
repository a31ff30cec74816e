import { describe, expect, it } from 'vitest';
import { matchesAffinity, matchesRequirement, parseGoInt64, parseTerm, requiredAffinityOf } from '../../../src/scheduling/node-affinity.js';

const term = (matchExpressions: unknown[] = [], matchFields: unknown[] = []): unknown => ({ matchExpressions, matchFields });
const expr = (key: string, operator: string, values?: string[]): unknown => ({ key, operator, ...(values ? { values } : {}) });
const spec = (terms: unknown[] | undefined): Record<string, unknown> => ({
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms === undefined ? {} : { nodeSelectorTerms: terms } } },
});

describe('parseGoInt64 (strconv.ParseInt(s, 10, 64))', () => {
  const cases: [string, bigint | undefined][] = [
    ['0', 0n],
    ['42', 42n],
    ['+5', 5n],
    ['-3', -3n],
    ['007', 7n],
    ['9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
    ['9223372036854775808', undefined],
    ['1e3', undefined],
    [' 5', undefined],
    ['5 ', undefined],
    ['0x10', undefined],
    ['1_000', undefined],
    ['', undefined],
    ['+', undefined],
    ['1.5', undefined],
  ];
  it.each(cases)('%j → %s', (s, want) => expect(parseGoInt64(s)).toBe(want));
});

describe('one requirement against node labels', () => {
  const labels = { zone: 'a', gen: '5', big: '9223372036854775807', text: 'abc', empty: '' };
  const cases: [string, unknown, boolean][] = [
    ['In, value listed', expr('zone', 'In', ['a', 'b']), true],
    ['In, value not listed', expr('zone', 'In', ['b']), false],
    ['In, key absent', expr('rack', 'In', ['a']), false],
    ['In, empty value listed', expr('empty', 'In', ['']), true],
    ['NotIn, value listed', expr('zone', 'NotIn', ['a']), false],
    ['NotIn, value not listed', expr('zone', 'NotIn', ['b']), true],
    ['NotIn, key absent matches', expr('rack', 'NotIn', ['a']), true],
    ['Exists', expr('zone', 'Exists'), true],
    ['Exists, absent', expr('rack', 'Exists'), false],
    ['Exists, empty value', expr('empty', 'Exists'), true],
    ['DoesNotExist, absent', expr('rack', 'DoesNotExist'), true],
    ['DoesNotExist, present', expr('zone', 'DoesNotExist'), false],
    ['Gt, greater', expr('gen', 'Gt', ['4']), true],
    ['Gt, equal is not greater', expr('gen', 'Gt', ['5']), false],
    ['Lt, less', expr('gen', 'Lt', ['6']), true],
    ['Lt, equal is not less', expr('gen', 'Lt', ['5']), false],
    ['Gt, int64 max label', expr('big', 'Gt', ['0']), true],
    ['Gt, label not an integer', expr('text', 'Gt', ['0']), false],
    ['Lt, empty label is not an integer', expr('empty', 'Lt', ['10']), false],
    ['Gt, key absent', expr('rack', 'Gt', ['0']), false],
  ];
  it.each(cases)('%s', (_name, raw, want) => {
    const t = parseTerm(term([raw]), 0);
    expect(t.never).toBeUndefined();
    expect(matchesRequirement(t.matchExpressions[0]!, labels)).toBe(want);
  });
});

describe('terms that never match (as upstream parses them)', () => {
  const cases: [string, unknown][] = [
    ['an empty term', term()],
    ['a term that is not an object', 'zone'],
    ['an unknown operator', term([expr('zone', 'Equals', ['a'])])],
    ['In without values', term([expr('zone', 'In', [])])],
    ['Exists with values', term([expr('zone', 'Exists', ['a'])])],
    ['Gt with two values', term([expr('gen', 'Gt', ['1', '2'])])],
    ['Gt with a non-integer', term([expr('gen', 'Gt', ['1.5'])])],
    ['Gt with a signed bound (not a valid label value)', term([expr('gen', 'Gt', ['-1'])])],
    ['Lt with a plus sign', term([expr('gen', 'Lt', ['+5'])])],
    ['an invalid label key', term([expr('bad key', 'Exists')])],
    ['an invalid label value', term([expr('zone', 'In', ['not valid!'])])],
    ['matchFields with Exists', term([], [expr('metadata.name', 'Exists')])],
    ['matchFields In with two names', term([], [expr('metadata.name', 'In', ['a', 'b'])])],
  ];
  it.each(cases)('%s', (_name, raw) => {
    const t = parseTerm(raw, 0);
    expect(t.never).toBeDefined();
    expect(matchesAffinity({ terms: [t] }, 'n1', { zone: 'a', gen: '5' })).toBe(false);
  });
});

describe('required affinity: terms ORed, expressions ANDed, matchFields on metadata.name', () => {
  const labels = { zone: 'a', wasm: 'yes' };
  const cases: [string, Record<string, unknown>, boolean][] = [
    ['no affinity at all', {}, true],
    ['nodeAffinity without required', { affinity: { nodeAffinity: {} } }, true],
    ['required without nodeSelectorTerms matches nothing', spec(undefined), false],
    ['an empty terms list matches nothing', spec([]), false],
    ['one empty term matches nothing', spec([{}]), false],
    ['an empty term ORed with a matching one', spec([{}, term([expr('zone', 'In', ['a'])])]), true],
    ['ANDed: both hold', spec([term([expr('zone', 'In', ['a']), expr('wasm', 'Exists')])]), true],
    ['ANDed: one fails', spec([term([expr('zone', 'In', ['a']), expr('wasm', 'DoesNotExist')])]), false],
    ['ORed: the second term holds', spec([term([expr('zone', 'In', ['b'])]), term([expr('wasm', 'In', ['yes'])])]), true],
    ['a broken term ORed with a matching one', spec([term([expr('zone', 'Gt', ['x'])]), term([expr('wasm', 'Exists')])]), true],
    ['matchFields In this node', spec([term([], [expr('metadata.name', 'In', ['n1'])])]), true],
    ['matchFields In another node', spec([term([], [expr('metadata.name', 'In', ['n2'])])]), false],
    ['matchFields NotIn this node', spec([term([], [expr('metadata.name', 'NotIn', ['n1'])])]), false],
    ['matchFields NotIn another node', spec([term([], [expr('metadata.name', 'NotIn', ['n2'])])]), true],
    ['matchFields AND matchExpressions', spec([term([expr('zone', 'In', ['b'])], [expr('metadata.name', 'In', ['n1'])])]), false],
    ['matchFields on another field', spec([term([], [expr('metadata.uid', 'In', ['n1'])])]), false],
  ];
  it.each(cases)('%s', (_name, s, want) => expect(matchesAffinity(requiredAffinityOf(s), 'n1', labels)).toBe(want));

  it('keeps the term index for messages', () => {
    const a = requiredAffinityOf(spec([{}, term([expr('zone', 'In', ['a'])])]));
    expect(a?.terms.map((t) => t.index)).toEqual([0, 1]);
    expect(a?.terms[0]?.never).toBe('it is empty');
  });
});
