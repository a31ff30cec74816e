import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildEstimate, buildProgress, COLD_BUILD_SECONDS, duration } from '../../src/controlplane/build-progress.js';

describe('build progress', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes build.sh lines on whole, joining chunks and dropping blank lines', () => {
    const lines: string[] = [];
    const p = buildProgress((l) => lines.push(l));
    p.write('2026-01-01T00:00:00Z [controlplane/build.sh +0s] building k8s');
    p.write('-v1.35.4\n\n2026-01-01T00:00:01Z [controlplane/build.sh +1s] etcd: go build\npartial');
    expect(lines).toEqual([
      '2026-01-01T00:00:00Z [controlplane/build.sh +0s] building k8s-v1.35.4',
      '2026-01-01T00:00:01Z [controlplane/build.sh +1s] etcd: go build',
    ]);
    p.stop();
    expect(lines.at(-1)).toBe('partial');
  });

  it('fills silences with the elapsed time and an estimate, and stops when told', () => {
    const lines: string[] = [];
    const p = buildProgress((l) => lines.push(l), { everyMs: 30_000 });
    vi.advanceTimersByTime(29_000);
    expect(lines).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(lines).toEqual([`[controlplane build] still building: ${buildEstimate(30_000)}`]);
    expect(lines[0]).toContain('30s elapsed');
    p.write('a line\n');
    vi.advanceTimersByTime(20_000);
    expect(lines).toHaveLength(2);
    p.stop();
    vi.advanceTimersByTime(600_000);
    expect(lines).toHaveLength(2);
  });

  it('states the time left against the measured cold build, and never a negative one', () => {
    expect(buildEstimate(0)).toContain(`about ${Math.round(COLD_BUILD_SECONDS / 60)} min on 2 cores`);
    expect(buildEstimate(COLD_BUILD_SECONDS * 1000 + 60_000)).toContain('should be nearly done');
    expect(duration(4_000)).toBe('4s');
    expect(duration(270_000)).toBe('4m30s');
  });
});
