/** bench/cpus.ts: BENCH_SERVER_CPUS, split into the server's CPUs and the load generators'. */
import { describe, expect, it } from 'vitest';
import { cpuSplit, nodeOn, serverCpus } from '../../bench/cpus.js';

describe('cpuSplit', () => {
  it.each([
    ['1', 2, '0'],
    ['0', 2, '1'],
    ['2-3', 4, '0,1'],
    ['0,2', 4, '1,3'],
    ['1-2, 5', 8, '0,3,4,6,7'],
  ])('%s of %i CPUs leaves %s for the load generators', (list, count, others) => {
    expect(cpuSplit(list, count)).toEqual({ server: list, others });
  });

  it.each([
    ['0,1', 2, 'BENCH_SERVER_CPUS=0,1 leaves no CPU for the load generators'],
    ['0-1', 2, 'BENCH_SERVER_CPUS=0-1 leaves no CPU for the load generators'],
    ['2', 2, 'BENCH_SERVER_CPUS: 2 is not within CPUs 0-1'],
    ['3-1', 4, 'BENCH_SERVER_CPUS: 3-1 is not within CPUs 0-3'],
    ['one', 2, 'BENCH_SERVER_CPUS: not a CPU list: one'],
    ['1-', 2, 'BENCH_SERVER_CPUS: not a CPU list: 1-'],
    ['', 2, 'BENCH_SERVER_CPUS: not a CPU list: '],
  ])('%s of %i CPUs: %s', (list, count, message) => {
    expect(() => cpuSplit(list, count)).toThrow(message);
  });
});

it('serverCpus reads BENCH_SERVER_CPUS, unset or empty meaning no pinning', () => {
  expect(serverCpus({})).toBeUndefined();
  expect(serverCpus({ BENCH_SERVER_CPUS: '' })).toBeUndefined();
  expect(serverCpus({ BENCH_SERVER_CPUS: '0' })?.server).toBe('0');
});

it('nodeOn runs node through taskset only when given CPUs', () => {
  expect(nodeOn(undefined, ['a.js'])).toEqual([process.execPath, ['a.js']]);
  expect(nodeOn('1', ['a.js'])).toEqual(['taskset', ['-c', '1', process.execPath, 'a.js']]);
});
