/** bench/results.md is shared by several benchmarks: each keeps its own marked section. */
import { describe, expect, it } from 'vitest';
import { keepSections, markedSections, upsertSection } from '../../bench/sections.js';

describe('bench/results.md sections', () => {
  const doc =
    '# Benchmark\n\nbody\n\n<!-- transport:start -->\nT1\n<!-- transport:end -->\n\n<!-- image-detection:start -->\nI1\n<!-- image-detection:end -->\n\n<!-- affinity:begin -->\nA1\n<!-- affinity:end -->\n';

  it('finds the marked sections in order', () => {
    expect(markedSections(doc).map((s) => s.name)).toEqual(['transport', 'image-detection', 'affinity']);
  });

  it('npm run bench rewrites its part and keeps every marked section', () => {
    const out = keepSections('# Benchmark\n\nnew body\n', doc);
    expect(out).toContain('new body');
    expect(out).not.toContain('\nbody\n');
    expect(out).toContain('<!-- transport:start -->\nT1\n<!-- transport:end -->');
    expect(out).toContain('<!-- image-detection:start -->\nI1\n<!-- image-detection:end -->');
    expect(out).toContain('<!-- affinity:begin -->\nA1\n<!-- affinity:end -->');
  });

  it('a benchmark replaces only its own section, or appends it', () => {
    const replaced = upsertSection(doc, 'transport', 'T2');
    expect(replaced).toContain('<!-- transport:start -->\nT2\n<!-- transport:end -->');
    expect(replaced).not.toContain('T1');
    expect(replaced).toContain('I1');
    const appended = upsertSection(doc, 'envelope', 'E1');
    expect(appended.endsWith('<!-- envelope:start -->\nE1\n<!-- envelope:end -->\n')).toBe(true);
    expect(markedSections(appended).map((s) => s.name)).toEqual(['transport', 'image-detection', 'affinity', 'envelope']);
  });
});
