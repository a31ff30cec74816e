import { describe, expect, it } from 'vitest';
import { equivalentSpin } from '../../bench/transport/calibrate-report.js';

// a curve as bench:transport:calibrate measures it: ratio falls as the null webhook's busy-wait grows
const curve = [
  { spinUs: 0, ratio: 1 },
  { spinUs: 10, ratio: 0.86 },
  { spinUs: 20, ratio: 0.73 },
  { spinUs: 50, ratio: 0.6 },
];

describe('equivalentSpin: a ratio read as extra microseconds per review', () => {
  it.each([
    ['on a point', 0.73, { us: 20 }],
    ['between two points, linearly', 0.665, { us: 35 }],
    ['between the plain null webhook and the first spin', 0.93, { us: 5 }],
    ['the plain null webhook itself', 1, { us: 0 }],
    ['faster than the null webhook', 1.05, { below: 0 }],
    ['slower than the last point', 0.5, { beyond: 50 }],
  ] as const)('%s (%s)', (_name, ratio, expected) => {
    const got = equivalentSpin(curve, ratio);
    if ('us' in expected) expect((got as { us: number }).us).toBeCloseTo(expected.us, 6);
    else expect(got).toEqual(expected);
  });

  it('a noisy curve is read at its first crossing, and the order of the points does not matter', () => {
    const noisy = [
      { spinUs: 0, ratio: 1 },
      { spinUs: 10, ratio: 0.7 },
      { spinUs: 20, ratio: 0.8 },
      { spinUs: 30, ratio: 0.6 },
    ];
    // 0.75 is crossed between 0 and 10, again between 10 and 20 and between 20 and 30: the first counts
    expect((equivalentSpin(noisy, 0.75) as { us: number }).us).toBeCloseTo(25 / 3, 6);
    expect(equivalentSpin([...curve].reverse(), 0.73)).toEqual({ us: 20 });
  });
});
