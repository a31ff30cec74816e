import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createAuditMetrics } from '../../../src/report/metrics.js';
import { createProgress } from '../../../src/report/progress.js';

function sink(isTTY: boolean, columns = 80) {
  const out: string[] = [];
  return { out, stream: { isTTY, columns, write: (c: string) => out.push(c) } };
}

describe('audit progress', () => {
  it('silent when stderr is not a TTY', () => {
    const s = sink(false);
    const p = createProgress(s.stream);
    p.listed('Pod', 500);
    p.findings(3);
    p.done();
    expect(s.out).toEqual([]);
  });

  it('on a TTY: one line rewritten in place, at most every interval, cleared at the end', () => {
    const s = sink(true);
    const t = { now: 0 };
    const p = createProgress(s.stream, { intervalMs: 100, clock: () => t.now });
    p.listed('Node', 100);
    p.listed('Pod', 500);
    t.now = 150;
    p.listed('Pod', 500);
    p.findings(1);
    t.now = 300;
    p.listed('Deployment', 20);
    p.done();
    expect(s.out).toEqual([
      '\r\x1b[2Kauditing: Node 100; 0 findings',
      '\r\x1b[2Kauditing: Node 100, Pod 1000; 0 findings',
      '\r\x1b[2Kauditing: Node 100, Pod 1000, Deployment 20; 1 finding',
      '\r\x1b[2K',
    ]);
  });

  it('a narrow terminal gets a cut line, never a wrapped one', () => {
    const s = sink(true, 20);
    createProgress(s.stream).listed('ReplicationController', 12345);
    expect(s.out[0]).toBe('\r\x1b[2Kauditing: Replicat…');
  });

  it('a terminal that reports no size (0 columns, as under script(1)) is taken as 80 columns wide', () => {
    const s = sink(true, 0);
    createProgress(s.stream).listed('Pod', 3);
    expect(s.out[0]).toBe('\r\x1b[2Kauditing: Pod 3; 0 findings');
  });
});

describe('audit metrics', () => {
  it('findings by rule and mode are replaced each pass; duration, time and objects are set', async () => {
    const registry = new Registry();
    const m = createAuditMetrics(registry);
    m.record({
      findings: [
        { rule: 'runtimeclass-exists', mode: 'enforce' },
        { rule: 'runtimeclass-exists', mode: 'enforce' },
        { rule: 'runtimeclass-has-selector', mode: 'warn' },
      ],
      audited: 42,
      durationMs: 1500,
      finishedAt: 1_800_000_000_000,
    });
    m.record({ findings: [{ rule: 'runtimeclass-exists', mode: 'enforce' }], audited: 41, durationMs: 250, finishedAt: 1_800_000_060_000 });
    const text = await registry.metrics();
    expect(text).toContain('wasmgate_audit_findings{rule="runtimeclass-exists",mode="enforce"} 1');
    expect(text).not.toContain('runtimeclass-has-selector');
    expect(text).toContain('wasmgate_audit_last_duration_seconds 0.25');
    expect(text).toContain('wasmgate_audit_last_run_timestamp_seconds 1800000060');
    expect(text).toContain('wasmgate_audit_objects 41');
  });
});
