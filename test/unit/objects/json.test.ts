import { describe, expect, it } from 'vitest';
import { EMPTY_MAP, stringMap } from '../../../src/objects/json.js';

describe('stringMap', () => {
  it.each([
    ['no map', undefined],
    ['null', null],
    ['an array', ['a']],
    ['an empty map', {}],
    ['no string values', { a: 1, b: null }],
  ])('%s: the shared empty map', (_, value) => {
    expect(stringMap(value)).toBe(EMPTY_MAP);
    expect(Object.isFrozen(EMPTY_MAP)).toBe(true);
  });

  it('a map of strings only comes back itself, uncopied (a Node may carry tens of thousands of labels)', () => {
    const labels = JSON.parse('{"a":"1","b":"2"}') as unknown;
    expect(stringMap(labels)).toBe(labels);
  });

  it('a map with other values comes back as a copy without them', () => {
    const labels = { a: '1', n: 2, b: '2', o: {} };
    const out = stringMap(labels);
    expect(out).not.toBe(labels);
    expect(out).toEqual({ a: '1', b: '2' });
  });

  it('a map whose prototype is not a plain object is copied (its own string entries only)', () => {
    const labels = Object.assign(Object.create({ inherited: 'x' }) as Record<string, string>, { a: '1' });
    expect(stringMap(labels)).toEqual({ a: '1' });
    expect(stringMap(labels)).not.toBe(labels);
  });

  it('a "__proto__" key from JSON stays an ordinary entry', () => {
    const labels = JSON.parse('{"__proto__":"x","a":"1"}') as Record<string, unknown>;
    const out = stringMap(labels);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(out['a']).toBe('1');
  });
});
