import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { LabelIndex } from '../../src/cluster/label-index.js';
import type { Labels, NodeInfo } from '../../src/cluster/types.js';
import { node } from '../harness/fixtures.js';

const KEYS = ['a', 'b', 'c', 'kubernetes.io/arch', 'constructor', 'toString'];
const VALUES = ['1', '2', 'yes', ''];
const NAMES = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'];

function lean(name: string, labels: Record<string, string>): NodeInfo {
  return { name, labels: Object.freeze({ ...labels }), taints: [], ready: true, unschedulable: false };
}

const labelsArb = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 4 });
const selectorArb = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 3 });

type Op =
  | { op: 'upsert'; name: string; labels: Record<string, string>; reuse: boolean }
  | { op: 'delete'; name: string }
  | { op: 'clear' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('upsert' as const), name: fc.constantFrom(...NAMES), labels: labelsArb, reuse: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), name: fc.constantFrom(...NAMES) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
);

function has(labels: Labels, key: string, value: string): boolean {
  return Object.hasOwn(labels, key) && labels[key] === value;
}

function bruteMatching(model: Map<string, NodeInfo>, selector: Labels): string[] {
  return [...model.values()]
    .filter((n) => Object.entries(selector).every(([k, v]) => has(n.labels, k, v)))
    .map((n) => n.name)
    .sort();
}

function bruteCount(model: Map<string, NodeInfo>, key: string, value: string): number {
  return [...model.values()].filter((n) => has(n.labels, key, value)).length;
}

/** Apply ops to the index and to a plain Map model. */
function run(ops: Op[]): { index: LabelIndex; model: Map<string, NodeInfo> } {
  const index = new LabelIndex();
  const model = new Map<string, NodeInfo>();
  for (const o of ops) {
    if (o.op === 'upsert') {
      // `reuse`: an update whose labels object is the very one already stored (a status-only change)
      const previous = model.get(o.name);
      const n = o.reuse && previous !== undefined ? { ...previous, ready: !previous.ready } : lean(o.name, o.labels);
      index.upsert(n);
      model.set(o.name, n);
    } else if (o.op === 'delete') {
      expect(index.delete(o.name)).toBe(model.delete(o.name));
    } else {
      index.clear();
      model.clear();
    }
  }
  return { index, model };
}

describe('LabelIndex (property)', () => {
  it('matching(selector) and count(k, v) agree with brute force after any sequence of upserts and deletes', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.array(selectorArb, { minLength: 1, maxLength: 8 }), (ops, selectors) => {
        const { index, model } = run(ops);
        expect(index.size).toBe(model.size);
        for (const name of NAMES) expect(index.get(name)).toBe(model.get(name));
        for (const selector of selectors) {
          const got = [...index.matching(selector)].map((n) => n.name).sort();
          expect(got).toEqual(bruteMatching(model, selector));
        }
        for (const key of KEYS) for (const value of VALUES) expect(index.count(key, value)).toBe(bruteCount(model, key, value));
      }),
      { numRuns: 500 },
    );
  });

  it('matching yields each node at most once and the stored object itself', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), selectorArb, (ops, selector) => {
        const { index, model } = run(ops);
        const got = [...index.matching(selector)];
        expect(new Set(got.map((n) => n.name)).size).toBe(got.length);
        for (const n of got) expect(n).toBe(model.get(n.name));
      }),
      { numRuns: 300 },
    );
  });
});

describe('LabelIndex (examples)', () => {
  const build = () => {
    const index = new LabelIndex();
    index.upsert(node('w1', { wasm: 'yes', zone: 'a' }));
    index.upsert(node('w2', { wasm: 'yes', zone: 'b' }));
    index.upsert(node('p1', { zone: 'a' }));
    return index;
  };
  const names = (it: Iterable<NodeInfo>) => [...it].map((n) => n.name).sort();

  it('an empty selector matches every node', () => {
    expect(names(build().matching({}))).toEqual(['p1', 'w1', 'w2']);
  });

  it('intersects pairs', () => {
    const index = build();
    expect(names(index.matching({ wasm: 'yes' }))).toEqual(['w1', 'w2']);
    expect(names(index.matching({ wasm: 'yes', zone: 'a' }))).toEqual(['w1']);
    expect(names(index.matching({ wasm: 'yes', zone: 'c' }))).toEqual([]);
    expect(names(index.matching({ nope: 'x' }))).toEqual([]);
    expect(names(index.matching({ wasm: 'no' }))).toEqual([]);
  });

  it('counts', () => {
    const index = build();
    expect(index.count('zone', 'a')).toBe(2);
    expect(index.count('wasm', 'yes')).toBe(2);
    expect(index.count('wasm', 'no')).toBe(0);
    expect(index.count('kubernetes.io/hostname', 'w1')).toBe(1);
  });

  it('upsert with changed labels moves the node between postings', () => {
    const index = build();
    index.upsert(node('w1', { zone: 'b' }));
    expect(names(index.matching({ wasm: 'yes' }))).toEqual(['w2']);
    expect(names(index.matching({ zone: 'b' }))).toEqual(['w1', 'w2']);
    expect(index.count('zone', 'a')).toBe(1);
    expect(index.size).toBe(3);
  });

  it('upsert of the same labels object keeps the postings', () => {
    const index = new LabelIndex();
    const n = node('w1', { wasm: 'yes' });
    index.upsert(n);
    index.upsert({ ...n, unschedulable: true });
    expect(index.count('wasm', 'yes')).toBe(1);
    expect(index.get('w1')?.unschedulable).toBe(true);
  });

  it('delete removes from every posting; deleting twice reports false', () => {
    const index = build();
    expect(index.delete('w1')).toBe(true);
    expect(index.delete('w1')).toBe(false);
    expect(index.count('wasm', 'yes')).toBe(1);
    expect(index.count('kubernetes.io/hostname', 'w1')).toBe(0);
    expect(names(index.matching({ zone: 'a' }))).toEqual(['p1']);
    expect(index.get('w1')).toBeUndefined();
  });

  it('clear empties everything', () => {
    const index = build();
    index.clear();
    expect(index.size).toBe(0);
    expect(names(index.matching({}))).toEqual([]);
    expect(index.count('zone', 'a')).toBe(0);
  });

  it('label keys that are Object.prototype names are plain keys', () => {
    const index = new LabelIndex();
    index.upsert(lean('n1', { constructor: 'x' }));
    index.upsert(lean('n2', {}));
    expect(names(index.matching({ constructor: 'x' }))).toEqual(['n1']);
    expect(index.count('toString', 'x')).toBe(0);
  });
});
