import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCompactor } from '../../src/cluster/compact.js';

describe('the compactor: one full collection after lists', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('lists that end together get one collection, delayMs after the last', () => {
    const gc = vi.fn();
    const c = createCompactor(1000, gc);
    c.listed();
    vi.advanceTimersByTime(600);
    c.listed();
    c.listed();
    vi.advanceTimersByTime(999);
    expect(gc).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(gc).toHaveBeenCalledTimes(1);
    expect(gc).toHaveBeenCalledWith();
    expect(c.runs).toBe(1);
    c.listed(); // a relist later: another
    vi.advanceTimersByTime(1000);
    expect(c.runs).toBe(2);
  });

  it('without --expose-gc nothing happens', () => {
    const c = createCompactor(1000, null);
    c.listed();
    vi.advanceTimersByTime(5000);
    expect(c.runs).toBe(0);
  });

  it('stop() cancels a pending collection', () => {
    const gc = vi.fn();
    const c = createCompactor(1000, gc);
    c.listed();
    c.stop();
    vi.advanceTimersByTime(5000);
    expect(gc).not.toHaveBeenCalled();
  });
});
