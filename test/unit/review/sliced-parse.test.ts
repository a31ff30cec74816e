import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planSlices } from '../../../src/review/slices.js';
import { keyCount } from '../../../src/objects/json.js';
import { slicedParse } from '../../../src/review/sliced-parse.js';

const noWait = (): Promise<void> => Promise.resolve();

/** JSON.parse's answer or its failure, as a comparable string ("error" for any SyntaxError). */
function reference(text: string): string {
  try {
    return `ok ${canonical(JSON.parse(text))}`;
  } catch {
    return 'error';
  }
}

/** Own keys in order, values and prototypes: what JSON.stringify would hide (an own "__proto__"). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const proto = Object.getPrototypeOf(v) === Object.prototype ? '' : '!proto';
    return `{${proto}${Object.keys(v)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

async function sliced(text: string, slice: number): Promise<string> {
  const plan = planSlices(text, slice);
  try {
    return `ok ${canonical(plan === undefined ? JSON.parse(text) : await slicedParse(text, plan, noWait, slice))}`;
  } catch (err) {
    expect(err).toBeInstanceOf(SyntaxError);
    return 'error';
  }
}

// texts with what JSON.stringify never writes: duplicate keys, "__proto__", integer-like keys,
// whitespace everywhere, escaped quotes and brackets inside strings
const key = fc.constantFrom('a', 'b', '__proto__', '1', '0', 'k\\"}', '[', 'constructor');
const space = fc.constantFrom('', ' ', '\n\t ');
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify(v)),
    fc
      .array(fc.tuple(space, tie('value'), space), { maxLength: 12 })
      .map((items) => `[${items.map(([a, v, b]) => `${a}${v}${b}`).join(',')}]`),
    fc
      .array(fc.tuple(key, space, tie('value')), { maxLength: 12 })
      .map((members) => `{${members.map(([k, s, v]) => `${s}${JSON.stringify(k)}${s}:${s}${v}`).join(',')}}`),
  ),
})).value;

describe('slicedParse', () => {
  it('equals JSON.parse on generated valid texts, whatever the slice size', async () => {
    await fc.assert(
      fc.asyncProperty(jsonText, fc.integer({ min: 1, max: 64 }), async (text, slice) => {
        expect(await sliced(text, slice)).toBe(reference(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts exactly what JSON.parse accepts: texts cut, spliced and with a character changed', async () => {
    const broken = fc
      .tuple(jsonText, fc.nat(), fc.nat(), fc.constantFrom(',', ':', '[', ']', '{', '}', '"', ' ', 'x', '', '1'))
      .map(([t, a, b, c]) => {
        const i = t.length === 0 ? 0 : a % t.length;
        const j = Math.min(t.length, i + (b % 3));
        return `${t.slice(0, i)}${c}${t.slice(j)}`;
      });
    await fc.assert(
      fc.asyncProperty(broken, fc.integer({ min: 1, max: 48 }), async (text, slice) => {
        expect(await sliced(text, slice)).toBe(reference(text));
      }),
      { numRuns: 4000 },
    );
  });

  it.each([
    ['a trailing comma in a large array', '[ [1,2,3,4,5,6,7,8,9], ]'],
    ['a missing comma between large values', '[[1,2,3,4,5,6,7,8,9] [1,2,3,4,5,6,7,8,9]]'],
    ['text after the value', '[1,2,3,4,5,6,7,8,9,10,11,12] x'],
    ['a second value', '[1,2,3,4,5,6,7,8,9,10,11,12] [1]'],
    ['a member without a colon', '{"a":[1,2,3,4,5,6,7,8,9,10],"b"}'],
    ['a number as a key', '{1:[1,2,3,4,5,6,7,8,9,10]}'],
    ['an unclosed string', '{"a":[1,2,3,4,5,6,7,8,9,10],"b'],
  ])('refuses %s, as JSON.parse does', async (_why, text) => {
    expect(reference(text)).toBe('error');
    expect(await sliced(text, 8)).toBe('error');
  });

  it('yields between slices, and knows the key count of the large objects it builds', async () => {
    const selector = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`example.com/k${i}`, 'v']));
    const text = JSON.stringify({ request: { object: { spec: { nodeSelector: { ...selector, 'example.com/k0': 'last' } } } } });
    const plan = planSlices(text, 4096);
    expect(plan).toBeDefined();
    let turns = 0;
    const parsed = (await slicedParse(text, plan!, async () => void turns++, 4096)) as {
      request: { object: { spec: { nodeSelector: Record<string, string> } } };
    };
    expect(turns).toBeGreaterThanOrEqual(Math.floor(text.length / 4096) - 1);
    expect(turns).toBeLessThanOrEqual(Math.ceil(text.length / 4096) + 1);
    const built = parsed.request.object.spec.nodeSelector;
    expect(canonical(parsed)).toBe(canonical(JSON.parse(text)));
    expect(keyCount(built)).toBe(5000);
    expect(keyCount({ a: 1, b: 2 })).toBe(2);
  });

  it('makes no plan for a small text, or for nesting deeper than it follows', () => {
    expect(planSlices('{"a":[1,2,3]}', 1024)).toBeUndefined();
    expect(planSlices(`${'['.repeat(300)}${']'.repeat(300)}`, 8)).toBeUndefined();
  });
});
