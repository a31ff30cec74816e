import { describe, expect, it } from 'vitest';
import { LeaderElector, microTime } from '../../../src/report/leader.js';
import { FakeApi } from './fake-api.js';

const LEASES = '/apis/coordination.k8s.io/v1/leases';

/** A clock that only moves when told to, and a sleep that moves it. */
function fakeTime(start = Date.UTC(2026, 10, 28, 21, 0, 0)) {
  const t = { now: start };
  return {
    t,
    clock: () => t.now,
    sleep: async (ms: number) => {
      t.now += ms;
      await Promise.resolve();
    },
  };
}

function elector(
  fake: FakeApi,
  identity: string,
  time: ReturnType<typeof fakeTime>,
  extra: Partial<ConstructorParameters<typeof LeaderElector>[0]> = {},
) {
  fake.namespaces.add('wasmgate');
  return new LeaderElector({
    client: fake,
    namespace: 'wasmgate',
    name: 'wasmgate-audit',
    identity,
    clock: time.clock,
    sleep: time.sleep,
    ...extra,
  });
}

const lease = (fake: FakeApi) => fake.get(LEASES, 'wasmgate', 'wasmgate-audit');

describe('Lease leader election (client-go semantics)', () => {
  it('the first candidate creates the Lease; the second waits while it is renewed', async () => {
    const fake = new FakeApi();
    const time = fakeTime();
    const a = elector(fake, 'a', time);
    const b = elector(fake, 'b', time);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(lease(fake)?.['spec']).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: microTime(time.t.now),
      renewTime: microTime(time.t.now),
      leaseTransitions: 0,
    });
    expect(await b.tryAcquireOrRenew()).toBe(false);
    for (let i = 0; i < 10; i++) {
      time.t.now += 2_000;
      expect(await a.tryAcquireOrRenew()).toBe(true);
      expect(await b.tryAcquireOrRenew()).toBe(false);
    }
    expect(b.leader()).toBe('a');
    expect((lease(fake)?.['spec'] as { acquireTime: string }).acquireTime).toBe(microTime(time.t.now - 20_000));
  });

  it('when the holder stops renewing, another takes over only after leaseDuration on its own clock, with a transition', async () => {
    const fake = new FakeApi();
    const time = fakeTime();
    const a = elector(fake, 'a', time);
    const b = elector(fake, 'b', time);
    await a.tryAcquireOrRenew();
    expect(await b.tryAcquireOrRenew()).toBe(false); // b first sees the record now
    time.t.now += 14_999;
    expect(await b.tryAcquireOrRenew()).toBe(false);
    time.t.now += 2;
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(lease(fake)?.['spec'] as { holderIdentity: string; leaseTransitions: number }).toMatchObject({
      holderIdentity: 'b',
      leaseTransitions: 1,
    });
    // the old leader's optimistic renewal fails on resourceVersion, and the slow path sees b
    expect(await a.tryAcquireOrRenew()).toBe(false);
    expect(a.leader()).toBe('b');
  });

  it('renewTime written by a skewed clock does not matter: only the local observation time counts', async () => {
    const fake = new FakeApi();
    const timeA = fakeTime(Date.UTC(2020, 0, 1)); // a's clock is years behind
    const timeB = fakeTime();
    const a = elector(fake, 'a', timeA);
    const b = elector(fake, 'b', timeB);
    await a.tryAcquireOrRenew();
    expect(await b.tryAcquireOrRenew()).toBe(false);
    timeA.t.now += 2_000;
    await a.tryAcquireOrRenew();
    timeB.t.now += 10_000;
    expect(await b.tryAcquireOrRenew()).toBe(false); // changed record: observed again, not expired
  });

  it('two candidates racing for an expired lease: exactly one wins (resourceVersion-guarded update)', async () => {
    const fake = new FakeApi();
    const time = fakeTime();
    const old = elector(fake, 'old', time);
    await old.tryAcquireOrRenew();
    const b = elector(fake, 'b', time);
    const c = elector(fake, 'c', time);
    await b.tryAcquireOrRenew();
    await c.tryAcquireOrRenew();
    time.t.now += 16_000;
    const results = await Promise.all([b.tryAcquireOrRenew(), c.tryAcquireOrRenew()]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((lease(fake)?.['spec'] as { leaseTransitions: number }).leaseTransitions).toBe(1);
  });

  it('release hands over at once: holder "" and 1 s', async () => {
    const fake = new FakeApi();
    const time = fakeTime();
    const a = elector(fake, 'a', time);
    const b = elector(fake, 'b', time);
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew();
    await a.release();
    expect(lease(fake)?.['spec']).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(lease(fake)?.['spec']).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('run(): leads, stops leading when renewal fails for renewDeadline, campaigns again, releases on abort', async () => {
    const fake = new FakeApi();
    const time = fakeTime();
    const events: string[] = [];
    const stop = new AbortController();
    const start = time.t.now;
    let leaderChecks = 0;
    const a = elector(fake, 'a', time, {
      onStartedLeading: () => events.push(`started at ${time.t.now}`),
      onStoppedLeading: () => events.push(`stopped at ${time.t.now}`),
      sleep: async (ms) => {
        time.t.now += ms;
        await Promise.resolve();
        if (a.isLeader()) leaderChecks++;
        if (events.length === 1 && leaderChecks === 3 && fake.failNext === undefined) fake.failNext = { status: 503, times: 1_000 }; // API unreachable
        if (events.length === 2) fake.failNext = undefined; // back
        if (events.length === 3 || time.t.now - start > 600_000) stop.abort();
      },
    });
    await a.run(stop.signal);
    expect(events[0]).toBe(`started at ${start}`);
    const stoppedAt = Number(events[1]!.split(' ').pop()) - start;
    // the first failed renewal is at ~8 s; leadership ends within renewDeadline (10 s) of the last success (6 s)
    expect(stoppedAt).toBeGreaterThan(6_000);
    expect(stoppedAt).toBeLessThanOrEqual(6_000 + 10_000 + 2_000);
    expect(events[2]).toMatch(/^started at /);
    expect(events).toHaveLength(4);
    expect(lease(fake)?.['spec']).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    expect(a.isLeader()).toBe(false);
  });

  it('rejects settings client-go would reject', () => {
    expect(() => elector(new FakeApi(), 'a', fakeTime(), { leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).toThrow(
      'leader election needs leaseDuration > renewDeadline > retryPeriod > 0',
    );
  });
});
