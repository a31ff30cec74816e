import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuditScheduler, verdictSignature } from '../../../src/report/background.js';
import { OWNER_KINDS, streamAudit, type PageAudit } from '../../../src/report/stream-audit.js';
import { createProgress } from '../../../src/report/progress.js';
import { config, node, runtimeClass, stateOf } from '../../harness/fixtures.js';

const W = { 'wasmtime-enabled': 'yes' };

describe('verdict signature: moves only when a verdict can change', () => {
  const base = () => stateOf([node('plain-1'), node('wasm-1', W)], [runtimeClass('wasm1', 'wasmtime', W)]);
  it.each([
    ['a node label nobody selects', (s: ReturnType<typeof base>) => s.upsertNode(node('plain-1', { team: 'x' })), false],
    ['a new plain node', (s: ReturnType<typeof base>) => s.upsertNode(node('plain-2')), false],
    ['the last wasm node cordoned', (s: ReturnType<typeof base>) => s.upsertNode(node('wasm-1', W, { unschedulable: true })), true],
    ['the last wasm node deleted', (s: ReturnType<typeof base>) => s.deleteNode('wasm-1'), true],
    ['a class created', (s: ReturnType<typeof base>) => s.upsertRuntimeClass(runtimeClass('spin', 'spin')), true],
    [
      'a non-Wasm class created (its name can matter to runtimeclass-exists)',
      (s: ReturnType<typeof base>) => s.upsertRuntimeClass(runtimeClass('runc', 'runc')),
      true,
    ],
    [
      'a class selector changed',
      (s: ReturnType<typeof base>) => s.upsertRuntimeClass(runtimeClass('wasm1', 'wasmtime', { other: 'x' })),
      true,
    ],
  ])('%s → %s', (_n, change, moves) => {
    const s = base();
    const before = verdictSignature(s, config());
    change(s);
    expect(verdictSignature(s, config()) !== before).toBe(moves);
  });
});

describe('audit scheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup() {
    let sig = 'a';
    const passes: number[] = [];
    let release: (() => void) | undefined;
    let hold = false;
    const s = new AuditScheduler({
      intervalMs: 60_000,
      debounceMs: 5_000,
      signature: () => sig,
      pass: async () => {
        passes.push(Date.now());
        if (hold) await new Promise<void>((r) => (release = r));
      },
    });
    return { s, passes, setSig: (v: string) => (sig = v), hold: (v: boolean) => (hold = v), release: () => release?.() };
  }

  it('a pass at start, then every interval', async () => {
    const { s, passes } = setup();
    const t0 = Date.now();
    s.start();
    await vi.advanceTimersByTimeAsync(180_000);
    expect(passes.map((t) => t - t0)).toEqual([0, 60_000, 120_000, 180_000]);
    await s.stop();
  });

  it('a nudge with a changed signature runs a pass after the debounce; an unchanged one does not', async () => {
    const { s, passes, setSig } = setup();
    const t0 = Date.now();
    s.start();
    await vi.advanceTimersByTimeAsync(10_000);
    s.nudge(); // nothing changed
    await vi.advanceTimersByTimeAsync(10_000);
    expect(passes).toHaveLength(1);
    setSig('b');
    s.nudge();
    s.nudge(); // a burst is one pass
    await vi.advanceTimersByTimeAsync(5_000);
    expect(passes.map((t) => t - t0)).toEqual([0, 25_000]);
    await vi.advanceTimersByTimeAsync(60_000); // the interval restarts from the last pass
    expect(passes.map((t) => t - t0)).toEqual([0, 25_000, 85_000]);
    await s.stop();
  });

  it('passes never overlap: a trigger during a pass runs one more after it', async () => {
    const { s, passes, hold, release } = setup();
    hold(true);
    s.start();
    await vi.advanceTimersByTimeAsync(1);
    s.trigger();
    s.trigger();
    expect(passes).toHaveLength(1);
    hold(false);
    release();
    await vi.advanceTimersByTimeAsync(1);
    expect(passes).toHaveLength(2);
    await s.stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(passes).toHaveLength(2);
  });
});

describe('streaming audit pass', () => {
  const obj = (kind: string, uid: string, owner?: string) => ({
    kind,
    metadata: { name: uid, uid, ...(owner ? { ownerReferences: [{ uid: owner, controller: true }] } : {}) },
  });
  const cluster: Record<string, Record<string, unknown>[]> = {
    '/api/v1/pods': Array.from({ length: 7 }, (_, i) => obj('Pod', `p${i}`, i < 5 ? 'rs1' : undefined)),
    '/apis/apps/v1/replicasets': [obj('ReplicaSet', 'rs1', 'd1')],
    '/apis/apps/v1/deployments': [obj('Deployment', 'd1')],
  };

  it('lists owners first, hands the audit one page at a time with the owners seen so far, and counts', async () => {
    const pages: string[] = [];
    const out: string[] = [];
    const r = await streamAudit({
      lists: [
        ['/api/v1/pods', 'Pod'],
        ['/apis/apps/v1/replicasets', 'ReplicaSet'],
        ['/apis/apps/v1/deployments', 'Deployment'],
      ],
      listPages: async (path, onPage) => {
        const items = cluster[path]!;
        for (let i = 0; i < items.length; i += 3) {
          onPage(items.slice(i, i + 3));
          await Promise.resolve();
        }
      },
      auditPage: (objects, owners): PageAudit => {
        pages.push(objects.map((o) => (o['metadata'] as { name: string }).name).join(','));
        const own = (o: Record<string, unknown>) =>
          ((o['metadata'] as { ownerReferences?: { uid: string }[] }).ownerReferences ?? [])[0]?.uid;
        const kept = objects.filter((o) => !owners.has(own(o) ?? ''));
        return {
          audited: kept.length,
          deduplicated: objects.length - kept.length,
          findings: kept.map((o) => ({
            kind: String(o['kind']),
            name: (o['metadata'] as { name: string }).name,
            rule: 'runtimeclass-exists',
            mode: 'enforce',
            message: 'm',
          })),
        };
      },
      progress: createProgress({ isTTY: true, write: (c: string) => out.push(c) }, { intervalMs: 0 }),
    });
    expect(pages).toEqual(['d1', 'rs1', 'p0,p1,p2', 'p3,p4,p5', 'p6']);
    expect(r).toMatchObject({ audited: 3, deduplicated: 6, listed: { Deployment: 1, ReplicaSet: 1, Pod: 7 }, largestPage: 3 });
    expect(r.findings.map((f) => f.name)).toEqual(['d1', 'p5', 'p6']);
    expect(out.at(-1)).toBe('\r\x1b[2Kauditing: Deployment 1, ReplicaSet 1, Pod 7; 3 findings');
    expect(OWNER_KINDS.has('Pod')).toBe(false);
  });
});
