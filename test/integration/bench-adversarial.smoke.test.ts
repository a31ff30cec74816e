/**
 * A smoke run of `npm run bench:adversarial` (bench/adversarial.ts): bodies of 64 KiB only, one
 * pass, one second of ordinary load alone, the section written to a temp file. Checks that both
 * servers (the built wasmgate and the null webhook) run every phase and that the section holds
 * each of their figures; no figure is judged (nothing here depends on machine speed).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { benchSmoke } from '../harness/bench.js';

const { dir, runBench } = benchSmoke(180_000);

/** The cells of each table row whose first cell matches. */
const rows = (text: string, first: RegExp): string[][] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('| '))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    )
    .filter((cells) => first.test(cells[0]!));

it('bench:adversarial measures wasmgate and the null webhook in one run and replaces its section', async () => {
  const md = join(dir, 'results.md');
  writeFileSync(md, '# results\n\n<!-- adversarial:start -->\nan earlier run\n<!-- adversarial:end -->\n\n## after\n');
  await runBench('bench/adversarial.ts', {
    BENCH_MAX_BYTES: String(64 * 1024),
    BENCH_PASSES: '1',
    BENCH_ALONE_SECONDS: '1',
    BENCH_RATE: '100',
    BENCH_RESULTS_MD: md,
  });
  const text = readFileSync(md, 'utf8');
  expect(text).not.toContain('an earlier run');
  expect(text).toMatch(/^# results\n\n<!-- adversarial:start -->\n### Latest run: [\s\S]*<!-- adversarial:end -->\n\n## after\n$/);
  expect(text).toContain('BENCH_PASSES=1');

  const load = rows(text, /^(wasmgate|null webhook): /);
  expect(load.map((r) => r[0]!.replace(/ \(\d+ s\)$/, ''))).toEqual([
    'wasmgate: alone',
    'wasmgate: during the adversarial reviews',
    'null webhook: alone',
    'null webhook: during the adversarial reviews',
  ]);
  for (const r of load) {
    expect(Number(r[1])).toBeGreaterThan(0); // requests
    expect([r[6], r[7]]).toEqual(['0', '0']); // non-2xx, errors
  }
  // the server's own loop delay comes from wasmgate's /metrics; the null webhook has none
  expect(load.map((r) => r[9]!.endsWith(' ms'))).toEqual([true, true, false, false]);

  const hostile = rows(text, /^(?!shape$|---$)/).filter((r) => r.length === 13);
  expect(hostile).toHaveLength(10); // every shape at 64 KiB
  for (const r of hostile) {
    const [, body, ...figures] = r;
    expect(body).toMatch(/KiB$/);
    // wasmgate median/max, null median/max, both CPUs, JSON.parse: all measured
    for (const f of figures.slice(0, 7)) expect(f).toMatch(/^\d+(\.\d)? ms$/);
    expect(Number(figures[4]!.replace(' ms', '')) + Number(figures[5]!.replace(' ms', ''))).toBeGreaterThan(0);
    expect(figures[7]).toBe('200'); // wasmgate's status: parsed and decided
    expect(figures[8]).toMatch(/^(allowed|denied)$/);
  }
  expect(text).toMatch(/^wasmgate: worst adversarial review [\d.]+ ms wall under load \(goal ≤ 100 ms\)/m);
  expect(text).toMatch(/^The null webhook: worst adversarial review [\d.]+ ms wall under load, /m);
}, 180_000);
